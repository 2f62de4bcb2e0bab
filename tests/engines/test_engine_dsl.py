"""The Query DSL evaluator against Elasticsearch's documented behaviour and traps T1-T22.

Expected values come from the Elasticsearch reference (page cited per table or row) and from
Elasticsearch/Lucene source where the docs are silent (docs/engines.md lists them).
"""

from __future__ import annotations

from typing import Any

import pytest

from converter.engines.base import QueryRejected
from converter.engines.dsl import (
    AllFields,
    Bool,
    Exists,
    Match,
    MatchAll,
    MatchNone,
    MatchPhrase,
    Prefix,
    Query,
    Range,
    Regexp,
    Term,
    Wildcard,
)
from converter.engines.dsl_eval import OPEN_POINTS, assumptions, evaluate, validate
from converter.schema.model import FieldSpec, Schema, ecs_schema

SCHEMA = Schema(
    {
        spec.name: spec
        for spec in (
            FieldSpec("kw", "keyword"),
            FieldSpec("kw.lower", "keyword", normalizer="lowercase"),
            FieldSpec("kw20", "keyword", ignore_above=20),
            FieldSpec("wc", "wildcard"),
            FieldSpec("txt", "text"),
            FieldSpec("mot", "match_only_text"),
            FieldSpec("ps", "text", analyzer="powershell_script"),
            FieldSpec("addr", "ip"),
            FieldSpec("num", "long"),
            FieldSpec("dbl", "double"),
            FieldSpec("ts", "date"),
            FieldSpec("flag", "boolean"),
        )
    },
    "test",
)

Row = tuple[Query, dict[str, Any], bool]


def _run(query: Query, event: dict[str, Any], expected: bool) -> None:
    assert evaluate(query, event, SCHEMA) is expected


# https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax
REGEXP_DOCS: dict[str, Row] = {
    "anchored ab.* abcde": (Regexp("kw", "ab.*"), {"kw": "abcde"}, True),
    "anchored abcd abcde": (Regexp("kw", "abcd"), {"kw": "abcde"}, False),
    "dot ab.": (Regexp("kw", "ab."), {"kw": "abz"}, True),
    "optional abc? ab": (Regexp("kw", "abc?"), {"kw": "ab"}, True),
    "plus ab+": (Regexp("kw", "ab+"), {"kw": "abbb"}, True),
    "star ab*": (Regexp("kw", "ab*"), {"kw": "a"}, True),
    "braces a{2}": (Regexp("kw", "a{2}"), {"kw": "aa"}, True),
    "braces a{2,4} five": (Regexp("kw", "a{2,4}"), {"kw": "aaaaa"}, False),
    "alternation abc|xyz": (Regexp("kw", "abc|xyz"), {"kw": "xyz"}, True),
    "group abc(def)+": (Regexp("kw", "abc(def)+"), {"kw": "abcdefdef"}, True),
    "class [abc]": (Regexp("kw", "[abc]"), {"kw": "b"}, True),
    "class range [a-c]": (Regexp("kw", "[a-c]"), {"kw": "d"}, False),
    "negated class [^abc]": (Regexp("kw", "[^abc]"), {"kw": "d"}, True),
    "escaped @": (Regexp("kw", "\\@"), {"kw": "@"}, True),
    "escaped backslash": (Regexp("kw", "\\\\"), {"kw": "\\"}, True),
    "quoted literal": (Regexp("kw", '"john@smith.com"'), {"kw": "john@smith.com"}, True),
    "complement a~bc adc": (Regexp("kw", "a~bc"), {"kw": "adc"}, True),
    "complement a~bc abc": (Regexp("kw", "a~bc"), {"kw": "abc"}, False),
    "interval foo<1-100>": (Regexp("kw", "foo<1-100>"), {"kw": "foo99"}, True),
    "interval foo<1-100> 101": (Regexp("kw", "foo<1-100>"), {"kw": "foo101"}, False),
    "interval foo<01-100> padded": (Regexp("kw", "foo<01-100>"), {"kw": "foo01"}, True),
    "intersection": (Regexp("kw", "aaa.+&.+bbb"), {"kw": "aaabbb"}, True),
    "anystring except": (Regexp("kw", "@&~(abc.+)"), {"kw": "abcdef"}, False),
    "anystring except other": (Regexp("kw", "@&~(abc.+)"), {"kw": "xyz"}, True),
    "empty language #": (Regexp("kw", "#|a"), {"kw": "a"}, True),
    "\\d digit": (Regexp("kw", "\\d+"), {"kw": "2024"}, True),
    "\\w word": (Regexp("kw", "\\w+"), {"kw": "a_1"}, True),
    "\\s space": (Regexp("kw", "a\\sb"), {"kw": "a b"}, True),
}


