"""Naming the cause of a divergence: the trap of research/SEMANTICS.md §8 it is an instance of.

A cause is recognised from the rule (which values and modifiers it uses), the event (missing or
multi-valued fields) and, for case, by probing: the same event with its values re-cased is put
to the target again, and if that flips the answer to the expected one, case is the cause. What
is not recognised is named after the open points the query's answer depends on (an ``assumed``
behaviour of the engine model, DESIGN.md), else "unexplained".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from sigma.conditions import ConditionNOT
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from converter.fields import detection_fields, detection_items
from converter.logsources import LogsourceFilter, sigma_view

Probe = Callable[[Mapping[str, Any]], "bool | None"]

# A value no rule tests for: the probe for T8 gives it to the fields an event lacks.
_FILLER = "sigma-parity-absent-field-probe"
# Lucene's QueryParserBase.addClause turns "a OR NOT b" into +a -b (T10).
_LUCENE_OR_NOT = re.compile(r"\bOR\s+NOT\b")
# Where each language treats Sigma's single-character wildcard (T3) differently.
_QUESTION_MARK = {"splunk": "T3 '?' widened to '*'", "kql": "T3 '?' is a literal in KQL"}
# Literal * or ? in a value (T2 Splunk cannot escape *; T4 EQL cannot escape wildcards).
_LITERAL_WILDCARD = {
    "splunk": "T2 literal '*' cannot be escaped",
    "eql": "T4 EQL wildcard escaping",
}


def label(
    rule: SigmaRule,
    event: Mapping[str, Any],
    target: str,
    expected: bool,
    probe: Probe,
    assumptions: set[str],
    query: str = "",
) -> str:
    """The cause of ``target`` answering ``not expected`` for ``event``."""
    if target == "lucene" and _LUCENE_OR_NOT.search(query):
        return "T10 Lucene reads 'a OR NOT b' as 'a AND NOT b'"
    for check in (
        _outside_logsource,
        _audit_names,
        _missing,
        _multivalue,
        _eql_regex,
        _cased,
        _case,
        _wildcards,
        partial(_like_backslash, query),
        _regex,
        _absent_under_negation,
    ):
        cause = check(rule, event, target, expected, probe)
        if cause:
            return cause
    if assumptions:
        return "assumed: " + ", ".join(sorted(assumptions))
    return _cidr(rule, event, target) or "unexplained"


def _outside_logsource(
    rule: SigmaRule, event: Mapping[str, Any], target: str, expected: bool, probe: Probe
) -> str:
    """The target's query adds the logsource's conditions (channel, EventID), the rule's own
    detection does not: an expected match on an event outside the logsource is missed."""
    if expected and not LogsourceFilter.for_rule(rule)(event):
        return (
            "outside the logsource: the query adds the logsource's conditions, the event fails them"
        )
    return ""


def _audit_names(
    rule: SigmaRule, event: Mapping[str, Any], target: str, expected: bool, probe: Probe
) -> str:
    """A Security audit event names the rule's fields the audit way (NewProcessName for Image):
    the oracle reads it through windows-audit's mapping. It is the cause only where the target,
    given the event in the rule's field names, answers as expected."""
    view = sigma_view(rule, event)
    filled = sorted(set(view) - set(event))
    if filled and probe(view) is expected:
        return "audit field names: the event stores " + ", ".join(filled) + " under audit names"
    return ""


def _missing(
    rule: SigmaRule, event: Mapping[str, Any], target: str, expected: bool, probe: Probe
) -> str:
    """Fields the event lacks, under a negation: the cause where giving them a value that
    matches nothing flips the target's answer to the expected one."""
    absent = [f for f in detection_fields(rule) if event.get(f) in (None, [])]
    if not absent or not _has_negation(rule):
        return ""
    filled = {**event, **{f: _FILLER for f in absent}}
    if probe(filled) is expected:
        return "T8 missing field under negation (" + ", ".join(sorted(absent)) + ")"
    return ""


def _absent_under_negation(rule: SigmaRule, event: Mapping[str, Any], *_: Any) -> str:
    """T8 when no probe could show it (a filler value the field's type refuses, e.g. an ip)
    and nothing else explains the answer."""
    absent = [f for f in detection_fields(rule) if event.get(f) in (None, [])]
    if absent and _has_negation(rule):
        return "T8 missing field under negation (" + ", ".join(sorted(absent)) + ")"
    return ""


def _multivalue(rule: SigmaRule, event: Mapping[str, Any], *_: Any) -> str:
    lists = [f for f in detection_fields(rule) if isinstance(event.get(f), list)]
    return "T16 multi-valued field (" + ", ".join(sorted(lists)) + ")" if lists else ""


