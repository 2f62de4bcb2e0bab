"""Strings that a regular expression matches, read off Python's own parse of the pattern.

A short deterministic walk of the ``re`` parser's output: the fewest repetitions, the n-th
alternative of each branch, a representative character per class. Lookarounds and anchors are
not enforced: the caller keeps only the strings ``re.search`` confirms. (exrex was tried first and
enumerates nothing for ``\\S``, which SigmaHQ patterns use a lot.)
"""

from __future__ import annotations

import re
from re import _constants as C  # Python 3.11+ (the sre_* names are deprecated aliases)
from re import _parser as sre_parse
from typing import Any

# Characters tried, in order, where a class or negation leaves a choice.
_POOL = "aA0 _-x.:/\\Z9\t"
_CATEGORY = {
    C.CATEGORY_DIGIT: "0",
    C.CATEGORY_NOT_DIGIT: "a",
    C.CATEGORY_SPACE: " ",
    C.CATEGORY_NOT_SPACE: "a",
    C.CATEGORY_WORD: "a",
    C.CATEGORY_NOT_WORD: " ",
}


def samples(pattern: str, flags: int = 0, count: int = 3) -> list[str]:
    """Up to ``count`` distinct strings that ``re.search(pattern, s, flags)`` matches."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except (re.error, RecursionError):
        return []
    compiled = re.compile(pattern, flags)
    found: list[str] = []
    for variant in range(count * 2):
        try:
            text = _walk(parsed, variant, {})
        except (RecursionError, ValueError):
            continue
        if text not in found and compiled.search(text):
            found.append(text)
        if len(found) == count:
            break
    return found


def _walk(items: Any, variant: int, groups: dict[int, str]) -> str:
    return "".join(_node(op, arg, variant, groups) for op, arg in items)


def _node(op: Any, arg: Any, variant: int, groups: dict[int, str]) -> str:
    if op is C.LITERAL:
        return chr(arg)
    if op is C.NOT_LITERAL:  # any other character
        return next(c for c in _POOL if ord(c) != arg)
    if op is C.ANY:
        return "a"
    if op is C.IN:
        return _class(arg)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = arg
        return _walk(sub, variant, groups) * int(low)
    if op is C.BRANCH:
        branches = arg[1]
        return _walk(branches[variant % len(branches)], variant, groups)
    if op is C.SUBPATTERN:
        group, sub = arg[0], arg[-1]
        text = _walk(sub, variant, groups)
        if group is not None:
            groups[group] = text
        return text
    if op is C.GROUPREF:
        return groups.get(arg, "")
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _walk(arg, variant, groups)
    return ""  # anchors, lookarounds, conditionals: checked by re.search afterwards


def _class(items: list[tuple[Any, Any]]) -> str:
    negated = bool(items) and items[0][0] is C.NEGATE
    members = items[1:] if negated else items
    if not negated:
        return _first_member(members[0]) if members else "a"
    return next(c for c in _POOL if not any(_member(c, m) for m in members))


def _first_member(item: tuple[Any, Any]) -> str:
    op, arg = item
    if op is C.LITERAL:
        return chr(arg)
    if op is C.RANGE:
        return chr(arg[0])
    return _CATEGORY.get(arg, "a")


def _member(char: str, item: tuple[Any, Any]) -> bool:
    op, arg = item
    if op is C.LITERAL:
        return bool(ord(char) == arg)
    if op is C.RANGE:
        return bool(arg[0] <= ord(char) <= arg[1])
    if op is C.CATEGORY:
        return bool(re.fullmatch(_CATEGORY_RE[arg], char))
    return False


_CATEGORY_RE = {
    C.CATEGORY_DIGIT: r"\d",
    C.CATEGORY_NOT_DIGIT: r"\D",
    C.CATEGORY_SPACE: r"\s",
    C.CATEGORY_NOT_SPACE: r"\S",
    C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W",
}