@pytest.mark.parametrize(("query", "event", "expected"), REGEXP_DOCS.values(), ids=REGEXP_DOCS)
def test_regexp_syntax_docs(query: Query, event: dict[str, Any], expected: bool) -> None:
    _run(query, event, expected)


# term/terms/wildcard/prefix/match/match_phrase/exists/bool/range pages of the Query DSL docs
# (https://www.elastic.co/docs/reference/query-languages/query-dsl/) and the mapping reference
# (https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/).
QUERY_DOCS: dict[str, Row] = {
    # query-dsl-term-query: "avoid term on text": the text is indexed as tokens
    "term on text full value": (
        Term("txt", "Quick Brown Foxes!"),
        {"txt": "Quick Brown Foxes!"},
        False,
    ),
    "match on text full value": (
        Match("txt", "Quick Brown Foxes!"),
        {"txt": "Quick Brown Foxes!"},
        True,
    ),
    "term on text one token": (Term("txt", "brown"), {"txt": "Quick Brown Foxes!"}, True),
    "term case_insensitive": (Term("kw", "KIMCHY", case_insensitive=True), {"kw": "kimchy"}, True),
    # query-dsl-wildcard-query example
    "wildcard ki*y": (Wildcard("kw", "ki*y"), {"kw": "kimchy"}, True),
    "wildcard ? one char": (Wildcard("kw", "ki?chy"), {"kw": "kimchy"}, True),
    "wildcard ? not empty": (Wildcard("kw", "kim?chy"), {"kw": "kimchy"}, False),
    "wildcard case_insensitive": (
        Wildcard("kw", "KI*Y", case_insensitive=True),
        {"kw": "kimchy"},
        True,
    ),
    # query-dsl-prefix-query example
    "prefix ki": (Prefix("kw", "ki"), {"kw": "kimchy"}, True),
    "prefix case sensitive": (Prefix("kw", "Ki"), {"kw": "kimchy"}, False),
    # query-dsl-match-query: OR of the analysed tokens
    "match any token": (Match("txt", "this is a test"), {"txt": "just a try"}, True),
    "match no token": (Match("txt", "quick fox"), {"txt": "slow dog"}, False),
    # query-dsl-match-query-phrase
    "match_phrase in order": (
        MatchPhrase("txt", "this is a test"),
        {"txt": "This is a test!"},
        True,
    ),
    "match_phrase wrong order": (
        MatchPhrase("txt", "is this a test"),
        {"txt": "this is a test"},
        False,
    ),
    "match_phrase match_only_text": (
        MatchPhrase("mot", "quick brown"),
        {"mot": "The quick brown fox"},
        True,
    ),
    # analysis-standard-tokenizer example sentence
    "standard tokens brown foxes": (
        MatchPhrase("txt", "brown foxes jumped"),
        {"txt": "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone."},
        True,
    ),
    "standard keeps dog's": (Term("txt", "dog's"), {"txt": "the lazy dog's bone."}, True),
    "standard no bare dog": (Term("txt", "dog"), {"txt": "the lazy dog's bone."}, False),
    # query-dsl-exists-query: what counts as a value
    "exists empty string": (Exists("kw"), {"kw": ""}, True),
    "exists dash": (Exists("kw"), {"kw": "-"}, True),
    "exists null and value": (Exists("kw"), {"kw": [None, "foo"]}, True),
    "exists null": (Exists("kw"), {"kw": None}, False),
    "exists empty array": (Exists("kw"), {"kw": []}, False),
    "exists array of null": (Exists("kw"), {"kw": [None]}, False),
    # query-dsl-bool-query minimum_should_match default
    "bool should only needs one": (
        Bool(should=(Term("kw", "a"), Term("kw", "b"))),
        {"kw": "c"},
        False,
    ),
    "bool must with should: should optional": (
        Bool(must=(Exists("kw"),), should=(Term("kw", "a"),)),
        {"kw": "c"},
        True,
    ),
    "bool minimum_should_match 2": (
        Bool(should=(Term("kw", "a"), Exists("kw"), Exists("num")), minimum_should_match=2),
        {"kw": "a"},
        True,
    ),
    "bool empty matches all": (Bool(), {}, True),
    "match_all": (MatchAll(), {}, True),
    "match_none": (MatchNone(), {"kw": "a"}, False),
    # query-dsl-range-query
    "range gte lte": (Range("num", gte=10, lte=20), {"num": 15}, True),
    "range lt excludes": (Range("num", lt=20), {"num": 20}, False),
    "range keyword lexicographic": (Range("kw", gte="a", lt="c"), {"kw": "bz"}, True),
    "range date": (
        Range("ts", gte="2020-01-01", lt="2021-01-01"),
        {"ts": "2020-06-01T10:00:00Z"},
        True,
    ),
    "range ip": (Range("addr", gte="10.0.0.1", lte="10.0.0.9"), {"addr": "10.0.0.5"}, True),
    # mapping-reference/ip: term query with CIDR, IPv4 and IPv6
    "ip cidr /16": (Term("addr", "192.168.0.0/16"), {"addr": "192.168.1.1"}, True),
    "ip cidr outside": (Term("addr", "192.168.0.0/16"), {"addr": "192.169.1.1"}, False),
    "ip v6 cidr": (Term("addr", "2001:db8::/48"), {"addr": "2001:db8:0:0:0:0:2:1"}, True),
    "ip exact": (Term("addr", "10.0.0.1"), {"addr": "10.0.0.1"}, True),
    # mapping-reference/number: coerce strings, truncate for integer types
    "long coerce string value": (Term("num", 5), {"num": "5"}, True),
    "long truncates 5.7": (Term("num", 5), {"num": 5.7}, True),
    "long fractional term no match": (Term("num", 5.5), {"num": 5}, False),
    "double keeps fraction": (Term("dbl", 5.5), {"dbl": "5.5"}, True),
    # mapping-reference/boolean: "true"/"false" strings accepted
    "boolean string": (Term("flag", "true"), {"flag": True}, True),
    "boolean false": (Term("flag", False), {"flag": "false"}, True),
    # mapping-reference/keyword ignore_above example (ignore_above 20)
    "ignore_above short indexed": (
        Term("kw20", "Some short value"),
        {"kw20": "Some short value"},
        True,
    ),
    "ignore_above long not indexed": (
        Wildcard("kw20", "*"),
        {"kw20": "Some very long value that is longer than ignore_above"},
        False,
    ),
    "ignore_above long no exists": (
        Exists("kw20"),
        {"kw20": "Some very long value that is longer than ignore_above"},
        False,
    ),
    # mapping-reference/normalizer: normalizer applies to indexed value and term input
    "normalizer term": (Term("kw.lower", "BAR"), {"kw": "bar"}, True),
    "normalizer match": (Match("kw.lower", "Bar"), {"kw": "BAR"}, True),
    # ECS built-in schema: .caseless multi-field of process.executable
    "multi-field takes parent value": (Term("kw.lower", "quux"), {"kw": "QUUX"}, True),
}


