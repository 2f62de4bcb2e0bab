"""The reference Sigma evaluator (converter/oracle.py), and its cross-check with the python target.

Expected verdicts in the tables come from the Sigma specification (SigmaHQ/sigma-specification:
``specification/sigma-rules-specification.md``, "spec §<section>"; the modifiers appendix
``specification/sigma-appendix-modifiers.md`` v2.1.0, "mod §<section>") or, where it is silent,
from DESIGN.md "Semantic decisions" ("decision"). None was copied from the oracle's output.

The cross-check runs every rule in rules/ through both the oracle and the python target (the
query Converter emits, run by the python engine model) on events generated from the rule's own
values: the values themselves, wildcard boundaries, case variants, missing fields, lists. The
two implementations share no code, so any disagreement is a bug in one of them. A shared/slow
test does the same, with fewer events per rule, over the SigmaHQ corpus in ../shared.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.conditions import ConditionAND
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from converter.conversion import Converter, Settings
from converter.engines import engine
from converter.loader import load_rule_file
from converter.oracle import (
    CorrelationNotEvaluable,
    NotEvaluable,
    Oracle,
    OracleError,
    compile_rule,
)

try:  # the regex parser behind re, used to write one matching sample per |re value
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
RULE_FILES = sorted((ROOT / "rules").rglob("*.yml"))


def rule(detection: dict[str, Any]) -> SigmaRule:
    return SigmaRule.from_dict(
        {"title": "t", "logsource": {"product": "test"}, "detection": detection}
    )


def sel(**items: Any) -> dict[str, Any]:
    """A detection with one selection; keyword arguments use ``__`` for ``|``."""
    return {"sel": {k.replace("__", "|"): v for k, v in items.items()}, "condition": "sel"}


B64 = base64.b64encode("Invoke-Mimikatz".encode("utf-16-le")).decode()

# (id, detection, event, expected); the comment above each group names its source
SEMANTICS: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # spec §General: "All values are treated as case-insensitive strings"
    ("case-insensitive", sel(Image="C:\\Win\\cmd.exe"), {"Image": "c:\\WIN\\Cmd.exe"}, True),
    # spec §String Wildcard: wildcards and matching are over the whole value
    ("whole-value", sel(Image="cmd.exe"), {"Image": "xcmd.exe"}, False),
    ("star-empty-run", sel(Image="cmd*"), {"Image": "cmd"}, True),
    ("star-newline", sel(Text="a*b"), {"Text": "a\nb"}, True),
    ("qmark-one", sel(Image="c?d"), {"Image": "cXd"}, True),
    ("qmark-none", sel(Image="c?d"), {"Image": "cd"}, False),
    ("qmark-two", sel(Image="c?d"), {"Image": "cxxd"}, False),
    # spec §Escape Character: \* and \? are literals; \ before anything else is literal
    ("escaped-star-literal", sel(Key="a\\*b"), {"Key": "a*b"}, True),
    ("escaped-star-not-wild", sel(Key="a\\*b"), {"Key": "axb"}, False),
    ("escaped-qmark", sel(Key=r"\\\?\?\C:"), {"Key": r"\??\c:"}, True),
    ("escaped-qmark-not-wild", sel(Key=r"\\\?\?\C:"), {"Key": r"\x?\C:"}, False),
    ("backslash-literal", sel(Image="C:\\Windows"), {"Image": "C:\\Windows"}, True),
    ("double-backslash", sel(Path="\\\\\\\\srv"), {"Path": "\\\\srv"}, True),
    ("regex-chars-literal", sel(Image="a.b(c)"), {"Image": "aXb(c)"}, False),
    # mod §Generic: contains / startswith / endswith add wildcards
    ("contains", sel(CommandLine__contains="-enc"), {"CommandLine": "ps -ENC abc"}, True),
    ("startswith", sel(CommandLine__startswith="ps"), {"CommandLine": "x ps"}, False),
    ("endswith", sel(Image__endswith="\\cmd.exe"), {"Image": "C:\\x\\CMD.EXE"}, True),
    ("all-and", sel(C__contains__all=["a", "b"]), {"C": "b a"}, True),
    ("all-and-one-missing", sel(C__contains__all=["a", "b"]), {"C": "a"}, False),
    ("list-or", sel(Image=["a", "b"]), {"Image": "B"}, True),
    # mod §cased
    ("cased-miss", sel(C__cased__contains="TVqQ"), {"C": "tvqq"}, False),
    ("cased-hit", sel(C__cased__contains="TVqQ"), {"C": "x TVqQ y"}, True),
    # mod §Regular Expression: case-sensitive, i/m/s flags; unanchored like PCRE
    ("re-cased", sel(C__re="abc"), {"C": "ABC"}, False),
    ("re-i", sel(C__re__i="abc"), {"C": "xABCx"}, True),
    ("re-unanchored", sel(C__re="b"), {"C": "abc"}, True),
    ("re-no-m", sel(C__re="^x$"), {"C": "a\nx\nb"}, False),
    ("re-m", sel(C__re__m="^x$"), {"C": "a\nx\nb"}, True),
    ("re-no-s", sel(C__re="a.b"), {"C": "a\nb"}, False),
    ("re-s", sel(C__re__s="a.b"), {"C": "a\nb"}, True),
    # spec §Special Field Values + decision: null = absent
    ("null-absent", sel(F=None), {}, True),
    ("null-none", sel(F=None), {"F": None}, True),
    ("null-empty-list", sel(F=None), {"F": []}, True),
    ("null-empty-string", sel(F=None), {"F": ""}, False),
    ("empty-string", sel(F=""), {"F": ""}, True),
    ("empty-string-absent", sel(F=""), {}, False),
    # decision: absent field = atom false, so `not selection` is true
    ("absent-atom-false", sel(F="x"), {}, False),
    ("not-absent", {"sel": {"F": "x"}, "condition": "not sel"}, {}, True),
    # mod §exists
    ("exists-true", sel(F__exists=True), {"F": ""}, True),
    ("exists-true-absent", sel(F__exists=True), {"F": None}, False),
    ("exists-false", sel(F__exists=False), {}, True),
    # decision: numbers match their string form
    ("number-vs-string", sel(EventID=4688), {"EventID": "4688"}, True),
    ("number-vs-int", sel(EventID=4688), {"EventID": 4688}, True),
    ("number-vs-float", sel(EventID=4688), {"EventID": 4688.0}, True),
    ("number-leading-zero", sel(EventID=4688), {"EventID": "04688"}, False),
    ("string-vs-int", sel(EventID="4688"), {"EventID": 4688}, True),
    ("wildcard-vs-int", sel(EventID="46*"), {"EventID": 4688}, True),
    ("bool", sel(F=True), {"F": True}, True),
    ("bool-string", sel(F=True), {"F": "TRUE"}, True),
    ("bool-not-number", sel(F=True), {"F": 1}, False),
    ("string-true-vs-bool", sel(F="true"), {"F": True}, True),
    # decision: an array value matches when any element matches
    ("array-any", sel(F="x"), {"F": ["a", "X"]}, True),
    ("array-none", sel(F="x"), {"F": ["a", "b"]}, False),
    ("array-number", sel(F=3), {"F": [1, 3]}, True),
    # spec §Keywords, decision: *keyword* against the string form of any value
    ("keyword", {"kw": ["evil"], "condition": "kw"}, {"a": 1, "b": "some EVIL thing"}, True),
    ("keyword-miss", {"kw": ["evil"], "condition": "kw"}, {"a": "good"}, False),
    ("keyword-number", {"kw": [4688], "condition": "kw"}, {"EventID": 14688}, True),
    ("keyword-in-list", {"kw": ["evil"], "condition": "kw"}, {"a": ["x", "evil"]}, True),
    ("keyword-nested", {"kw": ["evil"], "condition": "kw"}, {"a": {"b": ["evil"]}}, True),
    ("keyword-all", {"kw": {"|all": ["a", "b"]}, "condition": "kw"}, {"x": "a", "y": "b"}, True),
    ("keyword-cased", {"kw": {"|cased": ["Evil"]}, "condition": "kw"}, {"a": "evil"}, False),
    ("keyword-re", {"kw": {"|re": ["e.il"]}, "condition": "kw"}, {"a": "xevilx"}, True),
    # mod §cidr
    ("cidr-in", sel(Ip__cidr="10.0.0.0/8"), {"Ip": "10.1.2.3"}, True),
    ("cidr-out", sel(Ip__cidr="10.0.0.0/8"), {"Ip": "11.0.0.1"}, False),
    ("cidr-v6-vs-v4", sel(Ip__cidr="10.0.0.0/8"), {"Ip": "::1"}, False),
    ("cidr-not-ip", sel(Ip__cidr="10.0.0.0/8"), {"Ip": "10.0.0.x"}, False),
    ("cidr-v6", sel(Ip__cidr="fe80::/10"), {"Ip": "FE80::1"}, True),
    # mod §Numeric; neq is generic (mod §neq: "not equal"), pySigma 1.5.1 maps it to a negation
    ("gt", sel(N__gt=5), {"N": 6}, True),
    ("gt-string", sel(N__gt=5), {"N": "6"}, True),
    ("gt-equal", sel(N__gt=5), {"N": 5}, False),
    ("gt-text", sel(N__gt=5), {"N": "six"}, False),
    ("gte", sel(N__gte=5), {"N": "5"}, True),
    ("lt", sel(N__lt=5), {"N": -1}, True),
    ("lte", sel(N__lte=5), {"N": 5.5}, False),
    ("neq", sel(N__neq=1), {"N": 0}, True),
    ("neq-equal", sel(N__neq=1), {"N": "1"}, False),
    ("neq-text", sel(N__neq=1), {"N": "one"}, True),
    ("neq-absent", sel(N__neq=1), {}, True),  # pySigma 1.5.1: neq negates the item
    ("neq-string", sel(N__neq="a*"), {"N": "ABC"}, False),
    # mod §fieldref: compares with the other field's value, case-insensitively
    ("fieldref", sel(A__fieldref="B"), {"A": "root", "B": "ROOT"}, True),
    ("fieldref-differs", sel(A__fieldref="B"), {"A": "root", "B": "user"}, False),
    ("fieldref-absent", sel(A__fieldref="B"), {"A": "root"}, False),
    ("fieldref-number", sel(A__fieldref="B"), {"A": 0, "B": "0"}, True),
    ("fieldref-startswith", sel(A__fieldref__startswith="B"), {"A": "abc", "B": "AB"}, True),
    ("fieldref-endswith", sel(A__fieldref__endswith="B"), {"A": "abc", "B": "ab"}, False),
    ("fieldref-contains", sel(A__fieldref__contains="B"), {"A": "abc", "B": "B"}, True),
    ("fieldref-cased", sel(A__cased__fieldref="B"), {"A": "root", "B": "ROOT"}, False),
    # mod §windash: - and / (and dash variants) at word starts
    ("windash-slash", sel(C__windash__contains=" -enc "), {"C": "ps /enc x"}, True),
    ("windash-en-dash", sel(C__windash__contains=" -enc "), {"C": "ps \u2013enc x"}, True),
    # mod §base64offset, §wide
    ("b64offset-wide", sel(C__wide__base64offset__contains="Invoke-Mimikatz"), {"C": B64}, True),
    # spec §Condition: and binds tighter than or; not tighter than and
    (
        "precedence",
        {"a": {"A": 1}, "b": {"B": 1}, "c": {"C": 1}, "condition": "a or b and c"},
        {"A": 1},
        True,
    ),
    (
        "not-binds-tight",
        {"a": {"A": 1}, "b": {"B": 1}, "condition": "not a and b"},
        {"A": 1, "B": 1},
        False,
    ),
    ("one-of", {"s_1": {"A": 1}, "s_2": {"B": 1}, "condition": "1 of s_*"}, {"B": 1}, True),
    ("all-of-them", {"s1": {"A": 1}, "s2": {"B": 1}, "condition": "all of them"}, {"B": 1}, False),
    # spec §Condition: several conditions - the rule matches when any does
    ("conditions-any", {"a": {"A": 1}, "b": {"B": 1}, "condition": ["a", "b"]}, {"B": 1}, True),
]


@pytest.mark.parametrize(
    ("detection", "event", "expected"),
    [case[1:] for case in SEMANTICS],
    ids=[case[0] for case in SEMANTICS],
)
def test_semantics(detection: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert Oracle.from_rule(rule(detection)).matches(event) is expected


def test_compile_rule_is_the_oracles_predicate() -> None:
    predicate = compile_rule(rule(sel(Image__endswith="\\cmd.exe")))
    assert predicate({"Image": "C:\\CMD.exe"}) and not predicate({"Image": "cmd.exe.bak"})


NOT_EVALUABLE = [
    ("placeholder", sel(Image__expand="%admin_tools%"), "%admin_tools%"),
    ("timestamp-part", sel(Time__minute=5), "timestamp"),
]


@pytest.mark.parametrize(
    ("detection", "mentions"),
    [case[1:] for case in NOT_EVALUABLE],
    ids=[case[0] for case in NOT_EVALUABLE],
)
def test_not_evaluable(detection: dict[str, Any], mentions: str) -> None:
    with pytest.raises(NotEvaluable, match=re.escape(mentions)) as raised:
        Oracle.from_rule(rule(detection))
    assert "rule <no id> (t):" in str(raised.value) and "\n" not in str(raised.value)


CORRELATION = """
title: base
id: 5a1e9c1e-0000-4000-8000-000000000001
name: base
logsource: {product: test}
detection: {sel: {A: 1}, condition: sel}
---
title: many
id: 5a1e9c1e-0000-4000-8000-000000000002
correlation: {type: event_count, rules: [base], group-by: [B], timespan: 5m,
              condition: {gte: 10}}
