"""KQL engine model: parse trees, Query DSL translation, evaluation, must-reject.

Expected values come from Kibana's documentation and source, never from this code's output:
KQL = https://www.elastic.co/docs/reference/query-languages/kql (elastic/elasticsearch
docs/reference/query-languages/kql.md); GRAMMAR = elastic/kibana src/platform/packages/shared/
kbn-es-query/src/kuery/grammar/grammar.peggy; AST_TEST = .../kuery/ast/ast.test.ts; IS = .../kuery/
functions/is.ts; WILDCARD = .../kuery/node_types/wildcard.ts; QS = query_string reference
(https://www.elastic.co/docs/reference/query-languages/query-dsl/query-dsl-query-string-query).
Trap numbers refer to research/SEMANTICS.md §8.
"""

from __future__ import annotations

from typing import Any

import pytest

from converter.engines import dsl
from converter.engines.base import QueryRejected
from converter.engines.kql import KqlEngine, parse
from converter.engines.kql import ast as k
from converter.schema.model import FieldSpec, Schema

F, L, P = k.Is, k.Literal, k.Pattern
NONE = L(None)


def _schema() -> Schema:
    """The fields of the KQL reference's examples, typed as the examples describe them."""
    specs = [
        FieldSpec("http.request.method", "keyword"),
        FieldSpec("http.response.status_code", "keyword"),
        FieldSpec("http.response.bytes", "long"),
        FieldSpec("http.request.body.content", "text"),
        FieldSpec("http.request.referrer", "keyword"),
        FieldSpec("@timestamp", "date"),
        FieldSpec("datastream.type", "keyword"),
        FieldSpec("datastream.dataset", "keyword"),
    ]
    return Schema({s.name: s for s in specs}, "kql docs")


