"""KQL parity backend: one row per construct.

Expected queries are written from Kibana's kuery grammar (elastic/kibana
kbn-es-query/src/kuery/grammar/grammar.peggy: quoted values are literals, unquoted ``*`` is the
only wildcard, ``\\`` escapes special characters, ``field:(a or b)`` lists) and its translation
(functions/is.ts: literals become match/match_phrase, patterns query_string with the literal
parts escaped; no ``case_insensitive`` option), the KQL reference
(https://www.elastic.co/docs/reference/query-languages/kql: no regular expressions, "Only * is
currently supported" as a wildcard) and the field mappings (keyword fields compare whole values
case-sensitively unless a normalizer applies, text fields match lower-cased tokens). Semantic
rows give what the Sigma rule means for an event (values ignore case unless ``|cased``, an atom
on a missing field is false) and assert the answers of the oracle and of the KQL engine model
running the emitted query: equal where the query is exact, differing only in the warned
direction where it is not.
"""

from __future__ import annotations

from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.processing.pipeline import ProcessingPipeline

from converter.engines import engine
from converter.oracle import Oracle
from converter.schema.model import FieldSpec, Schema
from converter.targets.kql_parity import KqlParityBackend
from converter.targets.regex_superset import Need, requirement

SCHEMA = Schema(
    {
        "k": FieldSpec("k", "keyword"),
        "k2": FieldSpec("k2", "keyword"),
        "cn": FieldSpec("cn", "keyword", normalizer="lowercase"),
        "c.caseless": FieldSpec("c.caseless", "keyword", normalizer="lowercase"),
        "t": FieldSpec("t", "text"),
        "ps": FieldSpec("ps", "text", analyzer="powershell_script"),
        "tk": FieldSpec("tk", "text"),
        "tk.raw": FieldSpec("tk.raw", "keyword"),
        "n": FieldSpec("n", "long"),
        "ip": FieldSpec("ip", "ip"),
    },
    "test",
)


def rule(sel: Any, condition: str = "sel", **more: Any) -> SigmaCollection:
    detection = {"sel": sel, **more, "condition": condition}
    return SigmaCollection.from_dicts(
        [
            {
                "title": "KQL parity test",
                "id": "3e1d7a64-5c2b-4f89-a0d3-7b9c1e2f4a85",
                "status": "test",
                "logsource": {"product": "test", "category": "test"},
                "detection": detection,
            }
        ]
    )


def convert(collection: SigmaCollection) -> tuple[str, list[tuple[str, str]]]:
    """The query and the distinct (cause, direction) of its warnings."""
    backend = KqlParityBackend(ProcessingPipeline(), schema=SCHEMA)
    backend.conversion_warnings = []
    query = str(backend.convert(collection)[0])
    warned = sorted({(w.cause, str(w.direction)) for w in backend.conversion_warnings})
    return query, warned


def over(cause: str) -> list[tuple[str, str]]:
    return [(cause, "over-match")]


def under(cause: str) -> list[tuple[str, str]]:
    return [(cause, "under-match")]


