"""ES|QL engine model: documented examples, traps T1 T6 T8 T13 T15 T16 T17 T18, must-reject queries.

Expected values come from the Elasticsearch ES|QL documentation (pages cited per row) and from
research/SEMANTICS.md §6/§8; the engine's output is never the source of an expectation.
"""

from __future__ import annotations

from typing import Any

import pytest

from converter.engines.base import NotModelled, QueryRejected
from converter.engines.esql import EsqlEngine
from converter.schema.model import Schema

DOCS = "https://www.elastic.co/docs/reference/query-languages/esql"

MAPPING = {
    "test": {
        "mappings": {
            "properties": {
                "first_name": {"type": "keyword"},
                "message": {"type": "keyword"},
                "body": {"type": "text"},
                "process": {
                    "properties": {
                        "name": {"type": "keyword"},
                        "executable": {
                            "type": "keyword",
                            "fields": {"caseless": {"type": "keyword", "normalizer": "lowercase"}},
                        },
                        "command_line": {"type": "wildcard"},
                    }
                },
                "url": {"properties": {"original": {"type": "keyword", "ignore_above": 10}}},
                "destination": {"properties": {"port": {"type": "long"}}},
                "source": {"properties": {"ip": {"type": "ip"}}},
                "event": {"properties": {"code": {"type": "keyword"}}},
                "user": {"properties": {"name": {"type": "keyword"}}},
                "flag": {"type": "boolean"},
                "@timestamp": {"type": "date"},
            }
        }
    }
}


@pytest.fixture(scope="module")
def engine() -> EsqlEngine:
    return EsqlEngine(Schema.from_mapping(MAPPING, "test mapping"))


def where(condition: str) -> str:
    return f"from logs-* metadata _id, _index, _version | where {condition}"


Row = tuple[str, dict[str, Any], bool]

