"""Splunk parity profile: the search stays a superset and ``| where`` makes the query exact.

Expected queries are written from the Splunk Search Reference (``where`` compares
case-sensitively; ``match`` is unanchored PCRE; ``isnotnull``; ``lower``; ``like`` with ``%``)
and the SPL string layer (Search Manual, "SPL and regular expressions": one level of backslashes
is removed before PCRE sees the regex). Expected verdicts are Sigma's (DESIGN.md "Semantic
decisions"), decided by hand for each event; the oracle is asked as well, as a cross-check of
the hand-written verdict, and the SPL engine model answers for the query.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.processing.pipeline import ProcessingPipeline

from converter.engines.spl import SplEngine
from converter.oracle import compile_rule
from converter.render import render_artifact
from converter.results import RuleResult
from converter.targets import TARGETS
from converter.targets.splunk_parity import SplunkParityBackend

ENGINE = SplEngine()
RULE = """\
title: Splunk parity test rule
id: 0b7b1f5e-8a44-4c1a-9a53-6d1c2f0e7a11
status: test
logsource:
    product: test
    category: test
detection:
{detection}
"""
KEYWORD = "keyword matched in _raw"


def rule_text(detection: str) -> str:
    body = textwrap.indent(textwrap.dedent(detection).strip("\n"), "    ")
    return RULE.format(detection=body)


def convert(detection: str) -> tuple[str, set[tuple[str, str]]]:
    """The query of one rule and the (cause, direction) of each warning it declared."""
    backend = SplunkParityBackend(ProcessingPipeline())
    backend.conversion_warnings = []
    queries = backend.convert(SigmaCollection.from_yaml(rule_text(detection)))
    return str(queries[0]), {(w.cause, w.direction) for w in backend.conversion_warnings}


def stored(event: dict[str, Any]) -> dict[str, Any]:
    """The event as the check harness stores it for Splunk: _raw is its JSON, sorted keys."""
    return {**event, "_raw": json.dumps(event, sort_keys=True, ensure_ascii=False)}


def one(item: str) -> str:
    return f"sel:\n    {item}\ncondition: sel"


QUESTION_NOT = """
sel:
    F: x
filter:
    G: 'a?c'
condition: sel and not filter
"""
REGEX_FIRST_UNDER_OR = r"""
sel_re:
    F|re: '^a+$'
sel_img:
    G: g.exe
sel_cli:
    H|contains: h
condition: (sel_re or sel_img) and sel_cli
"""
FIELDREF_OR = """
sel_ref:
    F|fieldref: G
sel_h:
    H: x
condition: sel_ref or sel_h
"""
NOT_GUARDED = """
sel:
    F: x
filter_q:
    G: 'a?c'
filter_n:
    N|gt: 5
filter_ip:
    IP|cidr: 10.0.0.0/8
filter_null:
    K: null
condition: sel and not 1 of filter_*
"""
NUMBER_IN_OR = """
sel_id:
    EventID: 4688
sel_q:
    G: 'a?c'
condition: 1 of sel_*
"""

NOT_ALL_WITH_REGEX = """
sel:
    F: x
filter_a:
    G|contains: a
filter_re:
    G|re: 'b+'
condition: sel and not all of filter_*
"""

REGEX_BACKSLASH_OR = r"""
sel_re:
    F|re: '^C:\\Temp\\'
sel_h:
    H: x
