"""The ways a rule's condition can be satisfied: bounded sets of atoms that must hold or fail.

pySigma's postprocessed condition tree (``SigmaCondition.parsed``) has boolean nodes over atoms
(one ``field: value`` or keyword each). ``ways(node, True)`` lists assignments: atoms required to
be true and atoms required to be false, such that every assignment makes the node true.

The lists stay small while covering every alternative: an OR (or a failed AND) takes the union of
its children's ways, interleaved so that a cut keeps each child's first ways; an AND (or a failed
OR) zips its children's ways instead of taking their product, so each way of each child appears
in at least one result (n results for children of n ways, not the product).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, zip_longest
from typing import Any

from sigma.conditions import ConditionAND, ConditionNOT, ConditionOR

# A cut on the ways kept per node: enough to cover hundreds of values in one list, small enough
# that nested conditions stay fast.
MAX_WAYS = 400


@dataclass(frozen=True)
class Way:
    """Atoms (condition leaves, by identity) that must be true, and atoms that must be false."""

    true: tuple[Any, ...] = ()
    false: tuple[Any, ...] = ()

    def merged(self, other: Way) -> Way | None:
        """Both ways at once, or None when one needs an atom true that the other needs false."""
        true = _unique(chain(self.true, other.true))
        false = _unique(chain(self.false, other.false))
        if {id(a) for a in true} & {id(a) for a in false}:
            return None
        return Way(true, false)


def ways(node: Any, want: bool = True) -> list[Way]:
    """Assignments that give ``node`` the truth value ``want`` (at most MAX_WAYS)."""
    if isinstance(node, ConditionNOT):
        return ways(node.args[0], not want)
    if isinstance(node, (ConditionAND, ConditionOR)):
        every = isinstance(node, ConditionAND) == want  # all children must take ``want``
        parts = [ways(arg, want) for arg in node.args]
        return _zip(parts) if every else _interleave(parts)
    return [Way(true=(node,)) if want else Way(false=(node,))]


def _interleave(parts: Sequence[list[Way]]) -> list[Way]:
    mixed = (way for row in zip_longest(*parts) for way in row if way is not None)
    return list(mixed)[:MAX_WAYS]


def _zip(parts: Sequence[list[Way]]) -> list[Way]:
    """Way i combines way i (cycled) of each child; a conflicting combination tries the other
    ways of the conflicting child before it is dropped."""
    parts = [p for p in parts]
    if any(not p for p in parts):
        return []
    found = []
    for i in range(min(max(len(p) for p in parts), MAX_WAYS)):
        way: Way | None = Way()
        for part in parts:
            way = _first_compatible(way, part, i) if way is not None else None
        if way is not None:
            found.append(way)
    return found


def _first_compatible(way: Way, part: list[Way], start: int) -> Way | None:
    for offset in range(min(len(part), 8)):
        merged = way.merged(part[(start + offset) % len(part)])
        if merged is not None:
            return merged
    return None


def _unique(atoms: Iterable[Any]) -> tuple[Any, ...]:
    seen: dict[int, Any] = {}
    for atom in atoms:
        seen.setdefault(id(atom), atom)
    return tuple(seen.values())
