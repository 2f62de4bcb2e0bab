"""Lucene (query_string) parity backend: one row per construct.

Expected queries are written from the query_string syntax
(https://www.elastic.co/docs/reference/query-languages/query-dsl/query-dsl-query-string-query:
reserved characters, wildcards, regular expressions between ``/``, ranges ``>=n``, ``_exists_``,
``*:*``; "query_string does not honor the usual precedence rules", so ``a OR NOT b`` is
``+a -b``), the Lucene RegExp syntax
(https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax: whole-value match,
``<n-m>`` numeric intervals, reserved characters) and the field mappings
(https://www.elastic.co/docs/reference/elasticsearch/mapping-reference: keyword fields compare
whole values case-sensitively, a normalizer applies to query input, text fields match lower-cased
tokens). Case folding follows Python's ``re.IGNORECASE`` (the oracle): ``s`` also matches
U+017F (long s), ``i`` also U+0130 and U+0131, ``k`` also U+212A (Kelvin sign). Semantic rows
give what the Sigma rule means for an event (Sigma specification: values ignore case unless
``|cased``, ``|re`` searches case-sensitively, an atom on a missing field is false) and assert
that both the oracle and the Lucene engine model running the emitted query answer it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.processing.pipeline import ProcessingPipeline

from converter.engines import engine
from converter.oracle import Oracle
from converter.schema.model import FieldSpec, Schema
from converter.targets.lucene_parity import LuceneParityBackend
from converter.targets.lucene_ranges import integer_regexp, ipv4_regexp

SCHEMA = Schema(
    {
        "k": FieldSpec("k", "keyword"),
        "k2": FieldSpec("k2", "keyword"),
        "w": FieldSpec("w", "wildcard"),
        "cn": FieldSpec("cn", "keyword", normalizer="lowercase"),
        "c.caseless": FieldSpec("c.caseless", "keyword", normalizer="lowercase"),
        "t": FieldSpec("t", "text"),
        "ps": FieldSpec("ps", "text", analyzer="powershell_script"),
        "tk": FieldSpec("tk", "text"),
        "tk.raw": FieldSpec("tk.raw", "keyword"),
        "n": FieldSpec("n", "long"),
        "ip": FieldSpec("ip", "ip"),
        "b": FieldSpec("b", "boolean"),
    },
    "test",
)


def rule(sel: Any, condition: str = "sel", **more: Any) -> SigmaCollection:
    detection = {"sel": sel, **more, "condition": condition}
    return SigmaCollection.from_dicts(
        [
            {
                "title": "Lucene parity test",
                "id": "6a0f3c52-1b7e-4d0a-9c35-2f8e9b1d4a70",
                "status": "test",
                "logsource": {"product": "test", "category": "test"},
                "detection": detection,
            }
        ]
    )


def convert(collection: SigmaCollection) -> tuple[str, list[tuple[str, str]]]:
    """The query and the distinct (cause, direction) of its warnings."""
    backend = LuceneParityBackend(ProcessingPipeline(), schema=SCHEMA)
    backend.conversion_warnings = []
    query = str(backend.convert(collection)[0])
    warned = sorted({(w.cause, str(w.direction)) for w in backend.conversion_warnings})
    return query, warned


def over(cause: str) -> list[tuple[str, str]]:
    return [(cause, "over-match")]


def under(cause: str) -> list[tuple[str, str]]:
    return [(cause, "under-match")]


QUERIES = [
    # T1: keyword fields compare case-sensitively: letters become both-case classes
    pytest.param({"k": "foo"}, "k:/[Ff][Oo][Oo]/", [], id="T1-folded-literal"),
    pytest.param({"k|endswith": "\\x.exe"}, r"k:/.*\\[Xx]\.[Ee][Xx][Ee]/", [], id="T1-folded"),
    pytest.param({"w|contains": "ab"}, "w:/.*[Aa][Bb].*/", [], id="T1-wildcard-type"),
    pytest.param({"k": "4624"}, "k:4624", [], id="no-letters-plain-term"),
    pytest.param({"k": "su"}, "k:/[Ss\u017f][Uu]/", [], id="T1-python-folds-long-s"),
    # a normalized field, or a normalized multi-field of the rule's field, ignores case itself
    pytest.param({"cn": "Foo"}, "cn:Foo", [], id="T1-normalizer"),
    pytest.param({"c|endswith": "\\X"}, r"c.caseless:*\\X", [], id="T1-caseless-variant"),
    # LowerCaseFilter keeps final and medial sigma apart, re.IGNORECASE joins all three: the
    # case-folded regexp on the parent; a normalized field without one finds a subset
    pytest.param(
        {"c|endswith": "\\\u03c2"}, "c:/.*\\\\[\u03a3\u03c2\u03c3]/", [], id="T1-uneven-parent"
    ),
    pytest.param(
        {"cn": "\u03c2"}, "cn:\u03c2", under("T1 non-ASCII case folding"), id="T1-uneven-cn"
    ),
    # |cased: a field that keeps case (the parent of a .caseless multi-field), else warned
    pytest.param({"k|cased": "Foo"}, "k:Foo", [], id="cased"),
    pytest.param({"c.caseless|cased": "Foo"}, "c:Foo", [], id="cased-parent"),
    pytest.param({"cn|cased": "Foo"}, "cn:Foo", over("T1 |cased"), id="cased-no-variant"),
    # wildcards: ? is one character, a literal * or ? is escaped (exact)
    pytest.param({"k": "a?b"}, "k:/[Aa].[Bb]/", [], id="T3-single-wildcard"),
    pytest.param({"k": "a\\*b"}, r"k:/[Aa]\*[Bb]/", [], id="literal-star"),
    pytest.param({"cn": "a\\?b"}, r"cn:a\?b", [], id="literal-question-term"),
    # T11: an unquoted term starting with < or > is a range even when escaped
    pytest.param({"k": ">5"}, 'k:">5"', [], id="T11-quoted"),
    pytest.param({"k|cased": ">a\\?"}, 'k:">a?"', [], id="T11-quoted-literal-question"),
    pytest.param({"cn|startswith": ">a"}, r"cn:/\>a.*/", [], id="T11-pattern-regexp"),
    pytest.param({"k": ""}, 'k:""', [], id="empty-string"),
    # whitespace ends a query_string term unless escaped (QueryParser.jj _WHITESPACE)
    pytest.param({"k|cased": "\t"}, "k:\\\t", [], id="tab-escaped"),
    pytest.param({"cn": "a\n\r\u3000"}, "cn:a\\\n\\\r\\\u3000", [], id="whitespace-escaped"),
    # a whole term AND, OR or NOT is an operator: its first letter escaped (QueryParser.jj)
    pytest.param({"k|cased": "NOT"}, r"k:\NOT", [], id="operator-word-escaped"),
    pytest.param({"k|cased": ["OR", "AND*"]}, r"k:(\OR OR AND*)", [], id="operator-word-list"),
    # a regexp ending in an escaped backslash would swallow its closing slash
    pytest.param({"k|endswith": "x\\"}, r"k:/.*[Xx][\\]/", [], id="trailing-backslash"),
    # numbers, comparisons (T18)
    pytest.param({"n": 5}, "n:5", [], id="number"),
    pytest.param({"n|gt": 5}, "n:>5", [], id="compare-numeric"),
    pytest.param(
        {"k|gte": 1000},
        "k:/(<1000-9999>|[1-9][0-9]{4,})/",
        under("T18 number as text"),
        id="T18-compare-keyword",
    ),
    pytest.param({"n": "-"}, r"n:\-", under("T15 field type"), id="text-on-long"),
    # ip fields (T15)
    pytest.param({"ip|cidr": "10.0.0.0/8"}, r"ip:10.0.0.0\/8", [], id="cidr"),
    pytest.param({"ip|startswith": "10."}, r"ip:10.0.0.0\/8", [], id="ip-prefix"),
    pytest.param({"ip": "-"}, r"ip:\-", under("T15 field type"), id="dash-on-ip"),
    pytest.param(
        {"k|cidr": "10.1.2.0/24"},
        r"k:/10\.1\.2\.(<0-9>|<10-99>|<100-255>)/",
        [],
        id="cidr-on-keyword",
    ),
    pytest.param({"k|cidr": "::1/128"}, "k:/::1/", under("T15 cidr"), id="ipv6-cidr-keyword"),
    # text fields (T15): tokens; *run* of token characters is exact
    pytest.param({"t|contains": "foo"}, "t:*foo*", [], id="T15-text-contains-token"),
    pytest.param(
        {"t|contains": "foo bar"}, "(t:*foo AND t:bar*)", over("T15 text field"), id="T15-phrase"
    ),
    pytest.param({"t": "Foo"}, "t:foo", over("T15 text field"), id="T15-equals-token"),
    pytest.param({"t|contains": "("}, "_exists_:t", over("T15 text field"), id="T15-no-token"),
    pytest.param(
        {"ps|contains": "Get-Item -Path"},
        r"(ps:*get\-item AND ps:\-path*)",
        over("T15 text field"),
        id="T15-pattern-analyzer",
    ),
    pytest.param({"tk": "Foo"}, "tk.raw:/[Ff][Oo][Oo]/", [], id="text-keyword-subfield"),
    pytest.param({"k": "*"}, "k:*", [], id="lone-wildcard-exists"),
    # regular expressions (T6, T7): whole value, so unanchored patterns get .*
    pytest.param({"k|re": "foo"}, "k:/.*foo.*/", [], id="T6-regex-unanchored"),
    pytest.param({"k|re|i": "ab"}, "k:/.*[Aa][Bb].*/", [], id="T7-regex-ignore-case"),
    pytest.param({"c.caseless|re": "Fo"}, "c:/.*Fo.*/", [], id="regex-on-parent"),
    pytest.param({"k|re": "\\bfoo"}, "k:/.*foo.*/", over("T7 regex dialect"), id="regex-widened"),
    pytest.param(
        {"t|re": "Invoke-(Expression|Command)"},
        "(t:*invoke* AND (t:*expression* OR t:*command*))",
        [("T15 text field", "over-match"), ("T6/T7 regex", "over-match")],
        id="regex-on-text-literals",
    ),
    # keywords: every field, case folded (text fields per token: under-match)
    pytest.param(["foo"], "/.*[Ff][Oo][Oo].*/", under("keyword search"), id="keyword"),
    # windash: one parenthesised list
    pytest.param(
        {"k|windash|contains": "-f"},
        "(k:(/.*\\-[Ff].*/ OR /.*\\/[Ff].*/ OR /.*\u2013[Ff].*/ OR /.*\u2014[Ff].*/"
        " OR /.*\u2015[Ff].*/))",
        [],
        id="windash",
    ),
]


@pytest.mark.parametrize(("sel", "expected", "warned"), QUERIES)
def test_query(sel: Any, expected: str, warned: list[tuple[str, str]]) -> None:
    assert convert(rule(sel)) == (expected, warned)


NEGATION = [
    # T10: a negative clause anywhere but inside an AND subtracts from an explicit *:*
    pytest.param("sel or not flt", "k:1 OR (*:* AND NOT k2:2)", id="T10-or-not"),
    pytest.param("not sel", "*:* AND NOT k:1", id="top-level-not"),
    pytest.param("sel and not flt", "k:1 AND (NOT k2:2)", id="and-not"),
    pytest.param("not (sel or flt)", "*:* AND NOT (k:1 OR k2:2)", id="not-group"),
    pytest.param("not not sel", "*:* AND NOT (*:* AND NOT k:1)", id="double-not"),
    pytest.param("sel or nul", "k:1 OR (*:* AND NOT _exists_:k3)", id="T10-or-null"),
    pytest.param("sel and nul", "k:1 AND (NOT _exists_:k3)", id="and-null"),
    pytest.param("not nul", "_exists_:k3", id="not-null"),
    pytest.param("sel or gone", "k:1 OR (*:* AND NOT _exists_:k4)", id="T10-or-not-exists"),
    pytest.param("sel and gone", "k:1 AND NOT _exists_:k4", id="and-not-exists"),
]


@pytest.mark.parametrize(("condition", "expected"), NEGATION)
def test_negation(condition: str, expected: str) -> None:
    collection = rule(
        {"k": 1}, condition, flt={"k2": 2}, nul={"k3": None}, gone={"k4|exists": False}
    )
    assert convert(collection) == (expected, [])


def test_warning_direction_flips_under_not() -> None:
    query, warned = convert(rule({"k": 1}, "sel and not flt", flt={"t": "Foo"}))
    assert (query, warned) == ("k:1 AND (NOT t:foo)", under("T15 text field"))


UNSUPPORTED = [
    pytest.param({"k|fieldref": "k2"}, "field references", id="fieldref"),
]


@pytest.mark.parametrize(("sel", "reason"), UNSUPPORTED)
def test_unsupported(sel: Any, reason: str) -> None:
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match=reason):
        convert(rule(sel))


SEMANTICS = [
    # (selection, event, what the Sigma rule means for the event)
    pytest.param({"k": "foo"}, {"k": "FOO"}, True, id="T1-case-ignored"),
    pytest.param({"k": "foo"}, {"k": "FOOx"}, False, id="T1-whole-value"),
    pytest.param({"c|endswith": "\\Cmd.exe"}, {"c": "C:\\CMD.EXE"}, True, id="T1-caseless"),
    pytest.param({"k|cased": "Foo"}, {"k": "foo"}, False, id="T1-cased"),
    pytest.param({"c.caseless|cased": "Foo"}, {"c": "FOO"}, False, id="T1-cased-parent"),
    pytest.param({"k": "a\\*b"}, {"k": "A*B"}, True, id="literal-star"),
    pytest.param({"k": "a\\*b"}, {"k": "axb"}, False, id="star-not-wildcard"),
    pytest.param({"k": "a?c"}, {"k": "aBc"}, True, id="T3-question-wildcard"),
    pytest.param({"k": "a?c"}, {"k": "abbc"}, False, id="T3-one-character"),
    pytest.param({"k": ">5"}, {"k": ">5"}, True, id="T11-range-char-literal"),
    pytest.param({"k": ">5"}, {"k": "7"}, False, id="T11-no-range"),
    pytest.param({"k|cased": ">\\*"}, {"k": ">*"}, True, id="T11-literal-star"),
    pytest.param({"k|endswith": "x\\"}, {"k": "AX\\"}, True, id="trailing-backslash"),
    pytest.param({"k|re": "oo"}, {"k": "foo"}, True, id="T6-regex-searches"),
    pytest.param({"k|re": "^fo"}, {"k": "xfoo"}, False, id="T6-regex-anchor"),
    pytest.param({"k|re": "FOO"}, {"k": "foo"}, False, id="T7-regex-case"),
    pytest.param({"k|re|i": "FOO"}, {"k": "xfoo"}, True, id="T7-regex-i"),
    pytest.param({"k|gte": 1000}, {"k": "999"}, False, id="T18-not-string-order"),
    pytest.param({"k|gte": 1000}, {"k": "1000"}, True, id="T18-bound"),
    pytest.param({"k|cidr": "172.16.0.0/12"}, {"k": "172.31.255.255"}, True, id="cidr-top"),
    pytest.param({"k|cidr": "172.16.0.0/12"}, {"k": "172.32.0.0"}, False, id="cidr-past-top"),
    pytest.param({"k|cidr": "10.0.0.0/8"}, {"k": "10.2.3.04"}, False, id="cidr-leading-zero"),
    pytest.param({"ip|startswith": "10."}, {"ip": "100.1.1.1"}, False, id="T15-ip-prefix"),
    pytest.param({"t|contains": "foo"}, {"t": "a FOO b"}, True, id="T15-text-token"),
    pytest.param({"tk": "Foo"}, {"tk": "FOO"}, True, id="text-keyword-subfield"),
    pytest.param(["foo"], {"k": "xFOOx"}, True, id="keyword"),
    pytest.param({"c|contains": "\u03c2"}, {"c": "x\u03a3x"}, True, id="T1-final-sigma"),
    pytest.param({"c": "\u0130"}, {"c": "i"}, True, id="T1-dotted-capital-i"),
    pytest.param({"c": "\u0130"}, {"c": "i\u0307"}, False, id="T1-dotted-i-one-char"),
    pytest.param({"k|cased": "\t"}, {"k": "\t"}, True, id="tab-value"),
    pytest.param({"k|cased": "\t"}, {"k": ""}, False, id="tab-not-empty"),
    pytest.param({"k|cased": "OR"}, {"k": "OR"}, True, id="operator-word-value"),
]


def _answers(collection: SigmaCollection, event: dict[str, Any]) -> tuple[bool, bool]:
    query, _ = convert(collection)
    compiled = engine("lucene", SCHEMA).compile(query)
    return Oracle.from_rule(collection.rules[0]).matches(event), compiled.matches(event)


@pytest.mark.parametrize(("sel", "event", "meaning"), SEMANTICS)
def test_semantics(sel: Any, event: dict[str, Any], meaning: bool) -> None:
    assert _answers(rule(sel), event) == (meaning, meaning)


@pytest.mark.parametrize(
    ("condition", "event", "meaning"),
    [
        pytest.param("sel or not flt", {"k": "1", "k2": "2"}, True, id="T10-left-alone"),
        pytest.param("sel or not flt", {"k2": "3"}, True, id="T10-right-alone"),
        pytest.param("sel or not flt", {"k2": "2"}, False, id="T10-neither"),
        pytest.param("sel or nul", {"k3": "x"}, False, id="T10-null-present"),
        pytest.param("sel or nul", {"k2": "x"}, True, id="T10-null-absent"),
        pytest.param("sel and not flt", {"k": "1"}, True, id="T8-missing-under-not"),
    ],
)
def test_negation_semantics(condition: str, event: dict[str, Any], meaning: bool) -> None:
    collection = rule({"k": 1}, condition, flt={"k2": 2}, nul={"k3": None})
    assert _answers(collection, event) == (meaning, meaning)


@pytest.mark.parametrize(
    ("sel", "event", "oracle", "lucene"),
    [
        # a superset: the token approximation also matches values Sigma does not
        pytest.param({"t|contains": "foo bar"}, {"t": "foo, bar"}, False, True, id="T15-over"),
        # a subset: text fields are searched per token by keywords
        pytest.param(["a b"], {"t": "a b"}, True, False, id="keyword-under"),
    ],
)
def test_warned_direction_holds(
    sel: Any, event: dict[str, Any], oracle: bool, lucene: bool
) -> None:
    assert _answers(rule(sel), event) == (oracle, lucene)


@pytest.mark.parametrize(
    ("low", "high"),
    [(0, None), (None, 999), (1000, None), (-20, 35), (5, 5), (None, -5), (-1000, None)],
)
def test_integer_regexp_is_the_range(low: int | None, high: int | None) -> None:
    """Every integer in -3000..3000 in its canonical text matches exactly when in range; other
    spellings of numbers never match."""
    body = integer_regexp(low, high)
    assert body is not None
    compiled = engine("lucene", SCHEMA).compile(f"k:/{body}/")
    for n in range(-3000, 3001):
        inside = (low is None or n >= low) and (high is None or n <= high)
        assert compiled.matches({"k": str(n)}) is inside, n
    assert not any(compiled.matches({"k": t}) for t in ("007", "+5", "-0", "5.0", "1e3", " 5"))


@pytest.mark.parametrize(
    ("network", "inside", "outside"),
    [
        ("172.16.0.0/12", ["172.16.0.0", "172.31.255.255"], ["172.32.0.0", "172.15.0.1"]),
        ("192.168.1.128/25", ["192.168.1.128", "192.168.1.255"], ["192.168.1.127"]),
        ("10.0.0.0/8", ["10.0.0.9", "10.99.100.255"], ["10.0.0.09", "10.256.0.0", "100.0.0.1"]),
    ],
)
def test_ipv4_regexp(network: str, inside: list[str], outside: list[str]) -> None:
    body = ipv4_regexp(ipaddress.IPv4Network(network))
    compiled = engine("lucene", SCHEMA).compile(f"k:/{body}/")
    assert [compiled.matches({"k": a}) for a in inside + outside] == [True] * len(inside) + [
        False
    ] * len(outside)