condition: 1 of sel_*
"""

QUERIES = [
    # no construct the search cannot say: pySigma's query, unchanged
    pytest.param(one(r"F|endswith: '\cmd.exe'"), r'F="*\\cmd.exe"', id="exact-unchanged"),
    # T3: '?' widens to '*' in the search; the where matches one character, (?s) crosses lines
    pytest.param(one("F: 'a?c'"), 'F="a*c"\n| where match(\'F\', "(?is)^a.c\\\\z")', id="T3"),
    # T2: the literal '*' is a wildcard in the search; \* in the regex, doubled for the string
    pytest.param(one(r"F: 'a\*b'"), 'F="a*b"\n| where match(\'F\', "(?i)^a\\\\*b\\\\z")', id="T2"),
    # T1 |cased: the IN list ignores case; the where has no (?i); one match() per field
    pytest.param(
        one("F|cased: [Ab, Cd]"),
        'F IN ("Ab", "Cd")\n| where match(\'F\', "^(?:Ab|Cd)\\\\z")',
        id="T1-cased-list",
    ),
    # T1 fieldref: lower() on both sides; nothing to search for
    pytest.param(one("F|fieldref: G"), "*\n| where lower('F')==lower('G')", id="T1-fieldref"),
    pytest.param(
        FIELDREF_OR,
        "*\n| where lower('F')==lower('G') OR match('H', \"(?i)^x\\\\z\")",
        id="fieldref-under-or",
    ),
    # pySigma's '| search OR ...': the regex leaves the search, the exact conjunct stays there
    pytest.param(
        REGEX_FIRST_UNDER_OR,
        'H="*h*"\n| where match(\'F\', "^a+$") OR match(\'G\', "(?i)^g\\\\.exe\\\\z")',
        id="regex-first-under-or",
    ),
    # under a not the inexact atom leaves the search; the where guards the missing field
    pytest.param(
        QUESTION_NOT,
        "F=\"x\"\n| where NOT (isnotnull('G') AND match('G', \"(?is)^a.c\\\\z\"))",
        id="not-question-mark",
    ),
    # a regex with only ANDs above it: pySigma's '| regex', exact
    pytest.param(one("F|re: 'a.c'"), '*\n| regex F="a.c"', id="regex-and-unchanged"),
    # pySigma would apply the regex outside the not of its group: the where says it
    pytest.param(
        NOT_ALL_WITH_REGEX,
        "F=\"x\"\n| where NOT (isnotnull('G') AND match('G', \"(?is)^.*a.*\\\\z\") AND "
        "isnotnull('G') AND match('G', \"b+\"))",
        id="regex-under-not-of-group",
    ),
    # presence ("*", exists, null) whatever the value: f="" asked besides f=* (spl-empty-value)
    pytest.param(one("F: '*'"), 'F IN ("*", "")', id="any-value"),
    # an expansion's values are one group: NOT binds tightest in SPL (pySigma left them bare)
    pytest.param(
        "sel:\n    F|windash: -a\ncondition: not sel",
        'NOT (F="-a" OR F="/a" OR F="\u2013a" OR F="\u2014a" OR F="\u2015a")',
        id="windash-under-not",
    ),
    pytest.param(one("F|exists: true"), 'F IN ("*", "")', id="exists"),
    pytest.param(one("F: null"), 'NOT F IN ("*", "")', id="null"),
    # a keyword: its longest alphanumeric run as *run* in the search, a substring of _raw after
    pytest.param(
        "keywords:\n    - 'foo bar'\ncondition: keywords",
        '"*foo*"\n| where match(_raw, "(?i)foo bar")',
        id="keyword",
    ),
]


@pytest.mark.parametrize(("detection", "expected"), QUERIES)
def test_query(detection: str, expected: str) -> None:
    query, _ = convert(detection)
    assert query == expected
    ENGINE.compile(query)  # the SPL model accepts it


VERDICTS = [
    # T3: Sigma '?' is exactly one character
    pytest.param(one("F: 'a?c'"), {"F": "abc"}, True, id="T3-one-char"),
    pytest.param(one("F: 'a?c'"), {"F": "ABC"}, True, id="T3-case-insensitive"),
    pytest.param(one("F: 'a?c'"), {"F": "abbc"}, False, id="T3-two-chars"),
    pytest.param(one("F: 'a?c'"), {"F": "ac"}, False, id="T3-no-char"),
    pytest.param(one("F: 'a?c'"), {"F": ["zz", "abc"]}, True, id="T3-multivalue-any"),
    # T2: a literal asterisk
    pytest.param(one(r"F: 'a\*b'"), {"F": "A*B"}, True, id="T2-literal-star"),
    pytest.param(one(r"F: 'a\*b'"), {"F": "axb"}, False, id="T2-not-a-wildcard"),
    # T1 |cased
    pytest.param(one("F|cased: [Ab, Cd]"), {"F": "Cd"}, True, id="T1-cased-same"),
    pytest.param(one("F|cased: [Ab, Cd]"), {"F": "ab"}, False, id="T1-cased-other-case"),
    # T1 fieldref: Sigma values ignore case; a missing field makes the atom false
    pytest.param(one("F|fieldref: G"), {"F": "Alice", "G": "alice"}, True, id="fieldref-case"),
    pytest.param(one("F|fieldref: G"), {"F": "Alice", "G": "Bob"}, False, id="fieldref-other"),
    pytest.param(one("F|fieldref: G"), {"F": "Alice"}, False, id="fieldref-missing"),
    pytest.param(
        "sel:\n    F|fieldref: G\ncondition: not sel", {"F": "x"}, True, id="not-fieldref-missing"
    ),
    pytest.param(FIELDREF_OR, {"H": "X"}, True, id="fieldref-or-other-branch"),
    pytest.param(
        one("F|fieldref|startswith: G"), {"F": "Alice Smith", "G": "ALICE"}, True, id="ref-starts"
    ),
    pytest.param(one("F|fieldref|endswith: G"), {"F": "Alice", "G": "Bob"}, False, id="ref-ends"),
    # T21: a regex's backslashes survive the SPL string layer
    pytest.param(REGEX_BACKSLASH_OR, {"F": "C:\\Temp\\a.exe"}, True, id="T21-regex-backslash"),
    pytest.param(REGEX_BACKSLASH_OR, {"F": "C:Temp\\"}, False, id="T21-regex-no-backslash"),
    # the former '| search OR' rule: each branch of the OR, and the exact conjunct
    pytest.param(REGEX_FIRST_UNDER_OR, {"F": "aaa", "H": "xhx"}, True, id="regex-or-re"),
    pytest.param(REGEX_FIRST_UNDER_OR, {"G": "G.EXE", "H": "h"}, True, id="regex-or-value"),
    pytest.param(REGEX_FIRST_UNDER_OR, {"F": "AAA", "H": "h"}, False, id="regex-case-sensitive"),
    pytest.param(REGEX_FIRST_UNDER_OR, {"F": "aaa"}, False, id="regex-or-needs-conjunct"),
    # T3 under not: Sigma excludes only a one-character match; a missing field is not excluded
    pytest.param(QUESTION_NOT, {"F": "x"}, True, id="not-missing-field"),
    pytest.param(QUESTION_NOT, {"F": "x", "G": "abc"}, False, id="not-excludes-match"),
    pytest.param(QUESTION_NOT, {"F": "x", "G": "abbc"}, True, id="not-keeps-two-chars"),
    pytest.param(QUESTION_NOT, {"F": "x", "G": ["q", "abc"]}, False, id="not-multivalue-any"),
    # guards under not: a non-number never compares, an absent field is no atom
    pytest.param(NOT_GUARDED, {"F": "x", "K": "k"}, True, id="guard-all-absent"),
    pytest.param(NOT_GUARDED, {"F": "x", "K": "k", "N": "abc"}, True, id="guard-not-a-number"),
    pytest.param(NOT_GUARDED, {"F": "x", "K": "k", "N": "7"}, False, id="guard-number-gt"),
    pytest.param(NOT_GUARDED, {"F": "x", "K": "k", "N": "3"}, True, id="guard-number-le"),
    pytest.param(NOT_GUARDED, {"F": "x", "K": "k", "IP": "10.1.2.3"}, False, id="guard-cidr-in"),
    pytest.param(NOT_GUARDED, {"F": "x", "K": "k", "IP": "8.8.8.8"}, True, id="guard-cidr-out"),
    pytest.param(NOT_GUARDED, {"F": "x"}, False, id="guard-null-means-absent"),
    # not (a and regex): either atom failing keeps the event
    pytest.param(NOT_ALL_WITH_REGEX, {"F": "x", "G": "a"}, True, id="not-all-regex-fails"),
    pytest.param(NOT_ALL_WITH_REGEX, {"F": "x", "G": "abb"}, False, id="not-all-both-match"),
    pytest.param(NOT_ALL_WITH_REGEX, {"F": "x"}, True, id="not-all-missing"),
    # presence: the empty string is a value
    pytest.param(one("F: '*'"), {"F": ""}, True, id="any-value-empty"),
    pytest.param(one("F: '*'"), {"G": "g"}, False, id="any-value-absent"),
    pytest.param(one("F: null"), {"F": ""}, False, id="null-empty-is-present"),
    pytest.param(one("F: null"), {"G": "g"}, True, id="null-absent"),
    # numbers match in their string form
    pytest.param(NUMBER_IN_OR, {"EventID": 4688}, True, id="number-equal"),
    pytest.param(NUMBER_IN_OR, {"EventID": "04688"}, False, id="number-text-differs"),
    # keywords: a substring of any value, whatever the segmentation; JSON escapes in _raw
    pytest.param(
        "keywords:\n    - 'foo bar'\ncondition: keywords",
        {"msg": "xfoo barx"},
        True,
        id="keyword-substring",
    ),
    pytest.param(
        "keywords:\n    - 'foo bar'\ncondition: keywords",
        {"msg": "foo  bar"},
        False,
        id="keyword-no-match",
    ),
    pytest.param(
        "keywords:\n    - 'echo \"\" > *_history'\ncondition: keywords",
        {"message": 'echo "" > ~/.zsh_history'},
        True,
        id="keyword-quotes-in-json",
    ),
    pytest.param(
        "keywords:\n    - 'C:\\Temp\\x'\ncondition: keywords",
        {"path": "D:\\C:\\Temp\\x.exe"},
        True,
        id="keyword-backslash-in-json",
    ),
]


@pytest.mark.parametrize(("detection", "event", "expected"), VERDICTS)
def test_verdict(detection: str, event: dict[str, Any], expected: bool) -> None:
    rule = SigmaCollection.from_yaml(rule_text(detection)).rules[0]
    assert compile_rule(rule)(event) is expected  # the hand-written verdict is Sigma's
    query, _ = convert(detection)
    assert ENGINE.compile(query).matches(stored(event)) is expected
    if expected:  # the search alone is a superset of the rule
        search = query.split("\n| where ", 1)[0]
        assert ENGINE.compile(search).matches(stored(event))


WARNINGS = [
    pytest.param(one(r"F|endswith: '\cmd.exe'"), set(), id="exact-none"),
    pytest.param(one("F: 'a?c'"), set(), id="exact-where-none"),
    pytest.param(
        "keywords:\n    - foo\ncondition: keywords", {(KEYWORD, "over-match")}, id="keyword"
    ),
    pytest.param(
        "sel:\n    F: x\nkeywords:\n    - foo\ncondition: sel and not keywords",
        {(KEYWORD, "under-match")},
        id="keyword-under-not",
    ),
    pytest.param(
        one("F|fieldref|startswith: G"),
        {("fieldref like() wildcards", "over-match")},
        id="fieldref-startswith",
    ),
]


@pytest.mark.parametrize(("detection", "expected"), WARNINGS)
def test_warnings(detection: str, expected: set[tuple[str, str]]) -> None:
    assert convert(detection)[1] == expected


def test_unquotable_field_name_is_unsupported() -> None:
    with pytest.raises(SigmaFeatureNotSupportedByBackendError, match="single quote"):
        convert(one("\"F'x\": 'a?c'"))


def test_parity_profile_uses_the_parity_backend() -> None:
    assert TARGETS["splunk"].backend_for("parity") == (SplunkParityBackend, True)


def test_savedsearches_keeps_the_where_line() -> None:
    """savedsearches.conf continues a value on the next line after a trailing backslash
    (savedsearches.conf.spec), so the two-line query reads back whole."""
    query, _ = convert(one("F: 'a?c'"))
    result = RuleResult(
        path=Path("r.yml"),
        stem="r",
        rule_id=None,
        title="Parity rule",
        target="splunk",
        status="converted",
        queries=[query],
    )
    target = TARGETS["splunk"]
    text = render_artifact(target, target.formats["savedsearches"], [result], [])
    start = text.index("search = ") + len("search = ")
    first, second = text[start:].split("\n")[:2]
    assert first == 'F="a*c"\\'
    assert second == query.split("\n")[1]
