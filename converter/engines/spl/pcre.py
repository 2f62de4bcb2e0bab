"""PCRE (Splunk's regex library) to Python ``re``: the few syntax differences that matter.

Splunk's regex, rex, match() and replace() use PCRE. Python's ``re`` agrees on the common subset
(classes, quantifiers, lookaround, lazy/possessive quantifiers, atomic groups on 3.11+); this
module rewrites the PCRE-only spellings and refuses what it cannot translate faithfully.
"""

from __future__ import annotations

import re
from functools import lru_cache

from converter.engines.base import QueryRejected
from converter.engines.spl.errors import NotModelled

# PCRE escapes with a different (or no) meaning in Python.
_ESCAPES = {
    "z": r"\Z",  # PCRE \z: very end; Python spells it \Z
    "Z": r"(?=\n?\Z)",  # PCRE \Z: end or before a final newline
    "h": r"[ \t\xa0]",
    "H": r"[^ \t\xa0]",
}
_UNSUPPORTED_ESCAPES = set("QEGKRXCgk")
_FLAG_GROUP = re.compile(r"\(\?[a-zA-Z]+\)")


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _UNSUPPORTED_ESCAPES:
                raise NotModelled(f"PCRE escape \\{nxt} is not modelled")
            out.append(_ESCAPES.get(nxt, char + nxt))
            i += 2
            continue
        if pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")  # PCRE named group (?<name>...)
            i += 3
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _group_end(pattern: str, start: int, stop: str = ")") -> int:
    """Index of the ``)`` closing the group that contains ``start`` (or the pattern's end);
    with ``stop="|)"``, of the first top-level ``|`` or that ``)``."""
    depth, i, in_class = 0, start, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] == "]" else 1
            continue
        elif char == "(":
            depth += 1
        elif char in stop and depth == 0:
            return i
        elif char == ")":
            depth -= 1
        i += 1
    return len(pattern)


def _alternatives(text: str) -> list[str]:
    parts: list[str] = []
    while True:
        cut = _group_end(text, 0, "|)")
        parts.append(text[:cut])
        if cut >= len(text):
            return parts
        text = text[cut + 1 :]


def _scope_flags(pattern: str) -> str:
    """PCRE applies a mid-pattern ``(?i)`` to the rest of its group; Python needs ``(?i:...)``."""
    for match in _FLAG_GROUP.finditer(pattern):
        if match.start() == 0:
            continue
        end = _group_end(pattern, match.end())
        flags = match.group()[2:-1]
        # the flag holds for the rest of its alternative and for the alternatives after it
        rest = "|".join(
            f"(?{flags}:{_scope_flags(alt)})" for alt in _alternatives(pattern[match.end() : end])
        )
        return f"{pattern[: match.start()]}{rest}{_scope_flags(pattern[end:])}"
    return pattern


@lru_cache(maxsize=4096)
def compile_pcre(pattern: str) -> re.Pattern[str]:
    """Compile a PCRE pattern (after SPL string unescaping) as Python would run it."""
    try:
        return re.compile(_scope_flags(_translate(pattern)))
    except re.error as exc:
        raise QueryRejected(f"invalid regular expression {pattern!r}: {exc}") from exc