@pytest.mark.parametrize(("query", "event", "expected"), QUERY_DOCS.values(), ids=QUERY_DOCS)
def test_query_dsl_docs(query: Query, event: dict[str, Any], expected: bool) -> None:
    _run(query, event, expected)


# Normalizer on wildcard/prefix/regexp patterns: settled from source (KeywordFieldType.wildcardQuery
# "use the normalizer ... regardless of their case sensitivity option"; prefixQuery/regexpQuery
# via indexedValueForSearch; StringFieldType.normalizeWildcardPattern keeps escapes verbatim).
NORMALIZER_PATTERNS: dict[str, Row] = {
    "wildcard pattern normalised": (
        Wildcard("kw.lower", "*\\\\SVCHOST.EXE"),
        {"kw": "C:\\x\\svchost.exe"},
        True,
    ),
    "wildcard escaped letter verbatim": (Wildcard("kw.lower", "*\\S*"), {"kw": "s"}, False),
    "prefix normalised": (Prefix("kw.lower", "C:\\WIN"), {"kw": "c:\\windows"}, True),
    "regexp pattern normalised": (Regexp("kw.lower", "C:.*EXE"), {"kw": "c:\\a.exe"}, True),
    "regexp \\W lowercased to \\w": (Regexp("kw.lower", "a\\Wb"), {"kw": "a_b"}, True),
    "regexp \\W lowercased misses": (Regexp("kw.lower", "a\\Wb"), {"kw": "a-b"}, False),
    "text wildcard normalised per token": (Wildcard("txt", "FOX*"), {"txt": "Quick Foxes"}, True),
    "text regexp not normalised": (Regexp("txt", "Fox.*"), {"txt": "Quick Foxes"}, False),
    "text prefix normalised": (Prefix("txt", "QUI"), {"txt": "Quick Foxes"}, True),
    "wildcard type no normaliser": (Wildcard("wc", "*FOO*"), {"wc": "xfoox"}, False),
}


