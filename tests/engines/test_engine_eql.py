"""Elasticsearch EQL engine model: documented examples, traps, and queries Elasticsearch refuses.

Expected values come from the Elasticsearch documentation and source cited per row:
SYNTAX = docs/reference/query-languages/eql/eql-syntax.md,
FUNCS = docs/reference/query-languages/eql/eql-function-ref.md,
VERIFIER = x-pack/plugin/eql/src/test/java/org/elasticsearch/xpack/eql/analysis/VerifierTests.java,
GRAMMAR = x-pack/plugin/eql/src/main/antlr/EqlBase.g4 (lexer rule STRING),
REGEXP = docs/reference/query-languages/query-dsl/regexp-syntax.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from converter.engines.base import QueryRejected
from converter.engines.eql import EqlEngine, NotEvaluable
from converter.schema.model import FieldSpec, Schema

SCHEMA = Schema(
    {
        "my_field": FieldSpec("my_field", "keyword"),
        "process.name": FieldSpec("process.name", "keyword", ignore_above=1024),
        "process.name.caseless": FieldSpec("process.name.caseless", "keyword", "lowercase"),
        "process.command_line": FieldSpec("process.command_line", "wildcard"),
        "process.pid": FieldSpec("process.pid", "long"),
        "process.args_count": FieldSpec("process.args_count", "long"),
        "file.path": FieldSpec("file.path", "keyword"),
        "file.name": FieldSpec("file.name", "keyword"),
        "network.protocol": FieldSpec("network.protocol", "keyword"),
        "source.address": FieldSpec("source.address", "ip"),
        "event.category": FieldSpec("event.category", "keyword"),
        "message": FieldSpec("message", "text"),
        "tags": FieldSpec("tags", "keyword"),
        "my-field": FieldSpec("my-field", "keyword"),
        "url.domain": FieldSpec("url.domain", "keyword"),
    },
    "test",
)
ENGINE = EqlEngine(SCHEMA)

D = {"my_field": "doc"}

MATCHES: list[tuple[str, str, dict[str, Any], bool]] = [
    # SYNTAX "Basic syntax": category and ==
    (
        "basic",
        'process where process.name == "svchost.exe"',
        {"event.category": "process", "process.name": "svchost.exe"},
        True,
    ),
    (
        "basic-other-category",
        'process where process.name == "svchost.exe"',
        {"event.category": "file", "process.name": "svchost.exe"},
        False,
    ),
    ("any", 'any where network.protocol == "http"', {"network.protocol": "http"}, True),
    ("where-true", "file where true", {"event.category": "file"}, True),
    # T1/T5 SYNTAX: == is case-sensitive, no wildcards
    (
        "T1-eq-case",
        'any where process.name == "svchost.exe"',
        {"process.name": "SVCHOST.EXE"},
        False,
    ),
    (
        "T5-eq-no-wildcard",
        'any where process.name == "cmd*.exe"',
        {"process.name": "cmd1.exe"},
        False,
    ),
    (
        "T5-eq-literal-star",
        'any where process.name == "cmd*.exe"',
        {"process.name": "cmd*.exe"},
        True,
    ),
    # T1 SYNTAX ":" is case-insensitive with wildcards; examples of the Wildcards section
    (
        "T1-colon-case",
        'any where process.name : "SVCHOST.exe"',
        {"process.name": "svchost.EXE"},
        True,
    ),
    ("wild-doc*-docs", 'any where my_field : "doc*"', {"my_field": "docs"}, True),
    ("wild-doc*-DOS", 'any where my_field : "doc*"', {"my_field": "DOS"}, False),
    ("wild-*doc", 'any where my_field : "*doc"', {"my_field": "asciidoc"}, True),
    ("wild-d*c", 'any where my_field : "d*c"', {"my_field": "disc"}, True),
    # T3: ? matches exactly one character
    ("T3-doc?-docs", 'any where my_field : "doc?"', {"my_field": "docs"}, True),
    ("T3-doc?-doc", 'any where my_field : "doc?"', {"my_field": "doc"}, False),
    ("T3-?doc-asciidoc", 'any where my_field : "?doc"', {"my_field": "asciidoc"}, False),
    ("T3-d?c-disc", 'any where my_field : "d?c"', {"my_field": "disc"}, False),
    ("like-DOC*-DOCs", 'any where my_field like "DOC*"', {"my_field": "DOCs"}, True),
    ("like-D*C-DisC", 'any where my_field like "D*C"', {"my_field": "DisC"}, True),
    ("like-case", 'any where my_field like "DOC*"', {"my_field": "docs"}, False),
    ("like~-case", 'any where my_field like~ "value*"', {"my_field": "VALUE1"}, True),
    ("like-D?c-DOC", 'any where my_field like "D?c"', {"my_field": "DOC"}, False),
    (
        "lookup-colon",
        'any where my_field : ("doc*", "f*o", "ba?", "qux")',
        {"my_field": "BAZ"},
        True,
    ),
    (
        "lookup-like",
        'any where my_field like ("Doc*", "F*O", "BA?", "QUX")',
        {"my_field": "baz"},
        False,
    ),
    # T4: a backslash does not escape * in a wildcard pattern (StringUtils.toLikePattern)
    ("T4-backslash-literal", 'any where file.path : "C:\\\\*"', {"file.path": "C:\\x"}, True),
    ("T4-no-escape", 'any where file.path : "a\\\\*b"', {"file.path": "a\\zzb"}, True),
    # in / in~ / not in (SYNTAX "Lookup operators")
    ("in-case", 'any where my_field in ("Value-1", "VALUE2")', {"my_field": "value2"}, False),
    ("in~", 'any where my_field in~ ("value-1", "value2")', {"my_field": "VALUE2"}, True),
    ("not-in", 'any where my_field not in ("Value-1", "VALUE2")', {"my_field": "x"}, True),
    ("not-in~", 'any where my_field not in~ ("value-1")', {"my_field": "VALUE-1"}, False),
    # T6: regex is anchored to the whole value, Lucene syntax (REGEXP)
    ("T6-regex-anchored", 'any where my_field regex "doc"', {"my_field": "document"}, False),
    ("T6-regex-whole", 'any where my_field regex "doc.*"', {"my_field": "document"}, True),
    ("regex-example", 'any where my_field regex "VALUE[^Z].?"', {"my_field": "VALUEA"}, True),
    ("regex-case", 'any where my_field regex "VALUE[^Z].?"', {"my_field": "valuea"}, False),
    # T12: regex~ is case-insensitive (what pySigma emits for |re, a Sigma case-sensitive regex)
    ("T12-regex~", 'any where my_field regex~ "value[^z].?"', {"my_field": "VALUEA"}, True),
    (
        "regex-list",
        'any where my_field regex ("[vV]alue-[0-9]", "VAL3")',
        {"my_field": "value-7"},
        True,
    ),
    ("regex-lucene-@", 'any where my_field regex "a@"', {"my_field": "abc"}, True),
    ("regex-quoted-literal", 'any where my_field regex """a"+"b"""', {"my_field": "a+b"}, True),
    # T13: EQL strings: \\ is one backslash; raw strings keep backslashes
    (
        "T13-escaped-backslash",
        'any where file.path == "C:\\\\Windows"',
        {"file.path": "C:\\Windows"},
        True,
    ),
    (
        "T13-raw-string",
        'any where file.path == """C:\\Windows"""',
        {"file.path": "C:\\Windows"},
        True,
    ),
    ("T13-unicode-escape", 'any where my_field == "a\\u{200F}b"', {"my_field": "a\u200fb"}, True),
    # optional fields and null (SYNTAX "Optional fields", "Check if a field exists")
    ("exists", "any where ?my_field != null", {"my_field": "x"}, True),
    ("exists-missing", "any where ?my_field != null", {}, False),
    ("missing", "any where ?my_field == null", {}, True),
    # T8: comparisons on a missing field do not match; their negation does (assumed)
    ("T8-eq-missing", 'any where my_field == "x"', {}, False),
    ("T8-not-missing", 'any where not my_field == "x"', {}, True),
    ("T8-neq-missing", 'any where my_field != "x"', {}, True),
    ("T8-neq-other", 'any where my_field != "x"', {"my_field": "y"}, True),
    ("T8-neq-same", 'any where my_field != "x"', {"my_field": "x"}, False),
    # T16: multi-valued field: any value matches (assumed)
    ("T16-any-value", 'any where tags : "b"', {"tags": ["a", "B"]}, True),
    ("T16-not-any-value", 'any where not tags : "b"', {"tags": ["a", "B"]}, False),
    # numbers, comparisons (SYNTAX "Comparison operators"; DIVIDE warning example)
    ("num-eq", "any where process.pid == 4", {"process.pid": 4}, True),
    ("num-lt", "any where process.pid < 5", {"process.pid": 4}, True),
    (
        "num-divide-int",
        "process where ( 4 / process.args_count ) == 1",
        {"event.category": "process", "process.args_count": 3},
        True,
    ),
    (
        "num-divide-float",
        "process where ( 4.0 / process.args_count ) == 1",
        {"event.category": "process", "process.args_count": 3},
        False,
    ),
    ("string-lexicographic", 'any where my_field >= "b"', {"my_field": "a"}, False),
    ("keyword-number-form", 'any where my_field == "4688"', {"my_field": 4688}, True),
    # functions (FUNCS) and their ~ variants
    (
        "fn-contains",
        'any where stringContains(process.name, ".exe")',
        {"process.name": "a.EXE"},
        False,
    ),
    (
        "fn-contains~",
        'any where stringContains~(process.name, ".exe")',
        {"process.name": "a.EXE"},
        True,
    ),
    ("fn-endswith", 'any where endsWith(file.name, ".exe")', {"file.name": "regsvr32.exe"}, True),
    (
        "fn-endswith-case",
        'any where endsWith(file.name, ".EXE")',
        {"file.name": "regsvr32.exe"},
        False,
    ),
    ("fn-endswith~", 'any where endsWith~(file.name, ".EXE")', {"file.name": "regsvr32.exe"}, True),
    (
        "fn-startswith-name-case",
        'any where startswith~(file.name, "REG")',
        {"file.name": "regsvr32.exe"},
        True,
    ),
    (
        "fn-cidr",
        'any where cidrMatch(source.address, "192.168.0.0/16")',
        {"source.address": "192.168.152.12"},
        True,
    ),
    (
        "fn-cidr-many",
        'any where cidrMatch(source.address, "10.0.0.0/8", "10.128.0.0/9")',
        {"source.address": "192.168.152.12"},
        False,
    ),
    ("fn-length", "any where length(file.name) == 12", {"file.name": "regsvr32.exe"}, True),
    (
        "fn-indexof",
        'any where indexOf(url.domain, ".", 10) == 17',
        {"url.domain": "subdomain.example.com"},
        True,
    ),
    (
        "fn-between",
        'any where between(file.path, "System32\\\\", ".exe") == "cmd"',
        {"file.path": "C:\\Windows\\System32\\cmd.exe"},
        True,
    ),
    ("fn-null", 'any where not endsWith(file.name, ".exe")', {}, True),
    # normalizer (.caseless): indexed lowercase; == input normalized too
    (
        "normalized-eq",
        'any where process.name.caseless == "CMD.EXE"',
        {"process.name.caseless": "Cmd.exe"},
        True,
    ),
    (
        "normalized-like",
        'any where process.name.caseless like "C*"',
        {"process.name.caseless": "Cmd.exe"},
        True,
    ),
    # a multi-field is indexed from its parent's value (mapping-reference/multi-fields), then
    # through its own normalizer: the document has no "process.name.caseless" key of its own
    (
        "multi-field-from-parent",
        'any where process.name.caseless == "cmd.exe"',
        {"process.name": "CMD.EXE"},
        True,
    ),
    (
        "multi-field-from-parent-like",
        'any where process.name.caseless like "c*.exe"',
        {"process.name": "Cmd.EXE"},
        True,
    ),
    (
        "multi-field-parent-other-value",
        'any where process.name.caseless == "cmd.exe"',
        {"process.name": "CMD.COM"},
        False,
    ),
    (
        "multi-field-parent-multivalue",
        'any where process.name.caseless == "cmd.exe"',
        {"process.name": ["a.exe", "CMD.EXE"]},
        True,
    ),
    ("multi-field-parent-absent", "any where process.name.caseless == null", {}, True),
    (
        "multi-field-parent-present",
        "any where process.name.caseless != null",
        {"process.name": "a"},
        True,
    ),
    # the parent is not indexed from a multi-field; an unmapped name has no parent to read
    ("parent-not-from-multi-field", "any where process.name != null", {"x.caseless": "a"}, False),
    ("unmapped-multi-field", 'any where nosuch.caseless == "a"', {"nosuch": "a"}, False),
    # ignore_above: longer keyword values are not indexed
    ("ignore-above", 'any where process.name : "*"', {"process.name": "x" * 1025}, False),
    # T17: back-quoted field names
    ("T17-backquoted", 'any where `my-field` == "x"', {"my-field": "x"}, True),
    # ip term accepts CIDR (mapping-reference/ip.md)
    (
        "ip-eq-cidr",
        'any where source.address == "10.0.0.0/8"',
        {"source.address": "10.1.2.3"},
        True,
    ),
    # precedence: not > and > or (GRAMMAR booleanExpression)
    (
        "precedence",
        'any where my_field == "a" or my_field == "b" and false',
        {"my_field": "a"},
        True,
    ),
    ("comment", 'any where /* c */ my_field == "doc" // end', D, True),
    ("pipe-head", 'any where my_field == "doc" | head 5', D, True),
]


@pytest.mark.parametrize(
    ("query", "event", "expected"),
    [(q, e, x) for _, q, e, x in MATCHES],
    ids=[m[0] for m in MATCHES],
)
def test_matches(query: str, event: dict[str, Any], expected: bool) -> None:
    assert ENGINE.matches(query, event) is expected


REJECTED: list[tuple[str, str]] = [
    # pySigma emits these for keyword rules; Elasticsearch: "Condition expression needs to be
    # boolean" (VERIFIER testQueryCondition)
    ("bare-string", 'any where "foo"'),
    ("bare-field", "any where process.name"),
    ("bare-number", "any where process.pid"),
    # T22 SYNTAX "Comparing fields" / VERIFIER
    ("T22-field-vs-field", "process where process.name == file.name"),
    ("T22-field-vs-function", "process where process.name == string(file.name)"),
    ("T22-in-field", "any where process.name in (file.name)"),
    # T22 text fields (SYNTAX "Text fields are not supported")
    ("T22-text-eq", 'any where message == "x"'),
    ("T22-text-colon", 'any where message : "x*"'),
    ("T22-text-function", 'any where startsWith(message, "x")'),
    # ':' only compares strings (VERIFIER testIncorrectUsageOfStringEquals)
    ("colon-on-long", "any where process.pid : 123"),
    ("colon-number-constant", "any where my_field : 2000"),
    ("colon-on-ip", 'any where source.address : "10.*"'),
    ("like-on-long", "any where process.pid like~ (80, 443)"),
    ("in-mixed-types", 'any where process.pid in (1, "string")'),
    ("cidr-on-keyword", 'any where cidrMatch(my_field, "10.0.0.0/8")'),
    ("unknown-function", "any where safe(process.name)"),
    ("array-function", 'any where arrayContains(tags, "a")'),
    # SYNTAX "Differences from Endgame EQL syntax"
    ("single-equals", 'any where my_field = "x"'),
    ("single-quotes", "any where my_field == 'x'"),
    ("question-string", 'any where my_field == ?"x"'),
    ("join", "join [process where true] [file where true]"),
    ("pipe-count", "any where true | count"),
    ("pipe-unique", "any where true | unique my_field"),
    # GRAMMAR: only \\b \\t \\n \\f \\r \\" \\' \\\\ and \\u{...} are escapes (T13, T4)
    ("T13-unknown-escape-d", 'any where my_field regex "\\d+"'),
    ("T4-escaped-star", 'any where my_field : "a\\*b"'),
    ("T13-escaped-slash", 'any where my_field regex~ "a\\/b"'),
    ("unicode-too-short", 'any where my_field == "\\u{1}"'),
    ("newline-in-string", 'any where my_field == "a\nb"'),
    # VERIFIER testProcessRelationshipsUnsupported, testArrayIndexesUnsupported
    ("descendant-of", 'process where descendant of [file where file.name == "a"]'),
    ("array-index", 'any where tags[0] == "a"'),
    ("chained-comparison", "any where 1 < process.pid <= 3"),
    ("pattern-field", "any where my_field : file.name"),
    ("uppercase-keyword", 'any WHERE my_field == "x"'),
    ("field-wildcard", 'any where zeek.*.path : "x"'),
    ("unquoted-dash-field", 'any where cs-uri-query : "x"'),
    ("missing-without-maxspan", "sequence [any where true] ![any where true] [file where true]"),
    ("runs-too-many", "sequence [any where true] with runs=101 [file where true]"),
]


@pytest.mark.parametrize("query", [q for _, q in REJECTED], ids=[r[0] for r in REJECTED])
def test_rejected(query: str) -> None:
    with pytest.raises(QueryRejected):
        ENGINE.compile(query)


ACCEPTED_NOT_EVALUABLE = [
    # SYNTAX "Sequences", "Missing events", "with runs", "Samples"
    'sequence [ file where file.name == "x" ] [ process where true ]',
    "sequence by process.pid with maxspan=15m [ file where true ] [ process where true ]",
    "sequence with maxspan=1h [ file where true ] ![ process where true ] [ file where true ]",
    "sequence [ process where true ] [ file where true ] with runs=3 until [ process where true ]",
    "sample by my_field [ file where true ] [ process where true ]",
]


@pytest.mark.parametrize("query", ACCEPTED_NOT_EVALUABLE)
def test_sequences_parse_but_are_not_evaluated(query: str) -> None:
    compiled = ENGINE.compile(query)
    with pytest.raises(NotEvaluable):
        compiled.matches({"event.category": "file"})


def test_assumptions_recorded() -> None:
    assert "eql.negation_missing_field" in ENGINE.compile('any where my_field != "x"').assumptions
    assert "eql.unmapped_field" in ENGINE.compile('any where nowhere == "x"').assumptions
    assert ENGINE.compile('any where my_field == "x"').assumptions == set()
    compiled = ENGINE.compile('any where tags : "b"')
    compiled.matches({"tags": ["a", "b"]})
    assert "eql.multivalue" in compiled.assumptions


def test_open_points_declared() -> None:
    keys = {p.key for p in EqlEngine.open_points}
    assert keys == {
        "eql.negation_missing_field",
        "eql.multivalue",
        "eql.unmapped_field",
        "eql.normalizer_patterns",
    }