DOCUMENTED: dict[str, Row] = {
    # operators/examples/like.md: LIKE """?b*""" returns Ebbe and Eberhardt
    "like-doc-ebbe": (where('first_name LIKE """?b*"""'), {"first_name": "Ebbe"}, True),
    "like-doc-eberhardt": (where('first_name LIKE """?b*"""'), {"first_name": "Eberhardt"}, True),
    "like-doc-other": (where('first_name LIKE """?b*"""'), {"first_name": "Alejandro"}, False),
    # operators/examples/rlike.md: RLIKE """.leja.*""" returns Alejandro
    "rlike-doc": (where('first_name RLIKE """.leja.*"""'), {"first_name": "Alejandro"}, True),
    "rlike-doc-other": (where('first_name RLIKE """.leja.*"""'), {"first_name": "Ebbe"}, False),
    # operators/detailedDescription/like.md: escaping * with \\ or in triple quotes
    "like-escape": (where('message LIKE "foo \\\\* bar"'), {"message": "foo * bar"}, True),
    "like-escape-literal": (where('message LIKE "foo \\\\* bar"'), {"message": "foo x bar"}, False),
    "like-triple": (where('message LIKE """foo \\* bar"""'), {"message": "foo * bar"}, True),
    "like-list": (where('message like ("foo*", "bar?")'), {"message": "foobar"}, True),
    # operators/detailedDescription/rlike.md
    "rlike-escape": (where('message RLIKE "foo \\\\( bar"'), {"message": "foo ( bar"}, True),
    "rlike-triple": (where('message RLIKE """foo \\( bar"""'), {"message": "foo ( bar"}, True),
    "rlike-list": (where('message RLIKE ("foo.*", "bar.")'), {"message": "foobar"}, True),
    # esql-limitations.md "text fields behave like keyword fields"
    "text-case": (
        where('body LIKE "elasticsearch query language"'),
        {"body": "Elasticsearch query language"},
        False,
    ),
    "text-whole": (
        where('body LIKE "Elasticsearch"'),
        {"body": "Elasticsearch query language"},
        False,
    ),
    "text-rlike": (
        where('body RLIKE "[Ee]lasticsearch.*"'),
        {"body": "Elasticsearch query language"},
        True,
    ),
    # esql-syntax.md: triple quotes hold quotes; keywords are case-insensitive; comments
    "triple-quotes": (
        where('message == """Indiana "Indy" Jones"""'),
        {"message": 'Indiana "Indy" Jones'},
        True,
    ),
    "upper-keywords": ('FROM logs-* | WHERE message == "a"', {"message": "a"}, True),
    "comments": ('from logs-* // c\n| where /* c */ message == "a"', {"message": "a"}, True),
    # esql-null-values.md: IS NULL finds missing fields
    "is-null": (where("message IS NULL"), {}, True),
    "is-not-null": (where("message IS NOT NULL"), {"message": "x"}, True),
    # esql-multivalued-fields.md: MV_MIN makes a single value
    "mv-min": (where("mv_min(destination.port) == 1"), {"destination.port": [2, 1]}, True),
    # esql-implicit-casting.md: a string literal is cast to ip
    "ip-implicit-cast": (where('source.ip == "10.1.2.3"'), {"source.ip": "10.1.2.3"}, True),
    # functions/cidr_match.md
    "cidr-match": (
        where('cidr_match(source.ip, "10.0.0.0/8", "192.168.0.0/16")'),
        {"source.ip": "192.168.1.5"},
        True,
    ),
    "cidr-no-match": (
        where('cidr_match(source.ip, "10.0.0.0/8")'),
        {"source.ip": "11.0.0.1"},
        False,
    ),
    # commands: eval, rename, mv_expand, limit (commands/*.md)
    "eval": (
        where("true") + ' | eval x = to_lower(message) | where x == "cmd.exe"',
        {"message": "CMD.EXE"},
        True,
    ),
    "rename": (where("true") + ' | rename message as m | where m == "a"', {"message": "a"}, True),
    "mv-expand": (
        where("true") + ' | mv_expand user.name | where user.name == "a"',
        {"user.name": ["a", "b"]},
        True,
    ),
    "limit-0": (where("true") + " | limit 0", {"message": "a"}, False),
    "stats-reached": (
        where('message == "a"') + " | stats c = count() by user.name | where c > 5",
        {"message": "a"},
        True,
    ),
    "stats-filtered": (where('message == "a"') + " | stats c = count()", {"message": "b"}, False),
    # functions/examples/to_long.md: "2147483648" and "2147483648.2" give 2147483648, "foo" null
    "to-long-doc": (where("to_long(message) == 2147483648"), {"message": "2147483648"}, True),
    "to-long-doc-decimal": (
        where("to_long(message) == 2147483648"),
        {"message": "2147483648.2"},
        True,
    ),
    "to-long-doc-foo": (where("to_long(message) is null"), {"message": "foo"}, True),
    # functions/examples/to_double.md: "5.20128E11" gives 5.20128E11, "foo" null
    "to-double-doc": (
        where("to_double(message) == 520128000000.0"),
        {"message": "5.20128E11"},
        True,
    ),
    "to-double-doc-foo": (where("to_double(message) is null"), {"message": "foo"}, True),
    # to_long.md / to_double.md: true is 1, false 0; numbers convert
    "to-long-boolean": (where("to_long(flag) == 1"), {"flag": True}, True),
    "to-double-boolean": (where("to_double(flag) == 0.0"), {"flag": False}, True),
    "to-double-long": (
        where("to_double(destination.port) > 442.5"),
        {"destination.port": 443},
        True,
    ),
    "to-double-compare": (where("to_double(message) > 5"), {"message": "5.5"}, True),
    "to-double-compare-false": (where("to_double(message) > 5"), {"message": "4.5"}, False),
    # a value that does not parse is null: the comparison is null, so is its negation
    "to-double-unparsable": (where("not to_double(message) > 5"), {"message": "x"}, False),
    # EsqlDataTypeConverter.stringToLong falls back to the double parse and safeDoubleToLong
    # (Math.round: halves round up); Long.parseLong takes no spaces, Double.parseDouble does
    "to-long-rounds-half-up": (where("to_long(message) == 3"), {"message": "2.5"}, True),
    "to-long-negative-half": (where("to_long(message) == -2"), {"message": "-2.5"}, True),
    "to-long-spaces": (where("to_long(message) == 7"), {"message": " 7 "}, True),
    "to-long-too-large": (where("to_long(message) is null"), {"message": "1e19"}, True),
    "to-double-java-suffix": (where("to_double(message) == 1.5"), {"message": "1.5d"}, True),
    "to-double-nan": (where("to_double(message) is null"), {"message": "NaN"}, True),
    "to-double-python-only": (where("to_double(message) is null"), {"message": "1_0"}, True),
    # "The input can be a single- or multi-valued column": each value converts on its own and
    # a failing one is skipped (generated ToLongFromStringEvaluator.evalBlock)
    "to-long-multivalue": (
        where("mv_count(to_long(user.name)) == 2"),
        {"user.name": ["1", "x", "2"]},
        True,
    ),
    "to-long-multivalue-none": (
        where("to_long(user.name) is null"),
        {"user.name": ["x", "y"]},
        True,
    ),
    # operators "Cast (::)": an alternative syntax for the TO_<type> functions
    "cast-long": (where("message::long == 5"), {"message": "5"}, True),
    "cast-double": (where("message::double == 0.5"), {"message": ".5"}, True),
}