@pytest.mark.parametrize(
    ("query", "event", "expected"), NORMALIZER_PATTERNS.values(), ids=NORMALIZER_PATTERNS
)
def test_normalizer_on_patterns(query: Query, event: dict[str, Any], expected: bool) -> None:
    _run(query, event, expected)


SVCHOST = "C:\\Windows\\system32\\SVCHOST.EXE"
# research/SEMANTICS.md section 8 traps, at the DSL level.
TRAPS: dict[str, Row] = {
    "T1 keyword case-sensitive": (Wildcard("kw", "*\\\\svchost.exe"), {"kw": SVCHOST}, False),
    "T1 wildcard type case-sensitive": (Wildcard("wc", "*svchost*"), {"wc": "SVCHOST"}, False),
    "T1 caseless normaliser": (Wildcard("kw.lower", "*\\\\svchost.exe"), {"kw": SVCHOST}, True),
    "T1 case_insensitive flag": (
        Wildcard("kw", "*\\\\svchost.exe", case_insensitive=True),
        {"kw": SVCHOST},
        True,
    ),
    "T1 text field lowercases": (Match("txt", "SVCHOST"), {"txt": "svchost started"}, True),
    "T3 ? is one char": (Wildcard("kw", "a?c"), {"kw": "abc"}, True),
    "T6 regexp anchored": (Regexp("kw", "foo"), {"kw": "xfoox"}, False),
    "T6 regexp needs .*": (Regexp("kw", ".*foo.*"), {"kw": "xfoox"}, True),
    "T6 ^ is a literal": (Regexp("kw", "^abc"), {"kw": "abc"}, False),
    "T7 (?i) is literal": (Regexp("kw", "(?i)abc"), {"kw": "ABC"}, False),
    "T7 (?i) literal match": (Regexp("kw", "(?i)abc"), {"kw": "?iabc"}, True),
    "T7 ~ is an operator": (Regexp("kw", "a~b"), {"kw": "ax"}, True),
    "T7 & is an operator": (Regexp("kw", "a&b"), {"kw": "a&b"}, False),
    "T7 ranges not case-folded": (Regexp("kw", "[a-z]", case_insensitive=True), {"kw": "Q"}, False),
    "T7 literal case-folded": (Regexp("kw", "q", case_insensitive=True), {"kw": "Q"}, True),
    "T8 must_not missing field": (Bool(must_not=(Term("kw", "x"),)), {"other": 1}, True),
    "T8 must_not null field": (Bool(must_not=(Term("kw", "x"),)), {"kw": None}, True),
    "T8 must_not present value": (Bool(must_not=(Term("kw", "x"),)), {"kw": "x"}, False),
    "T9 empty string exists": (Exists("kw"), {"kw": ""}, True),
    "T9 null absent": (Bool(must_not=(Exists("kw"),)), {"kw": None}, True),
    "T9 empty list absent": (Bool(must_not=(Exists("kw"),)), {"kw": []}, True),
    "T15 cidr on keyword literal": (Term("kw", "10.0.0.0/8"), {"kw": "10.1.1.1"}, False),
    "T15 cidr on ip": (Term("addr", "10.0.0.0/8"), {"addr": "10.1.1.1"}, True),
    "T15 text wildcard per token": (
        Wildcard("txt", "*quick brown*"),
        {"txt": "quick brown"},
        False,
    ),
    "T15 ignore_above": (Term("kw20", "x" * 21), {"kw20": "x" * 21}, False),
    "T15 powershell analyzer keeps -": (
        Match("ps", "Invoke-Mimikatz"),
        {"ps": "IEX (Invoke-Mimikatz -DumpCreds)"},
        True,
    ),
    "T15 powershell analyzer no split": (Term("ps", "invoke"), {"ps": "Invoke-Mimikatz"}, False),
    "T16 any value matches": (Term("kw", "b"), {"kw": ["a", "b"]}, True),
    "T16 must_not any value": (Bool(must_not=(Term("kw", "b"),)), {"kw": ["a", "b"]}, False),
    "T16 phrase not across values": (MatchPhrase("txt", "a b"), {"txt": ["x a", "b y"]}, False),
    "T17 field names case-sensitive": (Term("KW", "a"), {"kw": "a"}, False),
    "T18 string term on long": (Term("num", "5"), {"num": 5}, True),
    "T18 number term on keyword": (Term("kw", 5), {"kw": "5"}, True),
    "T18 keyword number value": (Term("kw", "5"), {"kw": 5}, True),
    "T18 keyword bool value": (Term("kw", "true"), {"kw": True}, True),
    "T18 all fields lenient on long": (AllFields(Term("*", "abc")), {"num": 5, "kw": "abc"}, True),
    "T18 all fields skips long": (AllFields(Wildcard("*", "*5*")), {"num": 5}, False),
}


