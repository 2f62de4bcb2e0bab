"""Events for one assignment of a rule's atoms: a witness event and its near misses.

An assignment (``formula.Way``) says which atoms must hold and which must fail. Atoms are grouped
by field; each field gets the first candidate value (``values``) that passes every atom required
true and fails every atom required false there, tried in the order the style prefers. A keyword
atom lives in the ``message`` field; a field reference copies the referenced field's value.

A near miss changes exactly one thing of a witness: one atom required true gets a near-miss value
(or its field goes missing), or one atom required false (a filter) gets a witness value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionValueExpression
from sigma.types import SigmaCasedString, SigmaExists, SigmaFieldReference, SigmaNull

from converter.oracle import keyword_test, value_test
from converter.synth.formula import Way
from converter.synth.values import ABSENT, Candidate, near_misses, witnesses

KEYWORD_FIELD = "message"  # where keyword (full-text) values are put; ECS's message field
FILLER = "sigma-parity"  # a value for a field that must be present and match nothing
STYLES = ("plain", "case", "padded")
Event = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One synthesized event and what it is meant to show."""

    event: Event
    intent: bool  # True: the rule must match it
    label: str  # e.g. "Image case" or "near miss: CommandLine boundary"
    atom: Any = None  # the atom a near miss flipped
    flipped_to: bool = False  # the truth value the near miss gave that atom


def field_of(atom: Any) -> str:
    if isinstance(atom, ConditionFieldEqualsValueExpression):
        return str(atom.field)
    return KEYWORD_FIELD


# Compiled value tests by id(atom), with the atom kept alive so the id is not reused. The oracle
# compiles a regular expression per test, and near misses test the same atoms many times.
_TESTS: dict[int, tuple[Any, Callable[[Any], bool] | None]] = {}


def forget_tests() -> None:
    """Drop the compiled tests (called once per rule, so the cache stays small)."""
    _TESTS.clear()


def atom_test(atom: Any) -> Callable[[Any], bool] | None:
    """The test of one scalar event value, or None for atoms decided by the whole event."""
    cached = _TESTS.get(id(atom))
    if cached is None:
        cached = _TESTS[id(atom)] = (atom, _compile_test(atom))
    return cached[1]


def _compile_test(atom: Any) -> Callable[[Any], bool] | None:
    value = atom.value
    if isinstance(atom, ConditionValueExpression):
        return keyword_test(value)
    if isinstance(value, (SigmaNull, SigmaExists, SigmaFieldReference)):
        return None
    return value_test(value)


def atom_holds(atom: Any, event: Event) -> bool:
    """Whether one atom holds on the event (the oracle's test of that atom alone)."""
    found = event.get(field_of(atom), ABSENT)
    value = atom.value
    if isinstance(value, (SigmaNull, SigmaExists)):
        wanted = isinstance(value, SigmaExists) and value.exists
        return (found is not ABSENT and found is not None) == wanted
    if isinstance(value, SigmaFieldReference):
        return _text(found) == _text(event.get(value.field, ABSENT)) and found is not ABSENT
    test = atom_test(atom)
    return found is not ABSENT and test is not None and _safe(test, found)


def witness_event(way: Way, style: str, system: Event, turn: int = 0) -> Change | None:
    """An event on which every atom of the way takes its required value, or None. ``turn``
    picks which variant of an expanded value (windash, base64offset) comes first."""
    event = dict(system)
    for field in _fields(way):
        trues = [a for a in way.true if field_of(a) == field and not _is_ref(a)]
        falses = [a for a in way.false if field_of(a) == field]
        chosen = _satisfy(field, trues, falses, (style, turn), event.get(field, ABSENT))
        if chosen is None:
            return None
        _put(event, field, chosen[1])
    if not _copy_references(way, event, style):
        return None
    tags = ", ".join(f"{f} {style}" for f in _fields(way) if f in event)
    return Change(event, True, tags or style)


def near_miss_events(way: Way, witness: Event) -> Iterator[Change]:
    """Events that differ from the witness in one atom's value, taking each atom in turn."""
    per_atom = [list(_flips(atom, witness, False, way)) for atom in way.true]
    per_atom += [list(_flips(atom, witness, True, way)) for atom in way.false]
    for row in zip_longest(*per_atom):
        yield from (change for change in row if change is not None)


def _flips(atom: Any, witness: Event, to: bool, way: Way) -> Iterator[Change]:
    field = field_of(atom)
    candidates = witnesses(atom.value)[:1] if to else _misses(atom)
    others = [a for a in way.true if a is not atom and field_of(a) == field and not _is_ref(a)]
    if others and not to:  # keep the other values of the field, change only this one
        candidates = list(_with_others(atom, others, candidates)) + candidates
    for tag, value in candidates:
        event = dict(witness)
        _put(event, field, value)
        kept = all(atom_holds(a, event) for a in others) or value is ABSENT
        if atom_holds(atom, event) == to and kept:  # e.g. a keyword found anywhere: no boundary
            label = f"filter fires ({tag})" if to else tag
            yield Change(event, False, f"near miss: {field} {label}", atom, to)