"""


def test_correlation_rules_are_not_evaluable() -> None:
    collection = SigmaCollection.from_yaml(CORRELATION)
    collection.resolve_rule_references()
    correlation = collection.rules[1]
    with pytest.raises(CorrelationNotEvaluable, match="correlation rules relate many events"):
        Oracle.from_rule(correlation)  # type: ignore[arg-type]
    assert Oracle.from_rule(collection.rules[0]).matches({"A": "1"})  # type: ignore[arg-type]


def test_rule_errors_are_reported() -> None:
    bad = rule({"sel": {"A": 1}, "condition": "sel and missing"})
    with pytest.raises(OracleError, match="'missing' not defined") as raised:
        Oracle.from_rule(bad)
    assert str(raised.value).startswith("rule <no id> (t): ")


# --- cross-check with the python target -----------------------------------------------------

FILLER = "Zq"  # what a * stands for in a generated sample (besides the empty run)


def string_samples(value: SigmaString) -> list[str]:
    """The value with wildcards filled: * empty and non-empty (with a newline), ? one char."""
    samples = []
    for multi, single in (("", "x"), (FILLER + "\n" + FILLER, "Y")):
        fill = {SpecialChars.WILDCARD_MULTI: multi, SpecialChars.WILDCARD_SINGLE: single}
        parts = [
            fill.get(part, part) if isinstance(part, SpecialChars) else part for part in value.s
        ]
        if all(isinstance(part, str) for part in parts):
            samples.append("".join(parts))
    return samples


def regex_sample(node: Any, any_char: str) -> str:
    """One string the parsed regex matches (first branch, minimal repeats, ``any_char`` for .)."""
    out = []
    for op, arg in node:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ANY":
            out.append(any_char)
        elif name == "IN":
            out.append(regex_sample([arg[0]], any_char) if str(arg[0][0]) != "NEGATE" else "!")
        elif name == "RANGE":
            out.append(chr(arg[0]))
        elif name == "CATEGORY":
            out.append({"CATEGORY_DIGIT": "7", "CATEGORY_SPACE": " "}.get(str(arg), "w"))
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            out.append(regex_sample(arg[2], any_char) * max(arg[0], 1))
        elif name == "SUBPATTERN":
            out.append(regex_sample(arg[3], any_char))
        elif name == "BRANCH":
            out.append(regex_sample(arg[1][0], any_char))
    return "".join(out)


def samples(value: Any) -> list[Any]:
    """Event values that a rule value should (or, at a boundary, should not) match."""
    if isinstance(value, SigmaString):
        return string_samples(value)
    if isinstance(value, SigmaRegularExpression):
        parsed = sre_parse.parse(str(value.regexp))
        return [regex_sample(parsed, "a"), "x\n" + regex_sample(parsed, "\n") + "\nx"]
    if isinstance(value, SigmaNumber):
        return [value.number, str(value.number), float(value.number), "0" + str(value.number)]
    if isinstance(value, SigmaBool):
        return [value.boolean, str(value.boolean).upper()]
    if isinstance(value, SigmaCIDRExpression):
        first = value.network.network_address
        return [str(first + 1), str(first - 1), str(value.network.broadcast_address)]
    if isinstance(value, SigmaCompareExpression):
        n = value.number.number
        return [n, n - 1, n + 1, str(n + 1), "n/a"]
    if isinstance(value, SigmaExpansion):
        return [s for v in value.values for s in samples(v)]
    if isinstance(value, SigmaExists):
        return ["present"] if value.exists else [None]
    if isinstance(value, SigmaNull):
        return [None, ""]
    return []  # field references: filled from the referenced field, see item_events


def items(detection: SigmaDetection) -> Iterator[SigmaDetectionItem]:
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from items(item)
        else:
            yield item


def is_fieldref(item: SigmaDetectionItem) -> bool:
    return any(isinstance(v, SigmaFieldReference) for v in item.value)


def item_values(item: SigmaDetectionItem, event: dict[str, Any]) -> list[Any]:
    """The samples of one detection item; |all lists become one value holding every sample."""
    if is_fieldref(item):
        other = event.get(item.value[0].field, "ref")
        return [other, str(other).upper(), f"{other}suffix", f"pre{other}"]
    per_value = [samples(v) for v in item.value] or [[None]]
    if item.value_linking is ConditionAND and len(per_value) > 1:
        return [" ".join(str(s[0]) for s in per_value if s)]
    return [s for sample_list in per_value for s in sample_list]


def position(item: SigmaDetectionItem) -> int:
    """Where an item's sample goes when several items constrain one field: a prefix first,
    a suffix last, anything else in between."""
    first = item.value[0] if item.value else None
    if not isinstance(first, SigmaString) or not first.s:
        return 1
    if first.s[0] != SpecialChars.WILDCARD_MULTI:
        return 0
    return 2 if first.s[-1] != SpecialChars.WILDCARD_MULTI else 1


def base_event(detections: list[SigmaDetection]) -> dict[str, Any]:
    """One event from the first sample of every item; samples for one field are concatenated
    (``contains X`` and ``endswith Y`` give ``XY``), keywords go into a Message field."""
    parts: dict[str, list[tuple[int, Any]]] = {}
    all_items = [i for d in detections for i in items(d)]
    for item in all_items:
        if not is_fieldref(item) and (values := item_values(item, {})):
            parts.setdefault(item.field or "Message", []).append((position(item), values[0]))
    event = {field: join(found) for field, found in parts.items()}
    for item in filter(is_fieldref, all_items):
        event.setdefault(item.value[0].field, "Ref")  # the referenced field must exist
        event[item.field] = item_values(item, event)[0]  # type: ignore[index]
    return event


def join(parts: list[tuple[int, Any]]) -> Any:
    if len(parts) == 1:
        return parts[0][1]
    return "".join(str(sample) for _, sample in sorted(parts, key=lambda part: part[0]))


def sample_events(detections: list[SigmaDetection]) -> list[dict[str, Any]]:
    """The base event of some detections, then one event per other sample of each item."""
    base = base_event(detections)
    events = [base]
    for item in (i for d in detections for i in items(d)):
        field = item.field or "Message"
        events += [{**base, field: value} for value in item_values(item, base)[1:]]
    return events


def variants(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Case variants, each field missing, null, in a list, or inside a longer value."""
    yield event
    for fold in (str.upper, str.lower, str.swapcase):
        yield {k: fold(v) if isinstance(v, str) else v for k, v in event.items()}
    for key, value in event.items():
        yield {k: v for k, v in event.items() if k != key}
        yield {**event, key: None}
        yield {**event, key: ["unrelated", value]}
        yield {**event, key: [value, 7]}
        if isinstance(value, str):
            yield {**event, key: f"pre {value} post"}