QUERIES = [
    # T1: no case-insensitive form in KQL: a normalized (multi-)field, else the rule's case
    pytest.param({"k": "foo"}, 'k:"foo"', under("T1 case"), id="T1-keyword"),
    pytest.param({"k": "4624"}, 'k:"4624"', [], id="no-letters-exact"),
    pytest.param({"cn": "Foo"}, 'cn:"Foo"', [], id="T1-normalizer"),
    pytest.param({"c|endswith": "\\X"}, r"c.caseless:*\\X", [], id="T1-caseless-variant"),
    # the normalizer keeps final and medial sigma apart, re.IGNORECASE joins all three: each
    # form once; too many combinations find a subset
    pytest.param(
        {"c|endswith": "\\\u03c2"},
        "c.caseless:(*\\\\\u03a3 or *\\\\\u03c2 or *\\\\\u03c3)",
        [],
        id="T1-uneven-forms",
    ),
    pytest.param(
        {"cn": "\u03c2\u03c2\u03c2"},
        'cn:"\u03c2\u03c2\u03c2"',
        under("T1 non-ASCII case folding"),
        id="T1-uneven-too-many",
    ),
    pytest.param({"tk": "Foo"}, 'tk.raw:"Foo"', under("T1 case"), id="text-keyword-subfield"),
    # |cased: a field that keeps case, else the normalized field (a superset)
    pytest.param({"k|cased": "Foo"}, 'k:"Foo"', [], id="cased"),
    pytest.param({"c.caseless|cased": "Foo"}, 'c:"Foo"', [], id="cased-parent"),
    pytest.param({"cn|cased": "Foo"}, 'cn:"Foo"', over("T1 |cased"), id="cased-no-variant"),
    # wildcards: * only; Sigma ? widened to *; a literal * is escaped or quoted
    pytest.param({"k": "1?2"}, "k:1*2", over("T3 '?'"), id="T3-question-as-star"),
    pytest.param({"k": "1\\*2"}, 'k:"1*2"', [], id="literal-star-quoted"),
    pytest.param({"k|startswith": "1\\*2"}, r"k:1\*2*", [], id="literal-star-in-pattern"),
    pytest.param({"k|startswith": "1?2\\?"}, "k:1*2?*", over("T3 '?'"), id="literal-question"),
    # text fields (T15): tokens; *run* of token characters is exact
    pytest.param({"t|contains": "foo"}, "t:*foo*", [], id="T15-text-contains-token"),
    pytest.param(
        {"t|contains": "foo bar"}, "t:(*foo and bar*)", over("T15 text field"), id="T15-phrase"
    ),
    pytest.param({"t": "Foo"}, 't:"foo"', over("T15 text field"), id="T15-equals-token"),
    pytest.param({"t|contains": "("}, "t:*", over("T15 text field"), id="T15-no-token"),
    pytest.param(
        {"ps|contains": "Get-Item -Path"},
        "ps:(*get-item and -path*)",
        over("T15 text field"),
        id="T15-pattern-analyzer",
    ),
    # regular expressions: the literals they require (a superset)
    pytest.param({"k|re": "fo+"}, "k:*fo*", over("T6/T7 regex"), id="regex-literal"),
    pytest.param({"cn|re|i": "Foo"}, "cn:*Foo*", over("T6/T7 regex"), id="regex-i-normalized"),
    pytest.param({"c|re|i": "Foo"}, "c.caseless:*Foo*", over("T6/T7 regex"), id="regex-i-variant"),
    pytest.param({"k|re": "[0-9]+"}, "k:*", over("T6/T7 regex"), id="regex-no-literal"),
    # a required literal with a letter the normalizer folds apart: each case form, else dropped
    pytest.param(
        {"c|re|i": "\u03c2x"},
        "c.caseless:(*\u03a3x* or *\u03c2x* or *\u03c3x*)",
        over("T6/T7 regex"),
        id="regex-i-uneven-forms",
    ),
    pytest.param(
        {"cn|re|i": "\u03c2\u03c2\u03c2"}, "cn:*", over("T6/T7 regex"), id="regex-i-uneven-dropped"
    ),
    pytest.param(
        {"t|re": "Invoke-(Expression|Command)"},
        "(t:*invoke* and (t:*expression* or t:*command*))",
        [("T15 text field", "over-match"), ("T6/T7 regex", "over-match")],
        id="regex-on-text",
    ),
    # keywords: a field-less pattern over the default fields (case-sensitive: a subset)
    pytest.param(["foo"], "*foo*", under("keyword search"), id="keyword"),
    # numbers, ip, null
    pytest.param({"n": 5}, "n:5", [], id="number"),
    pytest.param({"n|gt": 5}, "n > 5", [], id="compare-numeric"),
    pytest.param({"ip|cidr": "10.0.0.0/8"}, 'ip:"10.0.0.0/8"', [], id="cidr"),
    pytest.param({"k": None}, "not k:*", [], id="null"),
]


@pytest.mark.parametrize(("sel", "expected", "warned"), QUERIES)
def test_query(sel: Any, expected: str, warned: list[tuple[str, str]]) -> None:
    assert convert(rule(sel)) == (expected, warned)


def test_warning_direction_flips_under_not() -> None:
    query, warned = convert(rule({"n": 1}, "sel and not flt", flt={"k": "X"}))
    assert (query, warned) == ('n:1 and (not k:"X")', over("T1 case"))


UNSUPPORTED = [
    pytest.param({"k|re|i": "foo"}, "keeps case", id="regex-i-on-cased-field"),
    pytest.param(["a b"], "whitespace", id="keyword-with-space"),
    pytest.param({"k|gte": 5}, "compares strings", id="range-on-keyword"),
    pytest.param({"k|fieldref": "k2"}, "fieldref", id="fieldref"),
]


@pytest.mark.parametrize(("sel", "reason"), UNSUPPORTED)
def test_unsupported(sel: Any, reason: str) -> None:
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match=reason):
        convert(rule(sel))


def _answers(collection: SigmaCollection, event: dict[str, Any]) -> tuple[bool, bool]:
    query, _ = convert(collection)
    compiled = engine("kql", SCHEMA).compile(query)
    return Oracle.from_rule(collection.rules[0]).matches(event), compiled.matches(event)


