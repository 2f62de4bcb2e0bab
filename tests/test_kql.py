"""Kibana KQL backend: one row per construct, expected text derived from Kibana's kuery grammar.

Expected values follow elastic/kibana kbn-es-query/src/kuery/grammar/grammar.peggy (quoted and
unquoted values, SpecialCharacter, Keyword, EscapedWhitespace, ListOfValues, RangeOperator,
NotQuery), functions/is.ts and node_types/wildcard.ts (which values reach query_string), and the
field types of converter.schema.ecs. Fields not in the schema (F, A, B, ...) count as keyword.
"""

from __future__ import annotations

import textwrap
from typing import ClassVar

import pytest
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.pipelines.elasticsearch.windows import ecs_windows
from sigma.processing.pipeline import ProcessingPipeline

from converter.schema.model import Schema
from converter.targets.kql import KibanaKqlBackend, escape_unquoted, quote

UNSUPPORTED = "unsupported"

RULE = """\
title: KQL test rule
id: 5f7c0a57-53a9-4a07-9c3f-2d8e2c1d2a10
status: test
logsource:
    product: {product}
    category: process_creation
detection:
{detection}
"""


class DataViewKql(KibanaKqlBackend):
    """The backend for queries that only ever run where a data view knows the field types."""

    data_view_types: ClassVar[bool] = True


def convert(
    detection: str,
    backend_class: type[KibanaKqlBackend] = KibanaKqlBackend,
    pipeline: ProcessingPipeline | None = None,
    product: str = "test",
) -> tuple[str, list[str]]:
    """The query for one rule and the directions of the warnings it declared."""
    body = textwrap.indent(textwrap.dedent(detection).strip("\n"), "    ")
    backend = backend_class(pipeline)
    backend.conversion_warnings = []
    queries = backend.convert(
        SigmaCollection.from_yaml(RULE.format(product=product, detection=body))
    )
    return str(queries[0]), [w.direction for w in backend.conversion_warnings]


def one(item: str) -> str:
    """A detection with a single selection."""
    return f"sel:\n    {item}\ncondition: sel"


