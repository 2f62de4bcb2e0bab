"""Concrete event values for one Sigma value: witnesses that match it and near misses that don't.

One builder per Sigma value type, dispatched by type (the most specific class first, as in the
oracle). Each returns tagged candidates; the event builder verifies every candidate with the
oracle's own value test, so a builder may propose freely but never decides a verdict.

Tags say what a candidate exercises: ``plain`` (wildcards filled minimally), ``padded`` (``*``
filled with text, so the wildcard is really used), ``case`` (letters of another case: a witness
unless the value is ``|cased``, then a near miss), ``boundary`` (one character past where the
value ends or a wildcard starts), ``dash`` (a dash the rule does not allow, e.g. ``/`` for ``-``),
``shifted`` (an expanded variant cut by one character at each end: a base64offset
misalignment), ``variant`` (one of the values an expansion such as windash produces),
``outside`` (just outside a CIDR or comparison bound), ``absent`` (the field missing).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from sigma.types import (
    CompareOperators,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from converter.synth.regex import samples


class Absent:
    """The field is missing from the event."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()
Candidate = tuple[str, Any]  # (tag, scalar value or ABSENT)

PADDING = "Qz"  # what ``*`` stands for in padded witnesses: mixed case, no special character
ONE_CHAR = "k"  # what ``?`` stands for


def witnesses(value: Any) -> list[Candidate]:
    """Values meant to satisfy ``field: value`` (first the plainest)."""
    return _dispatch(_WITNESSES, value)


def near_misses(value: Any) -> list[Candidate]:
    """Values meant to fail ``field: value`` while staying close to a witness."""
    return _dispatch(_NEAR_MISSES, value)


def _dispatch(table: dict[type, Callable[[Any], list[Candidate]]], value: Any) -> list[Candidate]:
    for cls in type(value).__mro__:
        if cls in table:
            return table[cls](value)
    return []


# --- strings -----------------------------------------------------------------------------------


def fill(value: SigmaString, many: str = "", one: str = ONE_CHAR) -> str:
    """The string with ``*`` replaced by ``many`` and ``?`` by ``one``."""
    parts = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            parts.append(many)
        elif part == SpecialChars.WILDCARD_SINGLE:
            parts.append(one)
        else:
            parts.append(str(part))
    return "".join(parts)


def _string_witnesses(value: SigmaString) -> list[Candidate]:
    low, high = _address_completion(value, "1"), _address_completion(value, "254")
    if low is not None and high is not None:  # '10.1.*': whole addresses are the witnesses
        return [("plain", low), ("padded", high)]
    plain = fill(value)
    # An empty value is kept out: whether Splunk's f="*" finds f="" is an open point of the
    # SPL model (docs/engines.md, spl-empty-value), and fixtures stay off open points.
    found = [("plain", plain)] if plain else []
    found.append(("padded", fill(value, PADDING)))
    if not isinstance(value, SigmaCasedString) and plain.swapcase() != plain:
        found.append(("case", fill(value, PADDING).swapcase()))
    return found


_OCTETS_PREFIX = re.compile(r"(?:\d{1,3}\.){1,3}")


def _address_completion(value: SigmaString, octet: str) -> str | None:
    """An IPv4 prefix ending in ``*`` completed to a whole address (an ip-typed field holds
    nothing else, so '127.' alone could only test what a mapping does with malformed values)."""
    parts = value.s
    if len(parts) != 2 or parts[1] != SpecialChars.WILDCARD_MULTI or not isinstance(parts[0], str):
        return None
    prefix = parts[0]
    if not _OCTETS_PREFIX.fullmatch(prefix):
        return None
    return prefix + ".".join([octet] * (4 - prefix.count(".")))


def _string_near_misses(value: SigmaString) -> list[Candidate]:
    plain = fill(value, PADDING)
    found = [("boundary", miss) for miss in _boundary_misses(value)]
    if isinstance(value, SigmaCasedString) and plain.swapcase() != plain:
        found.append(("case", plain.swapcase()))
    dashed = _swap_dash(plain)
    if dashed is not None:
        found.append(("dash", dashed))
    return found


def _boundary_misses(value: SigmaString) -> Iterator[str]:
    """One character too many at an anchored end, one too few next to a wildcard."""
    parts = value.s
    if parts and isinstance(parts[0], str):
        yield "x" + fill(value)
    if parts and isinstance(parts[-1], str):
        yield fill(value) + "x"
    literals = [i for i, part in enumerate(parts) if isinstance(part, str) and part]
    if literals:
        longest = max(literals, key=lambda i: len(str(parts[i])))
        cut = [str(p)[:-1] if i == longest else p for i, p in enumerate(parts)]
        yield _fill_parts(cut)
    if SpecialChars.WILDCARD_SINGLE in parts:
        yield fill(value, one="")


def _fill_parts(parts: list[Any]) -> str:
    return "".join(
        ""
        if p == SpecialChars.WILDCARD_MULTI
        else ONE_CHAR
        if p == SpecialChars.WILDCARD_SINGLE
        else str(p)
        for p in parts
    )


def _swap_dash(text: str) -> str | None:
    """``-x`` as ``/x`` (or back): the other Windows option prefix, which only |windash allows."""
    match = re.search(r"(?:^|\s)([-/])[A-Za-z]", text)
    if match is None:
        return None
    other = "/" if match.group(1) == "-" else "-"
    return text[: match.start(1)] + other + text[match.end(1) :]