def generated_events(parsed: SigmaRule) -> list[dict[str, Any]]:
    """Every combination of the rule's detections (so that a selection meets each of its
    filters), each as a base event with its variants plus one event per other sample."""
    detections = list(parsed.detection.detections.values())
    events: list[dict[str, Any]] = [{}]
    for size in range(1, len(detections) + 1):
        for chosen in itertools.combinations(detections, size):
            events += [v for event in sample_events(list(chosen)) for v in variants(event)]
    return events


@pytest.fixture(scope="module")
def python_engine() -> Any:
    return engine("python")


@pytest.fixture(scope="module")
def python_converter() -> Converter:
    return Converter(Settings(targets=["python"]))


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_oracle_agrees_with_python_target(
    path: Path, python_converter: Converter, python_engine: Any
) -> None:
    (parsed,) = SigmaCollection.from_yaml(path.read_text(encoding="utf-8")).rules
    assert isinstance(parsed, SigmaRule)
    (result,) = python_converter.convert_source(load_rule_file(path))
    if result.status == "unsupported":  # only |expand without a pipeline: both must refuse
        with pytest.raises(NotEvaluable, match="placeholder"):
            Oracle.from_rule(parsed)
        return
    assert result.status == "converted", result.message
    oracle = Oracle.from_rule(parsed)
    queries = [python_engine.compile(q) for q in result.queries]
    events = generated_events(parsed)
    disagreements = [
        (event, verdict)
        for event in events
        if (verdict := oracle.matches(event)) != any(q.matches(event) for q in queries)
    ]
    assert not disagreements, f"{len(disagreements)} of {len(events)}: {disagreements[:3]}"
    verdicts = {oracle.matches(event) for event in events}
    assert verdicts == {True, False}, "the generated events must both match and miss"


