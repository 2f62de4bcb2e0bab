"""ES|QL parity backend: one row per construct.

Expected queries are written from the ES|QL reference
(https://www.elastic.co/docs/reference/query-languages/esql/): comparisons, LIKE and RLIKE are
case-sensitive, so Sigma's case-insensitive values compare ``TO_LOWER(field)`` with the lower-cased
value (string functions); LIKE takes ``*``/``?`` and escapes with ``\\``, written ``\\\\`` inside a
string (operators ``LIKE``); strings escape only ``\\t \\n \\r \\" \\\\``; names outside
``[a-z_@][a-z0-9_]*`` or spelled like keywords are back-quoted (esql-syntax "Identifiers"); a
predicate on a missing field is null and NOT keeps it null (esql-null-values); CIDR_MATCH and
TO_STRING from the ip and type-conversion functions. Semantic rows give the Sigma meaning of a rule
for an event and assert that both the oracle and the ES|QL engine model running the emitted query
answer it.
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
from converter.targets.esql_parity import EsqlParityBackend

SCHEMA = Schema(
    {
        "k": FieldSpec("k", "keyword"),
        "k2": FieldSpec("k2", "keyword"),
        "cn": FieldSpec("cn", "keyword", normalizer="lowercase"),
        "c.caseless": FieldSpec("c.caseless", "keyword", normalizer="lowercase"),
        "t": FieldSpec("t", "text"),
        "n": FieldSpec("n", "long"),
        "ip": FieldSpec("ip", "ip"),
        "b": FieldSpec("b", "boolean"),
        "d": FieldSpec("d", "date"),
        "event.category": FieldSpec("event.category", "keyword"),
        "z.a.path": FieldSpec("z.a.path", "keyword"),
        "z.b.path": FieldSpec("z.b.path", "keyword"),
        "z.c.path": FieldSpec("z.c.path", "ip"),  # cannot hold the pattern rows' values
    },
    "test",
)
PREFIX = "from * metadata _id, _index, _version | where "


def rule(sel: Any, condition: str = "sel", **more: Any) -> SigmaCollection:
    detection = {"sel": sel, **more, "condition": condition}
    return SigmaCollection.from_dicts(
        [
            {
                "title": "ES|QL parity test",
                "id": "9c1f0e5a-2b7d-4c3e-8f6a-1d2e3f4a5b60",
                "status": "test",
                "logsource": {"product": "test", "category": "test"},
                "detection": detection,
            }
        ]
    )


def convert(collection: SigmaCollection) -> tuple[str, list[str]]:
    """The WHERE condition and the directions of the query's warnings."""
    backend = EsqlParityBackend(ProcessingPipeline(), schema=SCHEMA)
    backend.conversion_warnings = []
    query = str(backend.convert(collection)[0])
    assert query.startswith(PREFIX)
    return query.removeprefix(PREFIX), [w.direction for w in backend.conversion_warnings]


UNDER, OVER = ["under-match"], ["over-match"]