def _with_others(atom: Any, others: list[Any], misses: list[Candidate]) -> Iterator[Candidate]:
    ranked = sorted([atom, *others], key=_anchor_rank)
    for tag, miss in (c for c in misses if c[1] is not ABSENT):
        options = [[(tag, miss)] if a is atom else witnesses(a.value) for a in ranked]
        yield from ((tag, value) for _, value in _combined(options))


def _misses(atom: Any) -> list[Candidate]:
    if _is_ref(atom):
        return [("boundary", f"{FILLER}-other")]
    found = near_misses(atom.value)
    if not isinstance(atom.value, (SigmaNull, SigmaExists)) and field_of(atom) != KEYWORD_FIELD:
        found.append(("absent", ABSENT))
    return found


def _fields(way: Way) -> list[str]:
    return list(dict.fromkeys(field_of(a) for a in (*way.true, *way.false)))


def _satisfy(
    field: str, trues: list[Any], falses: list[Any], style: tuple[str, int], current: Any
) -> Candidate | None:
    for candidate in _candidates(trues, falses, style, current):
        if _fits(field, candidate[1], trues, falses):
            return candidate
    return None


def _candidates(
    trues: list[Any], falses: list[Any], style: tuple[str, int], current: Any
) -> Iterator[Candidate]:
    if not trues:
        if current is not ABSENT:
            yield ("system", current)
        yield ("absent", ABSENT)
        for atom in falses:
            yield from (c for c in near_misses(atom.value) if c[1] is not ABSENT)
        yield ("filler", FILLER)
        return
    if current is not ABSENT:  # the logsource's own value (Channel: System), where it fits
        yield ("system", current)
    ranked = sorted(trues, key=_anchor_rank)
    options = [_ordered(witnesses(a.value), style) for a in ranked]
    yield from options[0] if len(trues) == 1 else ()
    if len(trues) > 1:
        yield from _combined(options)


def _anchor_rank(atom: Any) -> int:
    """Where a value must sit in a combined string: a prefix first, a suffix last."""
    parts = getattr(atom.value, "s", None)
    if not parts or isinstance(atom, ConditionValueExpression):
        return 1
    return 0 if isinstance(parts[0], str) else 2 if isinstance(parts[-1], str) else 1


def _combined(options: list[list[Candidate]]) -> Iterator[Candidate]:
    """Values for several atoms on one field (``|all``, or two selections on one field): the
    witnesses joined, prefix first and suffix last."""
    texts = [[str(v) for _, v in opts if v is not ABSENT] for opts in options]
    for pick in range(max(len(t) for t in texts)):
        parts = [t[min(pick, len(t) - 1)] for t in texts if t]
        yield ("combined", " ".join(parts))
        yield ("combined", "".join(parts))
        yield ("combined", "".join(reversed(parts)))
    for opts in options:
        yield from opts


def _ordered(found: list[Candidate], style: tuple[str, int]) -> list[Candidate]:
    name, turn = style
    variants = [c for c in found if c[0] == "variant"]
    if variants:  # an expanded value: each turn starts at another variant
        start = turn % len(variants)
        return variants[start:] + variants[:start]
    preferred = [c for c in found if c[0] == name]
    return preferred + [c for c in found if c[0] != name]


def _fits(field: str, value: Any, trues: list[Any], falses: list[Any]) -> bool:
    """Whether the value, alone in its field, gives every atom there its required value."""
    event = {} if value is ABSENT else {field: value}
    holds = [atom_holds(a, event) for a in trues] + [not atom_holds(a, event) for a in falses]
    return all(holds)


def _copy_references(way: Way, event: Event, style: str) -> bool:
    """Fill the fields that must equal another field, and part those that must not."""
    for atom in (a for a in way.false if _is_ref(a) and atom_holds(a, event)):
        event[field_of(atom)] = f"{_text(event[field_of(atom)])}-2"
    for atom in (a for a in way.true if _is_ref(a)):
        other = atom.value.field
        if event.get(other, ABSENT) is ABSENT:
            event[other] = f"{FILLER}-ref"
        value = _text(event[other])
        cased = isinstance(atom.value, SigmaCasedString)
        event[field_of(atom)] = value.swapcase() if style == "case" and not cased else value
    return all(atom_holds(a, event) for a in way.true if _is_ref(a)) and not any(
        atom_holds(a, event) for a in way.false if _is_ref(a)
    )


def _is_ref(atom: Any) -> bool:
    return isinstance(getattr(atom, "value", None), SigmaFieldReference)


def _put(event: Event, field: str, value: Any) -> None:
    if value is ABSENT:
        event.pop(field, None)
    else:
        event[field] = value


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _safe(test: Callable[[Any], bool], value: Any) -> bool:
    return bool(test(value))