# --- other value types -------------------------------------------------------------------------


def _regex_witnesses(value: SigmaRegularExpression) -> list[Candidate]:
    pattern = _compiled(value)
    found: list[Candidate] = [("plain", text) for text in _samples(value)[:2]]
    if found:
        padded = f"{PADDING} {found[0][1]} {PADDING}"
        found += [
            (tag, text) for tag, text in [("padded", padded), ("case", found[0][1].swapcase())]
        ]
    return [c for c in found if pattern.search(c[1])]


def _regex_near_misses(value: SigmaRegularExpression) -> list[Candidate]:
    found: list[Candidate] = []
    for text in _samples(value)[:1]:
        found += [("boundary", text[:-1]), ("boundary", text[1:]), ("case", text.swapcase())]
    return [c for c in found if c[1]]


def _samples(value: SigmaRegularExpression) -> list[str]:
    return samples(str(value.regexp), _compiled(value).flags)


def _compiled(value: SigmaRegularExpression) -> re.Pattern[str]:
    flags = 0
    for flag in value.flags:
        flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
    return re.compile(str(value.regexp), flags)


def _number_witnesses(value: SigmaNumber) -> list[Candidate]:
    return [("plain", value.number)]


def _number_near_misses(value: SigmaNumber) -> list[Candidate]:
    return [("outside", value.number + 1)]


def _bool_witnesses(value: SigmaBool) -> list[Candidate]:
    return [("plain", value.boolean)]


def _bool_near_misses(value: SigmaBool) -> list[Candidate]:
    return [("outside", not value.boolean)]


def _null_witnesses(value: SigmaNull) -> list[Candidate]:
    return [("absent", ABSENT)]


def _null_near_misses(value: SigmaNull) -> list[Candidate]:
    return [("outside", "-")]


def _exists_witnesses(value: SigmaExists) -> list[Candidate]:
    return [("plain", "present")] if value.exists else [("absent", ABSENT)]


def _exists_near_misses(value: SigmaExists) -> list[Candidate]:
    return [("absent", ABSENT)] if value.exists else [("outside", "present")]


def _cidr_witnesses(value: SigmaCIDRExpression) -> list[Candidate]:
    network = value.network
    first = network.network_address + (1 if network.num_addresses > 2 else 0)
    return [("plain", str(first)), ("padded", str(network.broadcast_address))]


def _cidr_near_misses(value: SigmaCIDRExpression) -> list[Candidate]:
    network = value.network
    found = []
    for address in (int(network.broadcast_address) + 1, int(network.network_address) - 1):
        if 0 <= address < 2**network.max_prefixlen:
            found.append(("outside", str(ipaddress.ip_address(address))))
    return found


_STEP: dict[CompareOperators, tuple[int, int]] = {  # (witness offset, near-miss offset)
    CompareOperators.GT: (1, 0),
    CompareOperators.GTE: (0, -1),
    CompareOperators.LT: (-1, 0),
    CompareOperators.LTE: (0, 1),
}


def _compare_witnesses(value: SigmaCompareExpression) -> list[Candidate]:
    return [("plain", _offset(value, 0))]


def _compare_near_misses(value: SigmaCompareExpression) -> list[Candidate]:
    return [("outside", _offset(value, 1))]


def _offset(value: SigmaCompareExpression, which: int) -> int | float:
    """The bound moved by the smallest step of its kind (1, or one unit in the last place)."""
    number = value.number.number
    if isinstance(number, int):
        return number + _STEP[value.op][which]
    exponent = Decimal(str(number)).as_tuple().exponent
    unit = 10.0 ** (exponent if isinstance(exponent, int) else 0)
    return number + _STEP[value.op][which] * unit


def _expansion_witnesses(value: SigmaExpansion) -> list[Candidate]:
    return [("variant", c[1]) for variant in value.values for c in witnesses(variant)[:1]]


def _expansion_near_misses(value: SigmaExpansion) -> list[Candidate]:
    found: list[Candidate] = []
    for variant in value.values[:3]:
        text = fill(variant) if isinstance(variant, SigmaString) else ""
        if len(text) > 1:
            found.append(("shifted", text[1:-1]))
    return found


_WITNESSES: dict[type, Callable[[Any], list[Candidate]]] = {
    SigmaString: _string_witnesses,
    SigmaRegularExpression: _regex_witnesses,
    SigmaNumber: _number_witnesses,
    SigmaBool: _bool_witnesses,
    SigmaNull: _null_witnesses,
    SigmaExists: _exists_witnesses,
    SigmaCIDRExpression: _cidr_witnesses,
    SigmaCompareExpression: _compare_witnesses,
    SigmaExpansion: _expansion_witnesses,
}

_NEAR_MISSES: dict[type, Callable[[Any], list[Candidate]]] = {
    SigmaString: _string_near_misses,
    SigmaRegularExpression: _regex_near_misses,
    SigmaNumber: _number_near_misses,
    SigmaBool: _bool_near_misses,
    SigmaNull: _null_near_misses,
    SigmaExists: _exists_near_misses,
    SigmaCIDRExpression: _cidr_near_misses,
    SigmaCompareExpression: _compare_near_misses,
    SigmaExpansion: _expansion_near_misses,
}
