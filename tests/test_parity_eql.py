"""EQL parity backend: one row per construct.

Expected queries are written from the EQL syntax reference
(https://www.elastic.co/docs/reference/query-languages/eql/eql-syntax): ``:`` ignores case and
takes ``*``/``?`` wildcards, ``==``/``in``/``like``/``regex`` are case-sensitive, wildcards cannot
be escaped (so a literal ``*`` needs ``regex``), strings escape only ``\\ " \\n \\r \\t``, field
names with ``-`` are back-quoted, unknown fields are optional (``?f``), ``f != null`` tests
presence; cidrMatch from the function reference. Semantic rows give the Sigma meaning of a rule
for an event (Sigma specification: values ignore case unless ``|cased``, ``|re`` searches
case-sensitively, an atom on a missing field is false) and assert that both the oracle and the
EQL engine model running the emitted query answer it.
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
from converter.targets.eql_parity import EqlParityBackend

SCHEMA = Schema(
    {
        "k": FieldSpec("k", "keyword"),
        "k2": FieldSpec("k2", "keyword"),
        "w": FieldSpec("w", "wildcard"),
        "cn": FieldSpec("cn", "keyword", normalizer="lowercase"),
        "c.caseless": FieldSpec("c.caseless", "keyword", normalizer="lowercase"),
        "t": FieldSpec("t", "text"),
        "tk": FieldSpec("tk", "text"),
        "tk.raw": FieldSpec("tk.raw", "keyword"),
        "n": FieldSpec("n", "long"),
        "ip": FieldSpec("ip", "ip"),
        "b": FieldSpec("b", "boolean"),
        "d": FieldSpec("d", "date"),
        "z.a.path": FieldSpec("z.a.path", "keyword"),
        "z.b.path": FieldSpec("z.b.path", "keyword"),
        "z.c.path": FieldSpec("z.c.path", "ip"),  # cannot hold the pattern rows' values
    },
    "test",
)


def rule(sel: Any, condition: str = "sel", **more: Any) -> SigmaCollection:
    detection = {"sel": sel, **more, "condition": condition}
    return SigmaCollection.from_dicts(
        [
            {
                "title": "EQL parity test",
                "id": "0d6b5c3e-9d0e-4a51-8d1c-6a3f5b2e7c11",
                "status": "test",
                "logsource": {"product": "test", "category": "test"},
                "detection": detection,
            }
        ]
    )


def convert(collection: SigmaCollection) -> tuple[str, list[str]]:
    """The query (without ``any where``) and the directions of its warnings."""
    backend = EqlParityBackend(ProcessingPipeline(), schema=SCHEMA)
    backend.conversion_warnings = []
    query = str(backend.convert(collection)[0])
    assert query.startswith("any where ")
    return query.removeprefix("any where "), [w.direction for w in backend.conversion_warnings]


UNDER, OVER = ["under-match"], ["over-match"]

QUERIES = [
    # strings: ':' ignores case, wildcards * ? pass through, lists are one ':' lookup
    pytest.param({"k": "foo"}, 'k : "foo"', [], id="insensitive-equality"),
    pytest.param({"k|contains": "x"}, 'k : "*x*"', [], id="contains"),
    pytest.param({"k": ["a", "b*"]}, 'k : ("a", "b*")', [], id="list-lookup"),
    pytest.param({"k": "a?b"}, 'k : "a?b"', [], id="single-char-wildcard"),
    pytest.param({"k": 5}, 'k : "5"', [], id="number-on-keyword-is-text"),
    pytest.param({"w|endswith": "\\cmd.exe"}, r'w : "*\\cmd.exe"', [], id="backslash-literal"),
    pytest.param({"k": 'say "hi"'}, r'k : "say \"hi\""', [], id="quote-escaped"),
    pytest.param({"k": "a\tb"}, r'k : "a\tb"', [], id="tab-escaped"),
    # |cased: == / in / like are the case-sensitive forms
    pytest.param({"k|cased": "Foo"}, 'k == "Foo"', [], id="cased-equality"),
    pytest.param({"k|cased": ["Foo", "Bar"]}, 'k in ("Foo", "Bar")', [], id="cased-list"),
    pytest.param({"k|cased|startswith": "Foo"}, 'k like "Foo*"', [], id="cased-wildcard"),
    pytest.param({"cn|cased": "Foo"}, 'cn == "Foo"', OVER, id="cased-on-normalized-field"),
    # a literal * or ? cannot be written in ':' / like: regex, case folded unless |cased
    pytest.param({"k": "a\\*b"}, r'k regex "[Aa]\\*[Bb]"', [], id="literal-star"),
    pytest.param({"k|cased": "a\\?b"}, r'k regex "a\\?b"', [], id="cased-literal-question"),
    pytest.param({"k": ["a", "b\\*"]}, r'(k : "a" or k regex "[Bb]\\*")', [], id="mixed-list"),
    # ':' folds each character with its one other case (Elasticsearch AutomatonQueries), which
    # keeps final and medial sigma apart; re.IGNORECASE joins all three: a folded regex
    pytest.param(
        {"k|contains": "\u03c2"}, 'k regex ".*[\u03a3\u03c2\u03c3].*"', [], id="uneven-regex"
    ),
    pytest.param({"k|cased": "\u03c2"}, 'k == "\u03c2"', [], id="uneven-cased"),
    # numbers on numeric fields; text a long cannot hold is dropped with a warning
    pytest.param({"n": 5}, "n == 5", [], id="number"),
    pytest.param({"n": "5"}, "n == 5", [], id="numeric-text"),
    pytest.param({"n": [1, 2]}, "n in (1, 2)", [], id="number-list"),
    pytest.param({"n": "-"}, "false", UNDER, id="dash-on-long"),
    pytest.param({"n": "05"}, "false", UNDER, id="leading-zero-is-other-text"),
    pytest.param({"n|gt": 5}, "n > 5", [], id="compare"),
    pytest.param({"k|gte": 5}, "number(k) >= 5", [], id="compare-keyword"),
    # ip fields: addresses, whole-octet prefixes and networks through cidrMatch
    pytest.param({"ip": "10.1.2.3"}, 'ip == "10.1.2.3"', [], id="address"),
    # a prefix as a network: text that is no address ("10.x") matches Sigma's pattern only
    pytest.param({"ip|startswith": "10."}, 'cidrMatch(ip, "10.0.0.0/8")', UNDER, id="ip-prefix"),
    pytest.param({"ip|cidr": "10.0.0.0/8"}, 'cidrMatch(ip, "10.0.0.0/8")', [], id="cidr"),
    pytest.param(
        {"ip|cidr": ["10.0.0.0/8", "192.168.0.0/16"]},
        'cidrMatch(ip, "10.0.0.0/8", "192.168.0.0/16")',
        [],
        id="cidr-list",
    ),
    pytest.param({"ip": "-"}, "false", UNDER, id="dash-on-ip"),
    pytest.param({"k|cidr": "::1/128"}, "false", UNDER, id="ipv6-cidr-on-keyword"),
    pytest.param(
        {"k|cidr": "10.1.2.0/24"},
        r'k regex "10\\.1\\.2\\.([0-9]|[1-9][0-9]|1[0-9][0-9]|2(0[0-9]|[1-4][0-9]|5[0-5]))"',
        [],
        id="cidr-on-keyword",
    ),
    # booleans
    pytest.param({"b": True}, "b == true", [], id="boolean"),
    pytest.param({"b": "yes"}, "false", UNDER, id="other-text-on-boolean"),
    # fields: keyword multi-field of a text field, multi-field parent, optional and quoted names
    pytest.param({"tk": "foo"}, 'tk.raw : "foo"', [], id="text-keyword-subfield"),
    pytest.param({"c.caseless": "Foo"}, 'c : "Foo"', [], id="caseless-parent"),
    pytest.param({"u": "x"}, '?u : "x"', [], id="unknown-field-optional"),
    pytest.param({"a-b": "x"}, '?`a-b` : "x"', [], id="dashed-name"),
    pytest.param({"f.and": "x"}, '?f.`and` : "x"', [], id="keyword-segment"),
    pytest.param(
        {"z.*.path": "x"}, '(z.a.path : "x" or z.b.path : "x")', [], id="field-name-pattern"
    ),
    pytest.param(
        {"z.*.path": "10.1.2.3"},
        '(z.a.path : "10.1.2.3" or z.b.path : "10.1.2.3" or z.c.path == "10.1.2.3")',
        [],
        id="field-name-pattern-each-type",
    ),
    # presence
    pytest.param({"k|exists": True}, "k != null", [], id="exists"),
    pytest.param({"k|exists": False}, "k == null", [], id="not-exists"),
    pytest.param({"k": None}, "k == null", [], id="null"),
    pytest.param({"u": None}, "?u == null", [], id="null-unknown"),
    # regular expressions: whole value, so unanchored patterns get .* (T6); case folded (T12)
    pytest.param({"k|re": "foo"}, 'k regex ".*foo.*"', [], id="regex-unanchored"),
    # constructs Lucene lacks are widened: a superset, declared as an over-match
    pytest.param({"k|re": "\\bfoo"}, 'k regex ".*foo.*"', OVER, id="regex-word-boundary"),
    pytest.param({"k|re|i": "ab"}, 'k regex ".*[Aa][Bb].*"', [], id="regex-ignore-case"),
    pytest.param({"k|re": "^a$"}, r'k regex "a\n?"', [], id="regex-anchors"),
    # windash expands to an OR of values: one ':' lookup
    pytest.param(
        {"k|windash|contains": "-foo"},
        'k : ("*-foo*", "*/foo*", "*\u2013foo*", "*\u2014foo*", "*\u2015foo*")',
        [],
        id="windash",
    ),
]


@pytest.mark.parametrize(("sel", "expected", "directions"), QUERIES)
def test_query(sel: Any, expected: str, directions: list[str]) -> None:
    assert convert(rule(sel)) == (expected, directions)


NEGATED = [
    # under not, each predicate is made two-valued with a presence test (T8)
    pytest.param(
        {"k": "a"}, 'k : "x" and (not (k != null and k : "a"))', [], id="negated-presence"
    ),
    pytest.param(
        {"u": "a"}, 'k : "x" and (not (?u != null and ?u : "a"))', [], id="negated-optional"
    ),
    # a dropped value under not: the query matches more (warning direction flips)
    pytest.param({"ip": "-"}, 'k : "x" and (not false)', OVER, id="negated-dropped-value"),
    pytest.param({"k": None}, 'k : "x" and k != null', [], id="negated-null"),
    pytest.param({"a-b": None}, 'k : "x" and ?`a-b` != null', [], id="negated-null-quoted"),
    pytest.param(
        {"k|re": "\\bfoo"},
        'k : "x" and (not (k != null and k regex ".*foo.*"))',
        UNDER,
        id="negated-widened-regex",
    ),
]


@pytest.mark.parametrize(("flt", "expected", "directions"), NEGATED)
def test_negated(flt: Any, expected: str, directions: list[str]) -> None:
    assert convert(rule({"k": "x"}, "sel and not flt", flt=flt)) == (expected, directions)


UNSUPPORTED = [
    pytest.param({"t": "foo"}, "text field", id="text-field"),
    pytest.param({"k|fieldref": "k2"}, "another field", id="fieldref"),
    pytest.param({"k|re": "x" * 1001}, "max_regex_length", id="regex-too-long"),
    pytest.param({"n|re": "5"}, "|re on n", id="regex-on-long"),
    pytest.param({"d": "x"}, "date field", id="date-field"),
    pytest.param({"q.*.x": "y"}, "names no field", id="pattern-without-fields"),
    pytest.param(["foo"], "keyword", id="keywords"),
]


@pytest.mark.parametrize(("sel", "reason"), UNSUPPORTED)
def test_unsupported(sel: Any, reason: str) -> None:
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match=reason.replace("|", r"\|")):
        convert(rule(sel))


SEMANTICS = [
    # (selection, event, what the Sigma rule means for the event)
    pytest.param({"k": "foo"}, {"k": "FOO"}, True, id="T1-case-ignored"),
    pytest.param({"k|cased": "Foo"}, {"k": "foo"}, False, id="T1-cased"),
    pytest.param({"k|cased": "Foo"}, {"k": "Foo"}, True, id="T1-cased-equal"),
    pytest.param({"k": "a\\*b"}, {"k": "A*B"}, True, id="T4-literal-star"),
    pytest.param({"k": "a\\*b"}, {"k": "axb"}, False, id="T4-star-not-wildcard"),
    pytest.param({"k": "a?c"}, {"k": "abc"}, True, id="T3-question-wildcard"),
    pytest.param({"k|re": "oo"}, {"k": "foo"}, True, id="T6-regex-searches"),
    pytest.param({"k|re": "^fo"}, {"k": "xfoo"}, False, id="T6-regex-anchor"),
    pytest.param({"k|re": "FOO"}, {"k": "foo"}, False, id="T12-regex-case"),
    pytest.param({"k|re|i": "FOO"}, {"k": "xfoo"}, True, id="T12-regex-i"),
    pytest.param({"n": "5"}, {"n": 5}, True, id="T18-text-on-long"),
    pytest.param({"k": 5}, {"k": "5"}, True, id="T18-number-on-keyword"),
    pytest.param({"ip|cidr": "10.0.0.0/8"}, {"ip": "10.2.3.4"}, True, id="T15-cidr"),
    pytest.param({"ip|cidr": "10.0.0.0/8"}, {"ip": "11.0.0.1"}, False, id="T15-cidr-outside"),
    pytest.param({"ip|startswith": "10."}, {"ip": "100.1.1.1"}, False, id="T15-prefix"),
    pytest.param({"k|cidr": "10.0.0.0/8"}, {"k": "10.2.3.4"}, True, id="cidr-keyword"),
    pytest.param({"k|cidr": "10.0.0.0/8"}, {"k": "10.2.3.04"}, False, id="cidr-leading-zero"),
    pytest.param({"k|cidr": "172.16.0.0/12"}, {"k": "172.31.255.255"}, True, id="cidr-top"),
    pytest.param({"k|cidr": "172.16.0.0/12"}, {"k": "172.32.0.0"}, False, id="cidr-past-top"),
    pytest.param({"k|cidr": "172.16.0.0/12"}, {"k": "172.15.255.255"}, False, id="cidr-below"),
    pytest.param({"b": True}, {"b": True}, True, id="boolean"),
    pytest.param({"k|exists": False}, {"n": 1}, True, id="not-exists"),
    pytest.param({"k|contains": "\u03c2"}, {"k": "x\u03c3"}, True, id="T1-final-sigma"),
    pytest.param({"k": "\u00b5"}, {"k": "\u039c"}, True, id="T1-micro-sign-mu"),
]


def _answers(collection: SigmaCollection, event: dict[str, Any]) -> tuple[bool, bool]:
    query, _ = convert(collection)
    compiled = engine("eql", SCHEMA).compile("any where " + query)
    return Oracle.from_rule(collection.rules[0]).matches(event), compiled.matches(event)


@pytest.mark.parametrize(("sel", "event", "meaning"), SEMANTICS)
def test_semantics(sel: Any, event: dict[str, Any], meaning: bool) -> None:
    assert _answers(rule(sel), event) == (meaning, meaning)


@pytest.mark.parametrize(
    ("event", "meaning"),
    [
        pytest.param({"n": 1}, True, id="T8-missing-field-under-not"),
        pytest.param({"n": 1, "k": "X"}, False, id="T8-present-field-under-not"),
        pytest.param({"n": 1, "k": "y"}, True, id="T8-other-value-under-not"),
    ],
)
def test_negation_semantics(event: dict[str, Any], meaning: bool) -> None:
    collection = rule({"n": 1}, "sel and not flt", flt={"k": "x"})
    assert _answers(collection, event) == (meaning, meaning)