@pytest.mark.parametrize(("query", "event", "expected"), TRAPS.values(), ids=TRAPS)
def test_traps(query: Query, event: dict[str, Any], expected: bool) -> None:
    _run(query, event, expected)


ECS_ROWS: dict[str, Row] = {
    # query_string default_field "*": every field, multi-fields included
    "all fields wildcard": (
        AllFields(Wildcard("*", "*fsutil*")),
        {"process.command_line": "cmd /c fsutil behavior", "process.pid": 4},
        True,
    ),
    "all fields .caseless": (
        AllFields(Term("*", "c:\\windows\\cmd.exe")),
        {"process.executable": "C:\\Windows\\cmd.exe"},
        True,
    ),
    "all fields exists any": (AllFields(Exists("*")), {"event.code": "1"}, True),
    "ecs caseless endswith": (
        Wildcard("process.executable.caseless", "*\\\\svchost.exe"),
        {"process.executable": SVCHOST},
        True,
    ),
    "ecs keyword endswith misses": (
        Wildcard("process.executable", "*\\\\svchost.exe"),
        {"process.executable": SVCHOST},
        False,
    ),
    "ecs ip cidr": (Term("source.ip", "10.0.0.0/8"), {"source.ip": "10.2.3.4"}, True),
}


@pytest.mark.parametrize(("query", "event", "expected"), ECS_ROWS.values(), ids=ECS_ROWS)
def test_ecs_schema(query: Query, event: dict[str, Any], expected: bool) -> None:
    assert evaluate(query, event, ecs_schema()) is expected