# ---------------------------------------------------------------------------- parse trees
PARSE = [
    # AST_TEST "should return a match all is function for whitespace"
    ("whitespace", "  ", F(P(("", "")), P(("", "")))),
    ("single-literal", "foo", F(NONE, L("foo"))),  # AST_TEST null field
    ("trim", "  foo ", F(NONE, L("foo"))),  # AST_TEST extraneous whitespace
    ("no-split", "foo bar", F(NONE, L("foo bar"))),  # AST_TEST should not split on whitespace
    ("and", "foo and bar", k.And((F(NONE, L("foo")), F(NONE, L("bar"))))),
    ("nbsp", "foo and\u00a0bar", k.And((F(NONE, L("foo")), F(NONE, L("bar"))))),
    ("or-flat", "foo or bar or baz", k.Or(tuple(F(NONE, L(v)) for v in ("foo", "bar", "baz")))),
    ("not-group", "not (foo or bar)", k.Not(k.Or((F(NONE, L("foo")), F(NONE, L("bar")))))),
    (
        "and-over-or",  # AST_TEST "and" should have a higher precedence than "or"
        "foo or bar and baz or qux",
        k.Or(
            (
                F(NONE, L("foo")),
                k.And((F(NONE, L("bar")), F(NONE, L("baz")))),
                F(NONE, L("qux")),
            )
        ),
    ),
    ("field", "foo:bar", F(L("foo"), L("bar"))),
    ("field-spaces", "foo:bar baz", F(L("foo"), L("bar baz"))),
    ("phrase", 'foo:"bar baz"', F(L("foo"), L("bar baz", quoted=True))),
    ("list", "foo:(bar or baz)", k.Or((F(L("foo"), L("bar")), F(L("foo"), L("baz"))))),
    (
        "list-and-not",
        "foo:((bar or baz) and not qux)",
        k.And(
            (
                k.Or((F(L("foo"), L("bar")), F(L("foo"), L("baz")))),
                k.Not(F(L("foo"), L("qux"))),
            )
        ),
    ),
    ("range-gt", "bytes > 1000", k.RangeOp(L("bytes"), "gt", L("1000"))),
    ("range-lte", "bytes <= 8000", k.RangeOp(L("bytes"), "lte", L("8000"))),
    ("field-wildcard", "machine*:osx", F(P(("machine", "")), L("osx"))),
    ("value-wildcard", "foo:ba*", F(L("foo"), P(("ba", "")))),
    ("exists", "foo:*", F(L("foo"), P(("", "")))),
    (
        "nested",
        "nestedField:{ childOfNested: foo }",
        k.Nested(L("nestedField"), F(L("childOfNested"), L("foo"))),
    ),
    # AST_TEST fromLiteralExpression: typed literals, numbers stay strings
    ("true", "f:true", F(L("f"), L(True))),
    ("null", "f:null", F(L("f"), L(None))),
    ("number-string", "f:-4", F(L("f"), L("-4"))),
    # AST_TEST "should allow escaping of special characters with a backslash"
    ("escapes", 'f:\\\\\\(\\)\\:\\<\\>\\"\\*', F(L("f"), L('\\():<>"*'))),
    ("escaped-unicode", "f:\\u0041", F(L("f"), L("A"))),
    ("escaped-backslash-u", "f:\\\\u00A0", F(L("f"), L("\\u00A0"))),  # AST_TEST
    ("quoted-unicode", 'f:"\\\\u00A0"', F(L("f"), L("\\u00A0", quoted=True))),  # AST_TEST
    ("quoted-no-wildcard", 'f:"a*"', F(L("f"), L("a*", quoted=True))),  # T11
    ("quoted-other-backslash", 'f:"a\\qb"', F(L("f"), L("a\\qb", quoted=True))),  # GRAMMAR
    ("quoted-tab", 'f:"a\\tb"', F(L("f"), L("a\tb", quoted=True))),
    ("escaped-keyword", "f:\\and x", F(L("f"), L("and x"))),
    # GRAMMAR: EscapedWhitespace is tried before EscapedKeyword, so \not is newline + "ot"
    ("escaped-not-is-newline", "f:a\\not", F(L("f"), L("a\not"))),
    ("keyword-inside-word", "f:foo orange", F(L("f"), L("foo orange"))),
    ("or-at-end-is-text", "f:x  or", F(L("f"), L("x  or"))),
    ("question-mark-literal", "f:cmd?exe", F(L("f"), L("cmd?exe"))),  # T3: only * is a wildcard
    ("f-or-bare", "f:a or b", k.Or((F(L("f"), L("a")), F(NONE, L("b"))))),
    ("upper-keywords", "NOT a:1 AND b:2", k.And((k.Not(F(L("a"), L("1"))), F(L("b"), L("2"))))),
]


@pytest.mark.parametrize(("query", "tree"), [r[1:] for r in PARSE], ids=[r[0] for r in PARSE])
def test_parse(query: str, tree: k.Node) -> None:
    assert parse(query) == tree


# ---------------------------------------------------------------------------- must reject
REJECT = [
    ("brace-outside-nested", "f:a{b}"),  # GRAMMAR: { } are special characters
    ("brace-at-start", "{f:a}"),
    ("brace-in-value", "f:a}"),
    ("unbalanced-open", "(f:a"),
    ("unbalanced-close", "f:a)"),
    ("unclosed-quote", 'f:"a'),
    ("escaped-closing-quote", 'f:"a\\"'),  # PEG does not backtrack into the escape
    ("keyword-split", "f:cannot open"),  # T14: the value stops before "not "
    ("not-inside-value", "f:a not b"),
    ("double-not", "not not f:a"),  # NotQuery takes a SubQuery, not a NotQuery
    ("lucene-range-syntax", "f:>5"),
    ("dangling-and", "f:a and "),
    ("dangling-or-list", "f:(a or )"),
    ("invalid-escape", "f:\\x"),
    ("short-unicode", "f:\\u12"),
    ("trailing-backslash", "f:a\\"),
    ("empty-list", "f:()"),
    ("no-field", ":a"),
    ("no-value", "f:"),
    ("two-colons", "f:a:b"),
    ("missing-operator", "a:b c:d"),
    ("juxtaposed-phrases", 'f:"a" "b"'),
    ("upper-case-escape", "f:\\T"),
    # Elasticsearch fails the search: wildcard queries only on keyword and text fields
    ("wildcard-on-long", "process.pid:*1*"),
    ("number-on-long", "process.pid:abc"),
    ("null-value", "f:null"),  # open point kql-null-value
]