CASES = [
    # quoted literals: only \ and " are escaped; nothing else is special inside quotes
    pytest.param(one("F: foo"), 'F:"foo"', id="literal"),
    pytest.param(one("F: 'foo bar'"), 'F:"foo bar"', id="literal-with-spaces"),
    pytest.param(one(r"F: 'C:\Windows\x'"), r'F:"C:\\Windows\\x"', id="literal-backslash"),
    pytest.param(one("F: 'say \"hi\"'"), r'F:"say \"hi\""', id="literal-quote"),
    pytest.param(one("F: 'a:(b)<c>{d}'"), 'F:"a:(b)<c>{d}"', id="literal-specials-quoted"),
    pytest.param(one(r"F: 'a\*b'"), 'F:"a*b"', id="literal-star-is-text-in-quotes"),
    pytest.param(one("F: 'this or that and not'"), 'F:"this or that and not"', id="literal-words"),
    pytest.param(one("F: 'null'"), 'F:"null"', id="literal-null-text"),
    pytest.param(one("F: 'true'"), 'F:"true"', id="literal-true-text"),
    pytest.param(one('F: "a\\tb"'), r'F:"a\tb"', id="literal-tab-escape"),
    pytest.param(one("F: ''"), 'F:""', id="literal-empty"),
    # unquoted patterns: \ ( ) : < > " * { } escaped with a backslash
    pytest.param(one(r"F|endswith: '\cmd.exe'"), r"F:*\\cmd.exe", id="pattern-backslash"),
    pytest.param(one("F|contains: 'a(b)c'"), r"F:*a\(b\)c*", id="pattern-parens"),
    pytest.param(one("F|contains: 'a:b'"), r"F:*a\:b*", id="pattern-colon"),
    pytest.param(one("F|contains: 'a<b>c'"), r"F:*a\<b\>c*", id="pattern-angles"),
    pytest.param(one("F|contains: 'a\"b'"), r"F:*a\"b*", id="pattern-quote"),
    pytest.param(one("F|contains: 'a{b}c'"), r"F:*a\{b\}c*", id="pattern-braces"),
    pytest.param(one(r"F|startswith: 'a\*b'"), r"F:a\*b*", id="pattern-literal-star"),
    pytest.param(one(r"F|contains: 'a\?b'"), "F:*a?b*", id="pattern-question-mark-is-text"),
    pytest.param(one("F|contains: 'a?b'"), UNSUPPORTED, id="single-char-wildcard"),
    # keywords: `not` before Space, or/and between Space (end of value counts as Space);
    # a lowercase `not` cannot be `\not` (that is EscapedWhitespace `\n` + "ot"): `\u006eot`
    pytest.param(one("F|contains: 'knot'"), "F:*knot*", id="not-inside-word-before-star"),
    pytest.param(one("F|endswith: 'cannot'"), r"F:*can\u006eot", id="not-at-end-escaped"),
    pytest.param(one("F|endswith: 'canNOT'"), r"F:*can\NOT", id="upper-not-at-end-escaped"),
    pytest.param(one("F|startswith: 'nothing'"), "F:nothing*", id="not-before-letter"),
    pytest.param(one("'a:b': x"), r'a\:b:"x"', id="field-name-escaped"),
    pytest.param(one("Field Name: x"), 'Field Name:"x"', id="field-name-with-space"),
    # null, exists, lone wildcard
    pytest.param(one("F: null"), "not F:*", id="null-is-absent"),
    pytest.param("sel:\n    F: null\ncondition: not sel", "F:*", id="not-null-is-exists"),
    pytest.param(one("F|exists: true"), "F:*", id="exists"),
    pytest.param(one("F|exists: false"), "not F:*", id="not-exists"),
    pytest.param(one("F: '*'"), "F:*", id="lone-wildcard"),
    # numbers, booleans, ranges
    pytest.param(one("F: 42"), "F:42", id="number-on-keyword"),
    pytest.param(one("process.pid: 42"), "process.pid:42", id="number-on-long"),
    pytest.param(one("process.pid: '42'"), "process.pid:42", id="numeric-text-on-long"),
    pytest.param(one("process.pid: 'abc'"), UNSUPPORTED, id="text-on-long"),
    pytest.param(one("process.pid|startswith: '4'"), UNSUPPORTED, id="pattern-on-long"),
    pytest.param(one("process.pid|gt: 5"), "process.pid > 5", id="range-gt"),
    pytest.param(one("process.pid|gte: 5"), "process.pid >= 5", id="range-gte"),
    pytest.param(one("process.pid|lt: 5"), "process.pid < 5", id="range-lt"),
    pytest.param(one("process.pid|lte: 5"), "process.pid <= 5", id="range-lte"),
    pytest.param(one("F|gt: 5"), UNSUPPORTED, id="range-on-keyword-compares-strings"),
    pytest.param(one("F: true"), "F:true", id="boolean"),
    pytest.param(
        one("sysmon.file.archived: 'false'"), "sysmon.file.archived:false", id="bool-text"
    ),
    pytest.param(one("sysmon.file.archived: 'maybe'"), UNSUPPORTED, id="bool-field-other-text"),
    pytest.param(one("process.pid: true"), UNSUPPORTED, id="boolean-on-long"),
    # ip fields: CIDR in a quoted value, whole-octet IPv4 prefixes as CIDR
    pytest.param(one("source.ip|cidr: 10.0.0.0/8"), 'source.ip:"10.0.0.0/8"', id="cidr-v4"),
    pytest.param(one("source.ip|cidr: '2001:db8::/32'"), 'source.ip:"2001:db8::/32"', id="cidr-v6"),
    pytest.param(one("F|cidr: 10.0.0.0/8"), UNSUPPORTED, id="cidr-on-keyword"),
    pytest.param(one("source.ip: 10.1.2.3"), 'source.ip:"10.1.2.3"', id="ip-literal"),
    pytest.param(one("source.ip: localhost"), UNSUPPORTED, id="ip-field-non-ip"),
    pytest.param(
        one("source.ip|startswith: '192.168.'"), 'source.ip:"192.168.0.0/16"', id="ip-prefix"
    ),
    pytest.param(
        one("source.ip|startswith: ['10.', '172.16.']"),
        'source.ip:("10.0.0.0/8" or "172.16.0.0/16")',
        id="ip-prefix-list",
    ),
    pytest.param(one("source.ip|startswith: '10.1'"), UNSUPPORTED, id="ip-partial-octet"),
    pytest.param(one("source.ip|endswith: '.1'"), UNSUPPORTED, id="ip-endswith"),
    # text fields: only `contains` of one token is exact
    pytest.param(
        one("powershell.file.script_block_text|contains: 'Invoke-Mimikatz'"),
        "powershell.file.script_block_text:*Invoke-Mimikatz*",
        id="text-contains-token",
    ),
    pytest.param(
        one("powershell.file.script_block_text|contains: 'a.b'"), UNSUPPORTED, id="text-2-tokens"
    ),
    pytest.param(one("powershell.file.script_block_text: x"), UNSUPPORTED, id="text-literal"),
    pytest.param(
        one("powershell.file.script_block_text|endswith: x"), UNSUPPORTED, id="text-endswith"
    ),
    pytest.param(
        one("powershell.command.value|contains: 'a-b'"), UNSUPPORTED, id="text-standard-dash"
    ),
    pytest.param(
        one("powershell.command.value|contains: 'abc_1'"),
        "powershell.command.value:*abc_1*",
        id="text-standard-token",
    ),
    # case
    pytest.param(one("F|cased: Foo"), 'F:"Foo"', id="cased-on-keyword"),
    pytest.param(
        one(r"process.executable.caseless|endswith: '\CMD.exe'"),
        r"process.executable.caseless:*\\CMD.exe",
        id="caseless-field",
    ),
    pytest.param(
        one("process.executable.caseless|cased: Foo"), UNSUPPORTED, id="cased-on-normalized"
    ),
    pytest.param(
        one("powershell.file.script_block_text|contains|cased: abc"), UNSUPPORTED, id="cased-text"
    ),
    # value lists, all, expansions, nesting
    pytest.param(one("F: [a, 'b*']"), 'F:("a" or b*)', id="value-list"),
    pytest.param(one("F|contains|all: [a, b]"), "F:*a* and F:*b*", id="contains-all"),
    pytest.param(
        one("F|windash|contains: '-a'"),
        "F:(*-a* or */a* or *\u2013a* or *\u2014a* or *\u2015a*)",
        id="windash-list",
    ),
    pytest.param(
        "s1:\n    A: x\ns2:\n    B: y\ns3:\n    C: z\ncondition: s1 and not (s2 or s3)",
        'A:"x" and (not (B:"y" or C:"z"))',
        id="nested-not-or",
    ),
    pytest.param(
        "s1:\n    A: x\ns2:\n    B: y\ns3:\n    C: z\ncondition: s1 or s2 and s3",
        'A:"x" or (B:"y" and C:"z")',
        id="and-binds-tighter",
    ),
    pytest.param(
        "s1:\n    A: x\ns2:\n    B: [y, z]\ncondition: s1 and not s2",
        'A:"x" and (not B:("y" or "z"))',
        id="not-value-list",
    ),
    # field patterns (ecs_zeek_beats): fine for patterns, not for literals
    pytest.param(one("zeek.*.host|endswith: x"), "zeek.*.host:*x", id="field-pattern-pattern"),
    pytest.param(one("zeek.*.path: x"), UNSUPPORTED, id="field-pattern-literal"),
    pytest.param(one("zeek.*.path|endswith: x"), UNSUPPORTED, id="field-pattern-names-ip-field"),
    # not expressible
    pytest.param("keywords:\n    - foo\ncondition: keywords", UNSUPPORTED, id="keywords"),
    pytest.param("keywords:\n    - 5\ncondition: keywords", UNSUPPORTED, id="keyword-number"),
    pytest.param(one("F|re: 'a.*b'"), UNSUPPORTED, id="regex"),
    pytest.param(one("F|fieldref: G"), UNSUPPORTED, id="fieldref"),
    pytest.param(one("F|contains: '@kuery-wildcard@'"), UNSUPPORTED, id="kibana-marker"),
]