SEMANTICS = [
    # (selection, event, what the Sigma rule means for the event), where the query is exact
    pytest.param({"c|endswith": "\\Cmd.exe"}, {"c": "C:\\CMD.EXE"}, True, id="T1-caseless"),
    pytest.param({"cn": "Foo"}, {"cn": "FOO"}, True, id="T1-normalizer"),
    pytest.param({"k|cased": "Foo"}, {"k": "foo"}, False, id="T1-cased"),
    pytest.param({"c.caseless|cased": "Foo"}, {"c": "FOO"}, False, id="T1-cased-parent"),
    pytest.param({"k|startswith": "1\\*2"}, {"k": "1*23"}, True, id="literal-star"),
    pytest.param({"k|startswith": "1\\*2"}, {"k": "1x23"}, False, id="star-not-wildcard"),
    pytest.param({"t|contains": "foo"}, {"t": "a FOO b"}, True, id="T15-text-token"),
    pytest.param({"t|contains": "foo"}, {"t": "a bar"}, False, id="T15-text-no-token"),
    pytest.param({"ip|cidr": "10.0.0.0/8"}, {"ip": "10.2.3.4"}, True, id="T15-cidr"),
    pytest.param({"k": None}, {"n": 1}, True, id="null-absent"),
    pytest.param({"c|contains": "\u03c2"}, {"c": "x\u03c3x"}, True, id="T1-final-sigma"),
    pytest.param({"c": "\u017f"}, {"c": "S"}, True, id="T1-long-s"),
    pytest.param({"c": "\u017f"}, {"c": "f"}, False, id="T1-long-s-not-f"),
    pytest.param({"k|cased": "a\tb"}, {"k": "a\tb"}, True, id="tab-value"),
]


@pytest.mark.parametrize(("sel", "event", "meaning"), SEMANTICS)
def test_semantics(sel: Any, event: dict[str, Any], meaning: bool) -> None:
    assert _answers(rule(sel), event) == (meaning, meaning)


WARNED = [
    # (selection, event, Sigma's answer, KQL's answer): only ever off in the warned direction
    pytest.param({"k": "foo"}, {"k": "FOO"}, True, False, id="T1-under"),
    pytest.param({"k": "1?2"}, {"k": "1xx2"}, False, True, id="T3-over"),
    pytest.param({"t|contains": "foo bar"}, {"t": "foo, bar"}, False, True, id="T15-over"),
    pytest.param({"k|re": "fo+"}, {"k": "xfoy"}, True, True, id="regex-superset-hit"),
    pytest.param({"k|re": "^fo"}, {"k": "xfo"}, False, True, id="regex-superset-over"),
    pytest.param({"c|re|i": "\u03c2\\$"}, {"c": "\u03a3$"}, True, True, id="regex-i-uneven-hit"),
    pytest.param(
        {"cn": "\u03c2\u03c2\u03c2"},
        {"cn": "\u03a3\u03a3\u03a3"},
        True,
        False,
        id="T1-uneven-under",
    ),
]


@pytest.mark.parametrize(("sel", "event", "oracle", "kql"), WARNED)
def test_warned_direction_holds(sel: Any, event: dict[str, Any], oracle: bool, kql: bool) -> None:
    assert _answers(rule(sel), event) == (oracle, kql)


@pytest.mark.parametrize(
    ("event", "meaning"),
    [
        pytest.param({"n": 1}, True, id="T8-missing-field-under-not"),
        pytest.param({"n": 1, "k": "x"}, False, id="T8-present-field-under-not"),
        pytest.param({"n": 1, "k": "y"}, True, id="T8-other-value-under-not"),
    ],
)
def test_negation_semantics(event: dict[str, Any], meaning: bool) -> None:
    assert _answers(rule({"n": 1}, "sel and not flt", flt={"k": "x"}), event) == (meaning, meaning)


REQUIRED = [
    # (pattern, the literals every match contains, as all-of / one-of groups)
    pytest.param("abc", ["abc"], id="literal"),
    pytest.param("a(bc)d", ["abcd"], id="group-is-adjacent"),
    pytest.param("fo+x", ["fo", "x"], id="repeat-first-occurrence-adjacent"),
    pytest.param("(abc)?d", ["d"], id="optional-needs-nothing"),
    pytest.param("x(ab|cd)y", ["x", ("ab", "cd"), "y"], id="alternatives"),
    pytest.param("x(ab|)y", ["x", "y"], id="empty-alternative"),
    pytest.param("a.b", ["a", "b"], id="any-char-breaks-run"),
    pytest.param("[0-9]+", [], id="no-literal"),
]


def _flat(need: Need) -> list[Any]:
    return [
        item if isinstance(item, str) else tuple(_flat(item)) if item.any_of else _flat(item)
        for item in need.items
    ]


@pytest.mark.parametrize(("pattern", "needed"), REQUIRED)
def test_required_literals(pattern: str, needed: list[Any]) -> None:
    assert _flat(requirement(pattern).need) == needed


def test_scoped_ignore_case() -> None:
    assert requirement("(?i:ab)c").ignores_case and not requirement("abc").ignores_case