@pytest.mark.parametrize("query", [r[1] for r in REJECT], ids=[r[0] for r in REJECT])
def test_rejected(query: str) -> None:
    with pytest.raises(QueryRejected):
        KqlEngine().compile(query)


# ---------------------------------------------------------------------------- Query DSL
def _qs_split(field: str) -> dsl.Query:
    return dsl.Bool(should=(dsl.Exists(field), dsl.Prefix(field, "curl")))


DSL = [
    # IS: no data view field types (detection rules) -> match / match_phrase / query_string
    ("rule-literal", "f:a", False, dsl.Match("f", "a")),
    ("rule-phrase", 'f:"a b"', False, dsl.MatchPhrase("f", "a b")),
    ("rule-exists", "f:*", False, dsl.Exists("f")),
    ("match-all", "*:*", False, dsl.MatchAll()),
    ("empty", "", False, dsl.MatchAll()),
    ("rule-prefix", "f:a-b*", False, dsl.Prefix("f", "a-b")),  # QS prefix drops the escapes
    ("rule-wildcard", "f:*a-b*", False, dsl.Wildcard("f", "*a\\-b*")),  # WILDCARD escaping
    ("rule-bool", "f:true", False, dsl.Match("f", True)),
    ("escaped-star", "f:\\*", False, dsl.Match("f", "*")),
    # T14: whitespace is not escaped for query_string, so "* curl*" is two clauses
    ("whitespace-split", "f:* curl*", False, _qs_split("f")),
    (
        "escaped-NOT-operator",  # \NOT keeps the word, which query_string reads as its NOT
        "f:*a \\NOT b*",
        False,
        dsl.Bool(should=(dsl.Wildcard("f", "*a"),), must_not=(dsl.Prefix("f", "b"),)),
    ),
    # IS: a keyword-only data-view field gets term / wildcard (pattern kept whole: no split)
    ("view-term", "http.request.method:GET", True, dsl.Term("http.request.method", "GET")),
    (
        "view-wildcard",
        "http.request.method:G* T",
        True,
        dsl.Wildcard("http.request.method", "G* T"),
    ),
    (
        "view-text-match",
        "http.request.body.content:null pointer",
        True,
        dsl.Match("http.request.body.content", "null pointer"),
    ),
    (
        "view-date",
        '@timestamp:"2018-04-03"',
        True,
        dsl.Range("@timestamp", gte="2018-04-03", lte="2018-04-03"),
    ),
    ("range", "http.response.bytes < 10000", True, dsl.Range("http.response.bytes", lt="10000")),
    ("not", "not f:a", False, dsl.Bool(must_not=(dsl.Match("f", "a"),))),
    (
        "list",
        "f:(a or b)",
        False,
        dsl.Bool(should=(dsl.Match("f", "a"), dsl.Match("f", "b")), minimum_should_match=1),
    ),
    ("and", "f:a and g:b", False, dsl.Bool(must=(dsl.Match("f", "a"), dsl.Match("g", "b")))),
    # IS: no field -> multi_match (lenient) or query_string over the default field `*`
    ("all-fields", "foo", False, dsl.AllFields(dsl.Match("*", "foo"))),
    ("all-fields-phrase", '"foo bar"', False, dsl.AllFields(dsl.MatchPhrase("*", "foo bar"))),
    ("all-fields-wildcard", "fo*", False, dsl.AllFields(dsl.Prefix("*", "fo"))),
    ("all-fields-star", "*", False, dsl.MatchAll()),
    # KQL "Matching multiple fields": the data view's matching fields, OR'd
    (
        "view-field-pattern",
        "datastream.*: logs",
        True,
        dsl.Bool(
            should=(dsl.Term("datastream.dataset", "logs"), dsl.Term("datastream.type", "logs")),
            minimum_should_match=1,
        ),
    ),
]