@pytest.mark.parametrize(("detection", "expected"), CASES)
def test_construct(detection: str, expected: str) -> None:
    if expected == UNSUPPORTED:
        with pytest.raises(SigmaFeatureNotSupportedByBackendError):
            convert(detection)
    else:
        assert convert(detection) == (expected, [])


WHITESPACE_CASES = [
    # stock: query_string splits at whitespace, so each run becomes `*` (matches more)
    pytest.param(
        KibanaKqlBackend, one("F|contains: 'cmd /c'"), "F:*cmd*/c*", ["over-match"], id="ws"
    ),
    pytest.param(
        KibanaKqlBackend,
        "sel:\n    F|contains: 'a b'\ncondition: not sel",
        "not F:*a*b*",
        ["under-match"],
        id="ws-under-not",
    ),
    pytest.param(KibanaKqlBackend, one('F|contains: "a\\tb"'), "F:*a*b*", ["over-match"], id="tab"),
    # data view with known types: a keyword field's pattern is a wildcard query, spaces stay
    pytest.param(DataViewKql, one("F|contains: 'cmd /c'"), "F:*cmd /c*", [], id="dv-keyword"),
    pytest.param(DataViewKql, one('F|contains: "a\\tb"'), r"F:*a\tb*", [], id="dv-tab"),
    pytest.param(
        DataViewKql, one("F|contains: 'this or that'"), r"F:*this \or that*", [], id="dv-or"
    ),
    pytest.param(
        DataViewKql, one("F|contains: 'do not run'"), r"F:*do \u006eot run*", [], id="dv-not"
    ),
    pytest.param(DataViewKql, one("F|endswith: 'x AND'"), r"F:*x \AND", [], id="dv-and-at-end"),
    pytest.param(DataViewKql, one("F|startswith: ' x'"), UNSUPPORTED, [], id="dv-trimmed"),
    pytest.param(
        DataViewKql,
        one("process.command_line|contains: 'a b'"),
        "process.command_line:*a*b*",
        ["over-match"],
        id="dv-wildcard-type",
    ),
]