TRAPS: dict[str, Row] = {
    # T1 case: ES|QL string operators are case-sensitive; TO_LOWER is the idiom
    "T1-ends-with-case": (
        where('ends_with(process.executable, "\\\\svchost.exe")'),
        {"process.executable": "C:\\Windows\\system32\\SVCHOST.EXE"},
        False,
    ),
    "T1-to-lower": (
        where('to_lower(process.executable) like "*\\\\\\\\svchost.exe"'),
        {"process.executable": "C:\\Windows\\system32\\SVCHOST.EXE"},
        True,
    ),
    "T1-equals-case": (where('process.name == "cmd.exe"'), {"process.name": "CMD.exe"}, False),
    # T6 anchoring: RLIKE matches the whole value; Lucene has no (?i) flag: "(?i)" is literal
    "T6-anchored": (
        where('process.command_line rlike "foo"'),
        {"process.command_line": "a foo b"},
        False,
    ),
    "T6-dotstar": (
        where('process.command_line rlike ".*foo.*"'),
        {"process.command_line": "a foo b"},
        True,
    ),
    "T6-caret-literal": (
        where('process.command_line rlike "^foo"'),
        {"process.command_line": "foo"},
        False,
    ),
    "T6-inline-flag-literal": (
        where('process.command_line rlike "(?i)foo"'),
        {"process.command_line": "FOO"},
        False,
    ),
    # T8 missing fields under negation drop the row (three-valued logic)
    "T8-not-equals-missing": (where('process.name != "a"'), {}, False),
    "T8-not-missing": (where('NOT process.name == "a"'), {}, False),
    "T8-not-present": (where('NOT process.name == "a"'), {"process.name": "b"}, True),
    "T8-or-null": (where('process.name == "a" or user.name == "u"'), {"user.name": "u"}, True),
    # T13 escaping layers: string unescaping, then LIKE's own \ escape
    "T13-backslash-four": (
        where('process.executable like "C:\\\\\\\\Windows\\\\\\\\*"'),
        {"process.executable": "C:\\Windows\\x.exe"},
        True,
    ),
    "T13-backslash-two": (
        where('process.executable like "C:\\\\Windows\\\\*"'),
        {"process.executable": "C:\\Windows\\x.exe"},
        False,
    ),
    "T13-backslash-two-literal": (
        where('process.executable like "C:\\\\Windows\\\\*"'),
        {"process.executable": "C:Windows*"},
        True,
    ),
    # T15 ip fields: CIDR_MATCH needs an ip column
    "T15-cidr-v6": (where('cidr_match(source.ip, "::1/128")'), {"source.ip": "::1"}, True),
    # T16 multi-values: ==, LIKE and functions give null; IS NOT NULL is true
    "T16-equals": (where('process.name == "a"'), {"process.name": ["a", "b"]}, False),
    "T16-like": (where('process.name like "a*"'), {"process.name": ["a", "b"]}, False),
    "T16-function": (where('starts_with(process.name, "a")'), {"process.name": ["a", "b"]}, False),
    "T16-not-null": (where("process.name is not null"), {"process.name": ["a", "b"]}, True),
    "T16-keyword-dedup": (where('process.name == "a"'), {"process.name": ["a", "a"]}, True),
    "T16-not-equals": (where('process.name != "c"'), {"process.name": ["a", "b"]}, False),
    # T17 field names: backquotes for anything outside [a-z0-9_@]
    "T17-backquoted": (where('`cs-uri-query` == "x"'), {"cs-uri-query": "x"}, True),
    "T17-case-sensitive-name": (where('Process.name == "a"'), {"process.name": "a"}, False),
    # T18 numbers: a long column against an integer literal; JSON "443" is indexed as 443
    "T18-long": (where("destination.port == 443"), {"destination.port": 443}, True),
    "T18-long-from-string": (where("destination.port == 443"), {"destination.port": "443"}, True),
    # ignore_above (elastic/elasticsearch#124678): an over-long keyword value reads as null
    "ignore-above-null": (where("url.original is null"), {"url.original": "0123456789A"}, True),
    "ignore-above-like": (where('url.original like "*"'), {"url.original": "0123456789A"}, False),
    "ignore-above-short": (where('url.original like "*"'), {"url.original": "short"}, True),
    # normalizer: the .caseless doc value is lower-cased (open point esql-normalizer)
    "normalizer": (
        where('process.executable.caseless == "c:\\\\cmd.exe"'),
        {"process.executable.caseless": "C:\\CMD.EXE"},
        True,
    ),
    # a multi-field is indexed from its parent's value (mapping-reference/multi-fields): the
    # document has no process.executable.caseless key; its doc value is the normalized parent
    "multi-field-from-parent": (
        where('process.executable.caseless == "c:\\\\cmd.exe"'),
        {"process.executable": "C:\\CMD.EXE"},
        True,
    ),
    "multi-field-from-parent-like": (
        where('process.executable.caseless like "c:*cmd.exe"'),
        {"process.executable": "C:\\Windows\\CMD.EXE"},
        True,
    ),
    "multi-field-literal-not-normalized": (
        where('process.executable.caseless == "C:\\\\CMD.EXE"'),
        {"process.executable": "C:\\CMD.EXE"},
        False,
    ),
    "multi-field-parent-absent": (where("process.executable.caseless is null"), {}, True),
    "multi-field-parent-multivalue": (
        where("mv_count(process.executable.caseless) == 2"),
        {"process.executable": ["A", "B"]},
        True,
    ),
    # keyword doc values are deduplicated after normalizing: "A" and "a" are one term
    "multi-field-dedup-after-normalizer": (
        where("mv_count(process.executable.caseless) == 1"),
        {"process.executable": ["A", "a"]},
        True,
    ),
    "parent-not-from-multi-field": (
        where("process.executable is not null"),
        {"process.executable.caseless": "a"},
        False,
    ),
}