@pytest.mark.shared
@pytest.mark.slow
def test_oracle_agrees_with_python_target_on_sigmahq(
    shared: Path, python_converter: Converter
) -> None:
    """Every SigmaHQ rule compiles (or is refused as not evaluable per event), and on the first
    events generated for it the oracle and the python target agree."""
    model, refused, disagreements = engine("python"), [], []
    for path in sorted((shared / "sigmahq" / "rules").rglob("*.yml")):
        for parsed in SigmaCollection.from_yaml(path.read_text(encoding="utf-8")).rules:
            try:
                oracle = Oracle.from_rule(parsed)  # type: ignore[arg-type]
            except NotEvaluable as e:
                refused.append(str(e))
                continue
            results = python_converter.convert_source(load_rule_file(path))
            queries = [model.compile(q) for r in results[:1] for q in r.queries]
            for event in generated_events_capped(parsed, 60):  # type: ignore[arg-type]
                if queries and oracle.matches(event) != any(q.matches(event) for q in queries):
                    disagreements.append(f"{path.name}: {event}")
    assert not disagreements, f"{len(disagreements)}: {disagreements[:3]}"
    assert len(refused) < 10, refused


def generated_events_capped(parsed: SigmaRule, cap: int) -> list[dict[str, Any]]:
    """The first events of each single detection and of all detections together (the full
    combination set grows as 2^n for SigmaHQ rules with many selections)."""
    detections = list(parsed.detection.detections.values())
    chosen = [detections, *([d] for d in detections)]
    events = (v for group in chosen for e in sample_events(group)[:5] for v in variants(e))
    return list(itertools.islice(events, cap))