QUERIES = [
    # case-insensitive values: TO_LOWER(field) against the lower-cased value
    pytest.param({"k": "Foo"}, 'TO_LOWER(k) == "foo"', [], id="insensitive-equality"),
    pytest.param({"k": "4688"}, 'k == "4688"', [], id="no-letters-no-to-lower"),
    pytest.param({"k": 4688}, 'k == "4688"', [], id="number-on-keyword-is-text"),
    pytest.param({"k|contains": "X"}, 'TO_LOWER(k) like "*x*"', [], id="contains"),
    pytest.param({"k": ["A", "B"]}, 'TO_LOWER(k) in ("a", "b")', [], id="list"),
    pytest.param(
        {"k": ["A", "b*"]}, '(TO_LOWER(k) == "a" or TO_LOWER(k) like "b*")', [], id="mixed-list"
    ),
    pytest.param({"k": "a?b"}, 'TO_LOWER(k) like "a?b"', [], id="single-char-wildcard"),
    # TO_LOWER keeps final and medial sigma apart, re.IGNORECASE joins all three: RLIKE
    pytest.param(
        {"k|startswith": "\u03c2"}, 'k rlike "[\u03a3\u03c2\u03c3].*"', [], id="uneven-rlike"
    ),
    pytest.param(
        {"k": ["A", "\u017f"]},
        '(TO_LOWER(k) == "a" or k rlike "[Ss\u017f]")',
        [],
        id="uneven-in-list",
    ),
    # LIKE escapes: a literal backslash is \\ in the pattern, \\\\ in the string
    pytest.param(
        {"k|endswith": "\\cmd.exe"}, r'TO_LOWER(k) like "*\\\\cmd.exe"', [], id="like-backslash"
    ),
    pytest.param({"k": "a\\*b"}, 'TO_LOWER(k) == "a*b"', [], id="literal-star-equality"),
    pytest.param(
        {"k|contains": "a\\*b"}, r'TO_LOWER(k) like "*a\\*b*"', [], id="literal-star-in-like"
    ),
    pytest.param({"k": "x\\y"}, r'TO_LOWER(k) == "x\\y"', [], id="equality-backslash"),
    pytest.param({"k": 'say "hi"'}, r'TO_LOWER(k) == "say \"hi\""', [], id="quote-escaped"),
    # |cased: the plain case-sensitive forms
    pytest.param({"k|cased": "Foo"}, 'k == "Foo"', [], id="cased"),
    pytest.param({"k|cased": ["Foo", "Bar"]}, 'k in ("Foo", "Bar")', [], id="cased-list"),
    pytest.param({"k|cased|startswith": "Foo"}, 'k like "Foo*"', [], id="cased-wildcard"),
    pytest.param({"cn|cased": "Foo"}, 'cn == "Foo"', OVER, id="cased-on-normalized-field"),
    # text fields compare whole values (esql-limitations)
    pytest.param({"t": "Foo"}, 'TO_LOWER(t) == "foo"', [], id="text-field"),
    # numbers
    pytest.param({"n": 5}, "n == 5", [], id="number"),
    pytest.param({"n": "5"}, "n == 5", [], id="numeric-text"),
    pytest.param({"n": [1, 2]}, "n in (1, 2)", [], id="number-list"),
    pytest.param({"n|startswith": "33"}, 'TO_STRING(n) like "33*"', [], id="number-pattern"),
    pytest.param({"n": "-"}, "false", UNDER, id="dash-on-long"),
    pytest.param({"n|gt": 5}, "n > 5", [], id="compare"),
    pytest.param({"k|gt": 5}, "TO_DOUBLE(k) > 5", [], id="compare-keyword"),
    pytest.param({"u|gt": 5}, "u > 5", [], id="compare-unknown"),
    # ip fields
    pytest.param({"ip": "10.1.2.3"}, 'ip == "10.1.2.3"', [], id="address"),
    # a prefix as a network: text that is no address ("10.x") matches Sigma's pattern only
    pytest.param({"ip|startswith": "10."}, 'CIDR_MATCH(ip, "10.0.0.0/8")', UNDER, id="ip-prefix"),
    pytest.param(
        {"ip|cidr": ["10.0.0.0/8", "192.168.0.0/16"]},
        'CIDR_MATCH(ip, "10.0.0.0/8", "192.168.0.0/16")',
        [],
        id="cidr-list",
    ),
    pytest.param({"ip": "-"}, "false", UNDER, id="dash-on-ip"),
    pytest.param(
        {"k|cidr": "10.1.2.0/24"},
        r'k rlike "10\\.1\\.2\\.([0-9]|[1-9][0-9]|1[0-9][0-9]|2(0[0-9]|[1-4][0-9]|5[0-5]))"',
        [],
        id="cidr-on-keyword",
    ),
    pytest.param({"k|cidr": "::1/128"}, "false", UNDER, id="ipv6-cidr-on-keyword"),
    # booleans
    pytest.param({"b": "True"}, "b == true", [], id="boolean"),
    # fields
    pytest.param({"c.caseless": "Foo"}, 'TO_LOWER(c) == "foo"', [], id="caseless-parent"),
    pytest.param({"a-b": "1"}, '`a-b` == "1"', [], id="quoted-name"),
    pytest.param({"f.in": "1"}, 'f.`in` == "1"', [], id="reserved-segment"),
    pytest.param({"z.*.path": "1"}, '(z.a.path == "1" or z.b.path == "1")', [], id="pattern"),
    pytest.param(
        {"event.category": "Process"},
        'TO_LOWER(event.category) == "process"',
        UNDER,
        id="multi-valued-field",
    ),
    pytest.param(
        {"z.*.path": "10.1.2.3"},
        '(z.a.path == "10.1.2.3" or z.b.path == "10.1.2.3" or z.c.path == "10.1.2.3")',
        [],
        id="field-name-pattern-each-type",
    ),
    # presence
    pytest.param({"k|exists": True}, "k is not null", [], id="exists"),
    pytest.param({"k|exists": False}, "k is null", [], id="not-exists"),
    pytest.param({"k": None}, "k is null", [], id="null"),
    # regular expressions: RLIKE is whole-value Lucene RegExp
    pytest.param({"k|re": "foo"}, 'k rlike ".*foo.*"', [], id="regex-unanchored"),
    # constructs Lucene lacks are widened: a superset, declared as an over-match
    pytest.param({"k|re": "\\bfoo"}, 'k rlike ".*foo.*"', OVER, id="regex-word-boundary"),
    pytest.param({"k|re|i": "ab"}, 'k rlike ".*[Aa][Bb].*"', [], id="regex-ignore-case"),
    pytest.param({"k|re": "a\\.b$"}, r'k rlike ".*a\\.b\n?"', [], id="regex-escapes"),
    # field references
    pytest.param({"k|fieldref": "k2"}, "TO_LOWER(k) == TO_LOWER(k2)", [], id="fieldref"),
    pytest.param(
        {"k|fieldref|startswith": "k2"},
        "STARTS_WITH(TO_LOWER(k), TO_LOWER(k2))",
        [],
        id="fieldref-startswith",
    ),
    pytest.param(
        {"k|fieldref|endswith": "k2"},
        "ENDS_WITH(TO_LOWER(k), TO_LOWER(k2))",
        [],
        id="fieldref-endswith",
    ),
]