@pytest.mark.parametrize(("query", "event", "expected"), DOCUMENTED.values(), ids=DOCUMENTED.keys())
def test_documented(engine: EsqlEngine, query: str, event: dict[str, Any], expected: bool) -> None:
    assert engine.matches(query, event) is expected


@pytest.mark.parametrize(("query", "event", "expected"), TRAPS.values(), ids=TRAPS.keys())
def test_traps(engine: EsqlEngine, query: str, event: dict[str, Any], expected: bool) -> None:
    assert engine.matches(query, event) is expected


MUST_REJECT: dict[str, str] = {
    "T13-unknown-escape-star": where('process.name == "\\*"'),
    "T13-unknown-escape-question": where('url.original like "*momyshark\\?key=*"'),
    "unterminated-string": where('process.name == "a'),
    "single-quotes": where("process.name == 'a'"),
    "newline-in-string": where('process.name == "a\nb"'),
    "no-source-command": 'where process.name == "a"',
    "empty-where": "from logs-* | where",
    "single-equals": where('process.name = "a"'),
    "dangling-and": where('process.name == "a" and'),
    "T17-digit-segment": where('winlog.1st == "x"'),
    "T18-long-vs-string": where('destination.port == "443"'),
    "T18-keyword-vs-integer": where("event.code == 4624"),
    "T18-mixed-in-list": where('event.code in ("4624", 4625)'),
    "T15-cidr-on-keyword": where('cidr_match(event.code, "10.0.0.0/8")'),
    "T15-like-on-ip": where('source.ip like "10.*"'),
    "T15-bad-ip-literal": where('source.ip == "-"'),
    "like-on-long": where('destination.port like "4*"'),
    "unknown-function": where("nosuch(process.name)"),
    "non-boolean-condition": where('"a"'),
    "rlike-bad-repeat": where('process.name rlike "a{"'),
    "rlike-unterminated-quote": where('process.name rlike "\\"abc"'),
    "rlike-automaton": where('process.command_line rlike "\\\\s-\\\\s*<"'),
    "negative-limit": where("true") + " | limit -1",
    "keyword-as-field": where('and == "a"'),
    # to_long.md / to_double.md list no ip input
    "to-long-on-ip": where("to_long(source.ip) == 1"),
    "to-double-on-ip": where("to_double(source.ip) == 1"),
}


