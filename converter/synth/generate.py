"""One rule's synthesized fixtures: choose assignments, build events, check their intent.

Positives come first (up to two thirds of the budget): the ways chosen so that every atom kind
(field, modifiers and value type) of the rule appears in at least one, each built in a cycling
style (plain, another case, padded wildcards). Near misses fill the rest, taken in turn from each
positive so that the budget spreads over the selections.

Every event is run through the oracle. A positive it does not match, or a near miss whose
flipped atom did not flip, is a generator bug: it is dropped and reported in ``problems``. A near
miss that still matches because another part of the rule holds (an overlapping value) is not a
near miss of anything and is skipped quietly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, zip_longest
from typing import Any

from sigma.rule import SigmaRule

from converter.fields import item_of
from converter.fixtures import FixtureEvent
from converter.logsources import LogsourceFilter
from converter.oracle import Oracle
from converter.synth.events import (
    STYLES,
    Change,
    atom_holds,
    field_of,
    forget_tests,
    near_miss_events,
    witness_event,
)
from converter.synth.formula import Way, ways

DEFAULT_MAX_EVENTS = 24
COMPUTER = "sigma-parity-host.example"


@dataclass
class Synthesized:
    """The fixture events of one rule, and what went wrong generating them."""

    rule_id: str
    events: list[FixtureEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # generator bugs: events that missed
    notes: list[str] = field(default_factory=list)  # e.g. a condition nothing satisfies


def synthesize(
    rule: SigmaRule, max_events: int = DEFAULT_MAX_EVENTS, origin: str = ""
) -> Synthesized:
    """Witness and near-miss events for the rule (its oracle must compile: the caller's check)."""
    oracle = Oracle.from_rule(rule)
    forget_tests()
    rule_id = str(rule.id)
    result = Synthesized(rule_id)
    all_ways = [w for c in rule.detection.parsed_condition for w in ways(c.parsed)]
    system = _system(rule)
    usable = _in_logsource(all_ways, system, LogsourceFilter.for_rule(rule))
    positives = _positives(_covering(usable), system, max(1, max_events * 2 // 3))
    checked = _checked(positives, oracle, result)
    budget = max_events - len(checked)
    misses = _checked(_near_misses(checked, budget * 4), oracle, result)[:budget]
    for n, (change, _) in enumerate(chain(checked, misses), 1):
        result.events.append(_fixture(n, change, rule_id, origin))
    if not checked:
        result.notes.append(f"rule {rule_id}: {_unsatisfied(rule, all_ways)}")
        fallback = _checked(_closest(all_ways, _system(rule)), oracle, result)
        result.events += [_fixture(n, c, rule_id, origin) for n, (c, _) in enumerate(fallback, 1)]
    return result


def _in_logsource(found: list[Way], system: dict[str, Any], selector: Any) -> list[Way]:
    """The ways whose witness stays in the rule's logsource (a rule listing channels of other
    logsources could never fire on those: the query adds its logsource's conditions); all of
    them when none does, so that such a rule still gets its events."""
    inside = []
    for way in found:
        change = witness_event(way, "plain", system)
        if change is not None and selector(change.event):
            inside.append(way)
    return inside or found


def _unsatisfied(rule: SigmaRule, found: list[Way]) -> str:
    if not found:
        return "no witness: the condition contradicts itself"
    fields = sorted({field_of(a) for way in found[:1] for a in way.true})
    return f"no witness: no value satisfies every condition on {', '.join(fields)} at once"


def _closest(found: list[Way], system: dict[str, Any]) -> list[tuple[Change, Way]]:
    """For a rule nothing matches: its atoms' values one field at a time, as negatives."""
    closest = []
    for way in found[:1]:
        for atom in way.true:
            partial = Way(true=(atom,))
            change = witness_event(partial, "plain", system)
            if change is not None:
                closest.append((Change(change.event, False, f"unsatisfiable: {change.label}"), way))
    return closest


def _fixture(n: int, change: Change, rule_id: str, origin: str) -> FixtureEvent:
    return FixtureEvent(f"{n:02} {change.label}", change.event, change.intent, (rule_id,), origin)


def _covering(found: list[Way]) -> list[Way]:
    """The ways reordered: first those that add an atom kind not yet covered, then the rest."""
    covered: set[Any] = set()
    first: list[Way] = []
    rest: list[Way] = []
    for way in found:
        kinds = {_kind(a) for a in way.true} - covered
        (first if kinds else rest).append(way)
        covered |= kinds
    return first + rest


def _kind(atom: Any) -> tuple[str, ...]:
    item = item_of(atom) if hasattr(atom, "parent") else None
    modifiers = tuple(m.__name__ for m in item.modifiers) if item is not None else ()
    return (field_of(atom), type(atom.value).__name__, *modifiers)


def _positives(found: list[Way], system: dict[str, Any], quota: int) -> list[tuple[Change, Way]]:
    built: list[tuple[Change, Way]] = []
    seen: set[str] = set()
    for n, way in enumerate(found):
        styles = STYLES if n == 0 else (STYLES[n % len(STYLES)],)
        for turn, style in enumerate(styles, n):
            change = witness_event(way, style, system, turn)
            if change is not None and _fresh(change.event, seen):
                built.append((change, way))
        if len(built) >= quota:
            break
    return built[:quota]


def _near_misses(positives: list[tuple[Change, Way]], limit: int) -> list[tuple[Change, Way]]:
    """Near misses of each positive, interleaved so the budget spreads over them."""
    per_positive = [
        [(change, way) for change in near_miss_events(way, witness.event)]
        for witness, way in positives
        if witness.intent
    ]
    mixed = [pair for row in zip_longest(*per_positive) for pair in row if pair is not None]
    seen = {_key(change.event) for change, _ in positives}
    fresh = [pair for pair in mixed if _fresh(pair[0].event, seen)]
    kinds: set[Any] = set()
    novel = [p for p in fresh if _novel((_kind(p[0].atom), p[0].label), kinds)]
    return (novel + [p for p in fresh if not any(p is q for q in novel)])[:limit]


def _novel(key: Any, seen: set[Any]) -> bool:
    if key in seen:
        return False
    seen.add(key)
    return True


def _checked(
    changes: Iterable[tuple[Change, Way]], oracle: Oracle, result: Synthesized
) -> list[tuple[Change, Way]]:
    kept = []
    for change, way in changes:
        if oracle.matches(change.event) == change.intent:
            kept.append((change, way))
        elif change.atom is None or atom_holds(change.atom, change.event) != change.flipped_to:
            result.problems.append(_bug(result.rule_id, change))
    return kept


def _bug(rule_id: str, change: Change) -> str:
    wanted = "match" if change.intent else "no match"
    event = json.dumps(change.event, sort_keys=True, default=str)
    return f"rule {rule_id}: generated '{change.label}' for {wanted}, the oracle disagrees: {event}"


def _system(rule: SigmaRule) -> dict[str, Any]:
    """The System fields of the first way the rule's logsource is logged (Sysmon first), and a
    Computer name, so that no event is empty (the fixture format needs a field)."""
    selector = LogsourceFilter.for_rule(rule)
    found: dict[str, Any] = {"Computer": COMPUTER}
    for name, values in () if selector.selects_all else selector.alternatives[0]:
        found[name] = _typed(min(values, key=_order))
    return found


def _order(value: str) -> tuple[int, str]:
    return (0, f"{int(value):012}") if value.isdigit() else (1, value)


def _typed(value: str) -> Any:
    return int(value) if value.isdigit() else value


def _fresh(event: dict[str, Any], seen: set[str]) -> bool:
    """A new event, not empty (the fixture format needs at least one field)."""
    key = _key(event)
    if key in seen or not event:
        return False
    seen.add(key)
    return True


def _key(event: dict[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, default=str)


def iter_events(found: Iterable[Synthesized]) -> Iterator[FixtureEvent]:
    for synthesized in found:
        yield from synthesized.events