def _dsl_of(query: str, data_view: bool) -> dsl.Query:
    compiled = KqlEngine(_schema(), data_view=data_view).compile(query)
    return compiled.to_dsl({})


@pytest.mark.parametrize(
    ("query", "data_view", "expected"), [r[1:] for r in DSL], ids=[r[0] for r in DSL]
)
def test_dsl(query: str, data_view: bool, expected: dsl.Query) -> None:
    assert _dsl_of(query, data_view) == expected


def test_nested_prefixes_fields_and_declares_open_point() -> None:
    compiled = KqlEngine(_schema()).compile('user:{ first: "Alice" and last: "White" }')  # KQL
    expected = dsl.Bool(
        must=(dsl.MatchPhrase("user.first", "Alice"), dsl.MatchPhrase("user.last", "White"))
    )
    assert compiled.to_dsl({}) == expected
    assert "kql-nested-flattened" in compiled.assumptions


def test_field_pattern_literal_in_rule_context_is_open_point() -> None:
    compiled = KqlEngine(_schema()).compile("datastream.*: logs")
    assert compiled.to_dsl({}) == dsl.MatchNone()
    assert "kql-field-pattern-match" in compiled.assumptions


# ---------------------------------------------------------------------------- evaluation
Row = tuple[str, str, dict[str, Any], bool]
DOCS: list[Row] = [
    # KQL "Filter for documents where a field exists": any indexed value, including ""
    ("exists", "http.request.method: *", {"http.request.method": "GET"}, True),
    ("exists-empty-string", "http.request.method: *", {"http.request.method": ""}, True),
    ("exists-missing", "http.request.method: *", {}, False),
    # KQL "match a value": keyword is exact, including case
    ("keyword-exact", "http.request.method: GET", {"http.request.method": "GET"}, True),
    ("keyword-case", "http.request.method: GET", {"http.request.method": "get"}, False),
    # KQL: text is analysed, order does not matter unless quoted
    (
        "text-any-order",
        "http.request.body.content: null pointer",
        {"http.request.body.content": "pointer null"},
        True,
    ),
    (
        "text-phrase-order",
        'http.request.body.content: "null pointer"',
        {"http.request.body.content": "pointer null"},
        False,
    ),
    (
        "text-phrase",
        'http.request.body.content: "null pointer"',
        {"http.request.body.content": "a null pointer!"},
        True,
    ),
    # KQL: escaped colon == quoted
    (
        "escaped-colon",
        "http.request.referrer: https\\://example.com",
        {"http.request.referrer": "https://example.com"},
        True,
    ),
    (
        "quoted-colon",
        'http.request.referrer: "https://example.com"',
        {"http.request.referrer": "https://example.com"},
        True,
    ),
    ("range-lt", "http.response.bytes < 10000", {"http.response.bytes": 9999}, True),
    (
        "range-and",
        "http.response.bytes > 10000 and http.response.bytes <= 20000",
        {"http.response.bytes": 20000},
        True,
    ),
    (
        "range-and-out",
        "http.response.bytes > 10000 and http.response.bytes <= 20000",
        {"http.response.bytes": 10000},
        False,
    ),
    (
        "wildcard-prefix",
        "http.response.status_code: 4*",
        {"http.response.status_code": "404"},
        True,
    ),
    (
        "wildcard-prefix-no",
        "http.response.status_code: 4*",
        {"http.response.status_code": "500"},
        False,
    ),
    ("not", "NOT http.request.method: GET", {"http.request.method": "POST"}, True),
    (
        "or",
        "http.request.method: GET OR http.response.status_code: 400",
        {"http.response.status_code": "400"},
        True,
    ),
    (
        "and",
        "http.request.method: GET AND http.response.status_code: 400",
        {"http.request.method": "GET", "http.response.status_code": "200"},
        False,
    ),
    ("list", "http.request.method: (GET OR POST OR DELETE)", {"http.request.method": "POST"}, True),
    (
        "grouping",
        "(http.request.method: GET AND http.response.status_code: 200) OR\n"
        "(http.request.method: POST AND http.response.status_code: 400)",
        {"http.request.method": "POST", "http.response.status_code": "400"},
        True,
    ),
]


