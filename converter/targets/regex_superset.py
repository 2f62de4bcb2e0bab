"""The literal text a regular expression requires: superset queries where no regexp can be used.

Where a target cannot run a Sigma ``|re`` as it means (a KQL query, a Lucene text field, whose
regexps match single tokens, or a pattern the Lucene translator refuses), every value the regex
finds still contains the literal runs the pattern cannot avoid: ``Invoke-(Expression|Command)``
needs ``Invoke-`` and one of ``Expression``/``Command``. Testing those literals (as wildcard
patterns) matches a superset of the values, which the backends declare as an over-match.

The pattern is read by Python's own parser (``sre_parse``, as the oracle compiles it with
``re``; https://docs.python.org/3/library/re.html), so groups, alternatives and repeats are read
exactly; anything that is not a literal character (classes, ``.``, anchors, lookaround,
backreferences) ends a run and requires nothing itself.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

with warnings.catch_warnings():  # the public alias of re._parser is deprecated, not its API
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_parse

# Sigma's flags, as "i"/"m"/"s" or pySigma's SigmaRegularExpressionFlag names.
_FLAGS = {"i": re.I, "m": re.M, "s": re.S, "IGNORECASE": re.I, "MULTILINE": re.M, "DOTALL": re.S}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


@dataclass(frozen=True)
class Need:
    """All of ``items`` (``any_of`` False) or one of them (True); an item is a literal run or a
    nested Need. An empty all-of needs nothing."""

    items: tuple[str | Need, ...]
    any_of: bool = False

    @property
    def trivial(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class Requirement:
    need: Need
    ignores_case: bool  # some part of the pattern matches without case


class NotParsable(ValueError):
    """The pattern is not a valid Python regular expression."""


def requirement(pattern: str, flags: Iterable[object] = ()) -> Requirement:
    """What every value the pattern finds (``re.search``) must contain."""
    bits = 0
    for flag in flags:
        bits |= _FLAGS.get(str(getattr(flag, "name", flag)), 0)
    try:
        parsed = sre_parse.parse(pattern, bits)
    except re.error as e:
        raise NotParsable(str(e)) from e
    walker = _Walker()
    need = walker.sequence(list(parsed.data))
    ignores = bool(parsed.state.flags & re.IGNORECASE) or walker.scoped_ignorecase
    return Requirement(need, ignores)


class _Walker:
    def __init__(self) -> None:
        self.scoped_ignorecase = False

    def sequence(self, items: list[tuple[Any, Any]]) -> Need:
        """All-of: the literal runs of the sequence and what its sub-structures need."""
        needs: list[str | Need] = []
        run: list[str] = []
        self._walk(items, run, needs)
        _flush(run, needs)
        return _all_of(needs)

    def _walk(self, items: list[tuple[Any, Any]], run: list[str], needs: list[str | Need]) -> None:
        """Literals extend the current run; groups and the first occurrence of a required
        repeat continue it (they are adjacent); anything else ends it."""
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                run.append(chr(av))
            elif name == "SUBPATTERN":
                self.scoped_ignorecase |= bool(av[1] & re.IGNORECASE)
                self._walk(list(av[3]), run, needs)
            elif name == "ATOMIC_GROUP":
                self._walk(list(av), run, needs)
            elif name in _REPEATS and av[0] >= 1:
                self._walk(list(av[2]), run, needs)
                if (av[0], av[1]) != (1, 1):  # more occurrences may follow the first
                    _flush(run, needs)
            else:
                _flush(run, needs)
                needs.extend(self._branch(av) if name == "BRANCH" else [])

    def _branch(self, av: Any) -> list[str | Need]:
        """One of the alternatives: nothing is certain if one of them needs nothing."""
        alternatives = [self.sequence(list(alt)) for alt in av[1]]
        if any(a.trivial for a in alternatives):
            return []
        return [Need(tuple(_single(a) for a in alternatives), any_of=True)]


def _flush(run: list[str], needs: list[str | Need]) -> None:
    if run:
        needs.append("".join(run))
        run.clear()


def _all_of(needs: list[str | Need]) -> Need:
    flat: list[str | Need] = []
    for need in needs:  # nested all-of needs are the same as their items
        if isinstance(need, Need) and not need.any_of:
            flat.extend(need.items)
        else:
            flat.append(need)
    return Need(tuple(flat))


def _single(need: Need) -> str | Need:
    """An all-of of one item is that item."""
    return need.items[0] if not need.any_of and len(need.items) == 1 else need