@pytest.mark.parametrize(("backend", "detection", "expected", "warnings"), WHITESPACE_CASES)
def test_whitespace_in_patterns(
    backend: type[KibanaKqlBackend], detection: str, expected: str, warnings: list[str]
) -> None:
    if expected == UNSUPPORTED:
        with pytest.raises(SigmaFeatureNotSupportedByBackendError):
            convert(detection, backend)
    else:
        assert convert(detection, backend) == (expected, warnings)


def test_refusing_whitespace_instead() -> None:
    class Strict(KibanaKqlBackend):
        approximate_whitespace: ClassVar[bool] = False

    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="whitespace"):
        convert(one("F|contains: 'cmd /c'"), Strict)


def test_ecs_windows_pipeline() -> None:
    detection = (
        "sel:\n    Image|endswith: '\\cmd.exe'\n    CommandLine|contains: ' /c '\ncondition: sel"
    )
    query, warnings = convert(detection, pipeline=ecs_windows(), product="windows")
    assert query == r"process.executable.caseless:*\\cmd.exe and process.command_line:*/c*"
    assert warnings == ["over-match"]


def test_user_schema_decides_field_types() -> None:
    mapping = {"logs": {"mappings": {"properties": {"F": {"type": "long"}, "T": {"type": "text"}}}}}
    backend = KibanaKqlBackend(schema=Schema.from_mapping(mapping))
    rule = RULE.format(product="test", detection="    sel:\n        F: 7\n    condition: sel")
    assert backend.convert(SigmaCollection.from_yaml(rule)) == ["F:7"]
    for detection in ("F|contains: x", "T: x", "G|cidr: 10.0.0.0/8"):
        rule = RULE.format(
            product="test", detection=f"    sel:\n        {detection}\n    condition: sel"
        )
        with pytest.raises(SigmaFeatureNotSupportedByBackendError):
            backend.convert(SigmaCollection.from_yaml(rule))


def test_correlation_rule_is_unsupported() -> None:
    collection = SigmaCollection.from_yaml(
        RULE.format(product="test", detection="    sel:\n        F: x\n    condition: sel")
        + "name: base_rule\n---\n"
        "title: many\nid: 0e95725d-7320-415c-9f8f-5a2c5d3a0a6f\ncorrelation:\n"
        "    type: event_count\n    rules: [base_rule]\n    group-by: [F]\n"
        "    timespan: 5m\n    condition:\n        gte: 10\n"
    )
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="correlation"):
        KibanaKqlBackend().convert(collection)


@pytest.mark.parametrize(
    ("text", "last", "expected"),
    [
        pytest.param("a or b", True, r"a \or b", id="or-between-spaces"),
        pytest.param("a\u00a0and\u00a0b", True, "a\u00a0\\and\u00a0b", id="and-between-nbsp"),
        pytest.param("for x", True, "for x", id="or-inside-word"),
        pytest.param("x or", True, r"x \or", id="or-at-end"),
        pytest.param("x or", False, "x or", id="or-before-wildcard"),
        pytest.param("NOT x", True, r"\NOT x", id="not-upper"),
        pytest.param("not x", True, r"\u006eot x", id="not-lower-unicode-escape"),
        pytest.param("a\nb", True, r"a\nb", id="newline"),
        pytest.param('\\():<>"*{}', True, r"\\\(\)\:\<\>\"\*\{\}", id="all-specials"),
    ],
)
def test_escape_unquoted(text: str, last: bool, expected: str) -> None:
    assert escape_unquoted(text, last=last) == expected


def test_quote() -> None:
    assert quote('a\\b"c\nd') == r'"a\\b\"c\nd"'