@pytest.mark.parametrize(
    ("query", "event", "expected"), [r[1:] for r in DOCS], ids=[r[0] for r in DOCS]
)
@pytest.mark.parametrize("data_view", [False, True], ids=["rule", "data-view"])
def test_documented_examples(
    query: str, event: dict[str, Any], expected: bool, data_view: bool
) -> None:
    assert KqlEngine(_schema(), data_view=data_view).matches(query, event) is expected


TRAPS: list[Row] = [
    # T1: keyword values are case-sensitive; a lowercase-normalized .caseless field is not
    ("T1-case", "process.name:CMD.EXE", {"process.name": "cmd.exe"}, False),
    ("T1-caseless", "process.name.caseless:cmd.exe", {"process.name.caseless": "CMD.EXE"}, True),
    (
        "T1-wildcard-case",
        "process.command_line:*WHOAMI*",
        {"process.command_line": "cmd /c whoami"},
        False,
    ),
    # T3: `?` is no wildcard in KQL (KQL: "Only * is currently supported"); WILDCARD escapes it
    ("T3-question-literal", "process.name:cmd?exe", {"process.name": "cmd.exe"}, False),
    ("T3-question-self", "process.name:cmd?exe", {"process.name": "cmd?exe"}, True),
    ("T3-pattern-question", "process.name:*cmd?exe", {"process.name": "xcmd.exe"}, False),
    # T8: not is bool.must_not, so an event without the field matches
    ("T8-not-missing", "not process.name:cmd.exe", {}, True),
    ("T8-not-exists-missing", "not process.name:*", {}, True),
    # T11: quotes make `*` literal
    ("T11-quoted-star", 'process.name:"cmd*"', {"process.name": "cmd.exe"}, False),
    ("T11-quoted-star-self", 'process.name:"cmd*"', {"process.name": "cmd*"}, True),
    # T14: the query_string of a wildcard splits at whitespace: `*foo` OR `bar*`
    (
        "T14-split-misses",
        "process.command_line:*foo bar*",
        {"process.command_line": "x foo bar y"},
        False,
    ),
    (
        "T14-split-overmatch",
        "process.command_line:*foo bar*",
        {"process.command_line": "barx"},
        True,
    ),
    ("T14-quoted-keeps-space", 'process.command_line:"a b"', {"process.command_line": "a b"}, True),
    # T15: ip fields take CIDR; text fields match tokens; values over ignore_above are not indexed
    ("T15-cidr", 'source.ip:"10.0.0.0/8"', {"source.ip": "10.1.2.3"}, True),
    ("T15-cidr-out", 'source.ip:"10.0.0.0/8"', {"source.ip": "11.1.2.3"}, False),
    (
        "T15-text-token",
        "powershell.command.value:mimikatz",
        {"powershell.command.value": "Invoke-Mimikatz -x"},
        True,
    ),
    ("T15-ignore-above", "user.name:*", {"user.name": "x" * 1100}, False),
    # T16: any value of a multi-valued field
    ("T16-any", "process.name:b", {"process.name": ["a", "b"]}, True),
    ("T16-not-any", "not process.name:b", {"process.name": ["a", "b"]}, False),
]


@pytest.mark.parametrize(
    ("query", "event", "expected"), [r[1:] for r in TRAPS], ids=[r[0] for r in TRAPS]
)
def test_traps(query: str, event: dict[str, Any], expected: bool) -> None:
    assert KqlEngine().matches(query, event) is expected


def test_field_pattern_expands_per_event() -> None:
    # exists on a field-name pattern: Elasticsearch expands it over the index's fields
    compiled = KqlEngine().compile("file.hash.*:*")
    assert compiled.matches({"file.hash.sha256": "ab"}) is True
    assert compiled.matches({"file.name": "x"}) is False


def test_open_points_declared() -> None:
    keys = {p.key for p in KqlEngine.open_points}
    assert {"kql-nested-flattened", "kql-field-pattern-match", "kql-null-value"} <= keys