@pytest.mark.parametrize("query", MUST_REJECT.values(), ids=MUST_REJECT.keys())
def test_must_reject(engine: EsqlEngine, query: str) -> None:
    with pytest.raises(QueryRejected):
        engine.compile(query)


def test_multivalue_warning(engine: EsqlEngine) -> None:
    """esql-multivalued-fields.md: a single-value function on a multi-value warns."""
    compiled = engine.compile(where('process.name == "a"'))
    compiled.matches({"process.name": ["a", "b"]})
    assert any("single-value function encountered multi-value" in w for w in compiled.warnings)


def test_conversion_warning(engine: EsqlEngine) -> None:
    """to_long.md: a string that is no number gives null and a Warning header."""
    compiled = engine.compile(where("to_long(message) is null"))
    assert compiled.matches({"message": "foo"})
    assert any("treating result as null" in w for w in compiled.warnings)
    assert any("Cannot parse number [foo]" in w for w in compiled.warnings)


def test_conversion_of_date_not_modelled(engine: EsqlEngine) -> None:
    """to_long.md: a date converts to epoch milliseconds, which the model does not compute."""
    compiled = engine.compile(where("to_long(@timestamp) > 0"))
    with pytest.raises(NotModelled):
        compiled.matches({"@timestamp": "2024-01-01T00:00:00Z"})


@pytest.mark.parametrize(
    ("query", "key"),
    [
        (where("true") + " | stats c = count()", "esql-aggregation"),
        (where("true") + ' | grok message "%{WORD:w}"', "esql-unevaluated-command"),
        (where('nosuchfield == "a"'), "esql-unmapped-field"),
        (where('url.original == "a"'), "esql-ignore-above"),
        (where('process.executable.caseless == "a"'), "esql-normalizer"),
    ],
)
def test_assumptions_recorded(engine: EsqlEngine, query: str, key: str) -> None:
    assert key in engine.compile(query).assumptions
    assert key in {p.key for p in engine.open_points}