def _eql_regex(
    rule: SigmaRule, event: Mapping[str, Any], target: str, expected: bool, probe: Probe
) -> str:
    """pySigma's EQL backend emits regex~ (case-insensitive) for Sigma's case-sensitive |re."""
    cased = [
        v
        for v in _values(rule)
        if isinstance(v, SigmaRegularExpression)
        and SigmaRegularExpressionFlag.IGNORECASE not in v.flags
    ]
    return "T12 EQL regex~ ignores case" if target == "eql" and cased and not expected else ""


def _cased(
    rule: SigmaRule, event: Mapping[str, Any], target: str, expected: bool, probe: Probe
) -> str:
    """A target that matches a |cased value case-insensitively over-matches."""
    cased = any(isinstance(v, SigmaCasedString) for v in _values(rule))
    return "T1 |cased ignored (matched case-insensitively)" if cased and not expected else ""


def _case(
    rule: SigmaRule, event: Mapping[str, Any], target: str, expected: bool, probe: Probe
) -> str:
    fields = detection_fields(rule) or set(event)
    spelling = {f: _rule_casing(rule, f) for f in fields}
    recasings: list[Callable[[str, str], str]] = [
        lambda field, value: spelling.get(field, str)(value),
        lambda field, value: value.lower(),
        lambda field, value: value.upper(),
    ]
    for recase in recasings:
        variant = {
            k: recase(k, v) if k in fields and isinstance(v, str) else v for k, v in event.items()
        }
        if variant != dict(event) and probe(variant) is expected:
            return "T1 case"
    return ""


def _rule_casing(rule: SigmaRule, field: str) -> Callable[[str], str]:
    """Re-case every literal the rule tests ``field`` with, found in a value, to the rule's
    own spelling (per field: two fields may spell one word differently)."""
    literals = sorted(
        {
            p
            for item in detection_items(rule)
            if item.field == field
            for v in item.value
            if isinstance(v, SigmaString)
            for p in v.s
            if isinstance(p, str) and p.strip()
        },
        key=len,
        reverse=True,
    )
    if not literals:
        return str
    pattern = re.compile("|".join(re.escape(p) for p in literals), re.IGNORECASE)
    spelling = {p.lower(): p for p in literals}
    return lambda value: pattern.sub(lambda m: spelling.get(m.group(0).lower(), m.group(0)), value)


def _wildcards(rule: SigmaRule, event: Mapping[str, Any], target: str, *_: Any) -> str:
    strings = [v for v in _values(rule) if isinstance(v, SigmaString)]
    if target in _QUESTION_MARK and any(SpecialChars.WILDCARD_SINGLE in v.s for v in strings):
        return _QUESTION_MARK[target]
    literal = any(isinstance(p, str) and ("*" in p or "?" in p) for v in strings for p in v.s)
    return _LITERAL_WILDCARD.get(target, "") if literal else ""


def _regex(rule: SigmaRule, event: Mapping[str, Any], target: str, *_: Any) -> str:
    if any(isinstance(v, SigmaRegularExpression) for v in _values(rule)):
        return "T6/T7 regex anchoring or dialect"
    return ""


# An ES|QL LIKE pattern (a string literal) holding a backslash: a written "\\\\".
_ESQL_LIKE_BACKSLASH = re.compile(r'\blike\s*\(?\s*"(?:[^"\\]|\\.)*?\\\\', re.IGNORECASE)


def _like_backslash(
    query: str, rule: SigmaRule, event: Mapping[str, Any], target: str, *_: Any
) -> str:
    """ES|QL LIKE reads a backslash as its escape character; pySigma's ES|QL backend writes a
    value's backslash once, so ``\\Opera\\*`` turns into ``Opera*`` with a literal star."""
    if target == "esql" and _ESQL_LIKE_BACKSLASH.search(query):
        return "ES|QL LIKE reads '\\' as an escape"
    return ""


def _cidr(rule: SigmaRule, event: Mapping[str, Any], target: str, *_: Any) -> str:
    """A CIDR range is a range only on an ip-typed field; elsewhere it is a term (or rejected)."""
    if any(isinstance(v, SigmaCIDRExpression) for v in _values(rule)):
        return "cidr on a field not mapped as ip"
    return ""


def _values(rule: SigmaRule) -> Iterator[Any]:
    for item in detection_items(rule):
        yield from item.value


def _has_negation(rule: SigmaRule) -> bool:
    return any(_contains_not(cond.parsed) for cond in rule.detection.parsed_condition)


def _contains_not(node: Any) -> bool:
    if isinstance(node, ConditionNOT):
        return True
    return any(_contains_not(arg) for arg in getattr(node, "args", None) or ())