@pytest.mark.parametrize(("sel", "expected", "directions"), QUERIES)
def test_query(sel: Any, expected: str, directions: list[str]) -> None:
    assert convert(rule(sel)) == (expected, directions)


NEGATED = [
    # under not, a predicate on a missing field would be null and drop the row (T8)
    pytest.param(
        {"k": "a"},
        'TO_LOWER(k) == "x" and not (k is not null and TO_LOWER(k) == "a")',
        [],
        id="negated-presence",
    ),
    pytest.param(
        {"k|fieldref": "k2"},
        'TO_LOWER(k) == "x" and not (k is not null and k2 is not null and '
        "TO_LOWER(k) == TO_LOWER(k2))",
        [],
        id="negated-fieldref",
    ),
    pytest.param({"ip": "-"}, 'TO_LOWER(k) == "x" and not false', OVER, id="negated-dropped"),
    pytest.param({"k": None}, 'TO_LOWER(k) == "x" and not k is null', [], id="negated-null"),
    pytest.param(
        {"k|re": "\\bfoo"},
        'TO_LOWER(k) == "x" and not (k is not null and k rlike ".*foo.*")',
        UNDER,
        id="negated-widened-regex",
    ),
]


@pytest.mark.parametrize(("flt", "expected", "directions"), NEGATED)
def test_negated(flt: Any, expected: str, directions: list[str]) -> None:
    assert convert(rule({"k": "x"}, "sel and not flt", flt=flt)) == (expected, directions)


UNSUPPORTED = [
    pytest.param({"k|fieldref|contains": "k2"}, "substring", id="fieldref-contains"),
    pytest.param({"k|re": "x" * 1001}, "max_regex_length", id="regex-too-long"),
    pytest.param({"n|re": "5"}, "|re on n", id="regex-on-long"),
    pytest.param({"d": "x"}, "date field", id="date-field"),
    pytest.param(["foo"], "keyword", id="keywords"),
]


@pytest.mark.parametrize(("sel", "reason"), UNSUPPORTED)
def test_unsupported(sel: Any, reason: str) -> None:
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match=reason.replace("|", r"\|")):
        convert(rule(sel))