# Queries Elasticsearch refuses with a 400 (lenient: false): a faithful model must reject them.
MUST_REJECT: dict[str, Query] = {
    "regexp \\n unknown escape": Regexp("kw", "a\\nb"),
    "regexp unclosed group": Regexp("kw", "(ab"),
    "regexp unclosed class": Regexp("kw", "[ab"),
    "regexp stray )": Regexp("kw", "ab)"),
    "regexp bad repeat": Regexp("kw", "a{x}"),
    "regexp unclosed quote": Regexp("kw", '"ab'),
    "regexp named automaton": Regexp("kw", "<name>"),
    "regexp over max length": Regexp("kw", "a" * 1001),
    "regexp reversed range": Regexp("kw", "[z-a]"),
    "regexp trailing backslash": Regexp("kw", "ab\\"),
    "wildcard on long": Wildcard("num", "1*"),
    "prefix on ip": Prefix("addr", "10."),
    "regexp on date": Regexp("ts", "2020.*"),
    "term text on long": Term("num", "abc"),
    "term bad ip": Term("addr", "1.2.3.4.5"),
    "term bad cidr": Term("addr", "10.0.0.0/33"),
    "term bad date": Term("ts", "not a date"),
    "term bad boolean": Term("flag", "yes"),
    "range text bound on long": Range("num", gte="abc"),
    "case_insensitive on long": Term("num", 5, case_insensitive=True),
    "match text on long": Match("num", "five"),
    "rejected inside bool": Bool(must=(MatchAll(),), must_not=(Wildcard("num", "*"),)),
}


@pytest.mark.parametrize("query", MUST_REJECT.values(), ids=MUST_REJECT)
def test_must_reject(query: Query) -> None:
    with pytest.raises(QueryRejected):
        validate(query, SCHEMA)
    with pytest.raises(QueryRejected):
        evaluate(query, {}, SCHEMA)


def test_all_fields_is_lenient() -> None:
    query = AllFields(Bool(should=(Regexp("*", "x.*"), Wildcard("*", "1*"))))
    validate(query, SCHEMA)
    assert evaluate(query, {"num": 1, "addr": "10.0.0.1"}, SCHEMA) is False


ASSUMPTIONS: dict[str, tuple[Query, set[str]]] = {
    "keyword only": (Term("kw", "a"), set()),
    "text tokenizer": (Match("txt", "a"), {"dsl.standard_tokenizer"}),
    "long malformed": (Term("num", 1), {"dsl.malformed_value"}),
    "all fields": (
        AllFields(Term("*", "a")),
        {"dsl.default_field", "dsl.standard_tokenizer", "dsl.malformed_value"},
    ),
    "unknown normalizer": (Term("x", "a"), {"dsl.unknown_analysis"}),
}


@pytest.mark.parametrize(("query", "expected"), ASSUMPTIONS.values(), ids=ASSUMPTIONS)
def test_assumptions(query: Query, expected: set[str]) -> None:
    schema = Schema({"x": FieldSpec("x", "keyword", normalizer="my_norm")}, "t")
    target = schema if isinstance(query, Term) and query.field == "x" else SCHEMA
    assert assumptions(query, target) == expected


def test_open_points_declared() -> None:
    keys = {point.key for point in OPEN_POINTS}
    assert keys >= {"dsl.default_field", "dsl.malformed_value", "dsl.standard_tokenizer"}
    assert len(keys) == len(OPEN_POINTS)