SEMANTICS = [
    pytest.param({"k": "foo"}, {"k": "FOO"}, True, id="T1-case-ignored"),
    pytest.param({"k|endswith": "\\CMD.exe"}, {"k": "C:\\cmd.EXE"}, True, id="T1-T13-like"),
    pytest.param({"k|endswith": "\\cmd.exe"}, {"k": "C:cmd.exe"}, False, id="T13-backslash"),
    pytest.param({"k|cased": "Foo"}, {"k": "foo"}, False, id="T1-cased"),
    pytest.param({"k": "a\\*b"}, {"k": "A*B"}, True, id="literal-star"),
    pytest.param({"k": "a\\*b"}, {"k": "axb"}, False, id="star-not-wildcard"),
    pytest.param({"k": "a?c"}, {"k": "aBc"}, True, id="T3-question-wildcard"),
    pytest.param({"k|re": "oo"}, {"k": "foo"}, True, id="T6-regex-searches"),
    pytest.param({"k|re": "FOO"}, {"k": "foo"}, False, id="regex-case"),
    pytest.param({"k|re|i": "FOO"}, {"k": "xfoo"}, True, id="regex-i"),
    pytest.param({"k": 4688}, {"k": "4688"}, True, id="T18-number-on-keyword"),
    pytest.param({"n": "5"}, {"n": 5}, True, id="T18-text-on-long"),
    pytest.param({"n|startswith": "33"}, {"n": 3389}, True, id="number-pattern"),
    pytest.param({"ip|cidr": "10.0.0.0/8"}, {"ip": "10.2.3.4"}, True, id="T15-cidr"),
    pytest.param({"ip|startswith": "10."}, {"ip": "100.1.1.1"}, False, id="T15-prefix"),
    pytest.param({"k|cidr": "10.0.0.0/8"}, {"k": "10.2.3.4"}, True, id="cidr-keyword"),
    pytest.param({"k|cidr": "10.0.0.0/8"}, {"k": "10.2.3.04"}, False, id="cidr-leading-zero"),
    pytest.param({"t": "Hello World"}, {"t": "hello world"}, True, id="text-whole-value"),
    pytest.param({"k|fieldref": "k2"}, {"k": "Ab", "k2": "aB"}, True, id="fieldref-case"),
    pytest.param({"k|exists": False}, {"n": 1}, True, id="not-exists"),
    pytest.param({"k|startswith": "\u03c2"}, {"k": "\u03a3x"}, True, id="T1-final-sigma"),
    pytest.param({"t": "\u0130"}, {"t": "i"}, True, id="T1-dotted-capital-i"),
    pytest.param({"t": "\u0130"}, {"t": "i\u0307"}, False, id="T1-dotted-i-one-char"),
]


def _answers(collection: SigmaCollection, event: dict[str, Any]) -> tuple[bool, bool]:
    query, _ = convert(collection)
    compiled = engine("esql", SCHEMA).compile(PREFIX + query)
    return Oracle.from_rule(collection.rules[0]).matches(event), compiled.matches(event)


@pytest.mark.parametrize(("sel", "event", "meaning"), SEMANTICS)
def test_semantics(sel: Any, event: dict[str, Any], meaning: bool) -> None:
    assert _answers(rule(sel), event) == (meaning, meaning)


@pytest.mark.parametrize(
    ("flt", "event", "meaning"),
    [
        pytest.param({"k": "x"}, {"n": 1}, True, id="T8-missing-field-under-not"),
        pytest.param({"k": "x"}, {"n": 1, "k": "X"}, False, id="T8-present-field-under-not"),
        pytest.param({"k|fieldref": "k2"}, {"n": 1, "k": "a"}, True, id="T8-fieldref-missing"),
        pytest.param({"k|re": "x"}, {"n": 1}, True, id="T8-regex-missing"),
    ],
)
def test_negation_semantics(flt: Any, event: dict[str, Any], meaning: bool) -> None:
    collection = rule({"n": 1}, "sel and not flt", flt=flt)
    assert _answers(collection, event) == (meaning, meaning)
