"""Numeric ranges for the Lucene parity backend: IPv4 networks and integer bounds as text.

A keyword field stores numbers and addresses as text, where a query_string range compares
strings (``"999" > "1000"``, T18) and a CIDR term compares text (T15). Lucene's RegExp has
numeric intervals instead: ``<n-m>`` matches the decimal numbers n..m, and when n and m have the
same number of digits it matches exactly that many digits
(https://lucene.apache.org/core/9_12_0/core/org/apache/lucene/util/automaton/RegExp.html,
``<n-m>``; Elasticsearch regexp syntax, "Numeric range"). Splitting a range into digit-count
buckets therefore matches each number in exactly its canonical spelling: no sign for
non-negative numbers, no leading zeros, as Python's ``ipaddress`` and ``int`` write them.

Also here: the integer bounds of a Sigma comparison, and the network a whole-octet IPv4 prefix
(``10.*``) names, which an ip field takes as a CIDR term (exact for every value an ip field can
hold: the text of an IPv4 address starts with ``10.`` exactly when it lies in 10.0.0.0/8).
"""

from __future__ import annotations

import ipaddress
import math

from sigma.types import CompareOperators, SigmaCompareExpression, SigmaString, SpecialChars


def ipv4_regexp(network: ipaddress.IPv4Network) -> str:
    """The dotted-decimal text of every address in the network (no leading zeros, which
    Python's ipaddress, and so the oracle, refuses)."""
    low, high = network.network_address.packed, network.broadcast_address.packed
    return "\\.".join(_bounded(a, b) for a, b in zip(low, high, strict=True))


def integer_regexp(low: float | None, high: float | None) -> str | None:
    """The canonical decimal text of every integer n with low <= n <= high (None: unbounded);
    None when there is none."""
    lo = None if low is None else math.ceil(low)
    hi = None if high is None else math.floor(high)
    if lo is not None and hi is not None and lo > hi:
        return None
    parts = []
    if hi is None or hi >= 0:
        parts.append(_non_negative(max(lo or 0, 0), hi))
    if lo is None or lo < 0:  # -n for n in [max(1, -hi), -lo]
        parts.append("-" + _non_negative(max(1, -hi if hi is not None else 1), _neg(lo)))
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"


def _neg(value: int | None) -> int | None:
    return None if value is None else -value


def _non_negative(low: int, high: int | None) -> str:
    """Integers low..high (high None: no upper bound), low >= 0."""
    if high is not None:
        return _bounded(low, high)
    digits = len(str(low))
    return f"({_bounded(low, 10**digits - 1)}|[1-9][0-9]{{{digits},}})"


def _bounded(low: int, high: int) -> str:
    """Integers low..high (high >= low >= 0), each in its canonical spelling."""
    if low == high:
        return str(low)
    pieces = []
    for width in range(len(str(low)), len(str(high)) + 1):
        first, last = max(low, 0 if width == 1 else 10 ** (width - 1)), min(high, 10**width - 1)
        pieces.append(str(first) if first == last else f"<{first}-{last}>")
    return pieces[0] if len(pieces) == 1 else "(" + "|".join(pieces) + ")"


def comparison_bounds(value: SigmaCompareExpression) -> tuple[float | None, float | None]:
    """(low, high) of the integers a comparison accepts, inclusive; strict bounds move by one
    (the integers above 4.5 start at 5, above 4 at 5 too)."""
    limit = value.number.number
    assert isinstance(limit, (int, float))
    op = value.op
    if op == CompareOperators.GT:
        return (math.floor(limit) + 1, None)
    if op == CompareOperators.GTE:
        return (limit, None)
    if op == CompareOperators.LT:
        return (None, math.ceil(limit) - 1)
    return (None, limit)


def ipv4_prefix(value: SigmaString) -> str | None:
    """``10.*`` / ``192.168.*``: the CIDR network of a whole-octet IPv4 prefix, else None."""
    parts = value.s
    if len(parts) != 2 or parts[1] != SpecialChars.WILDCARD_MULTI or not isinstance(parts[0], str):
        return None
    octets = parts[0].split(".")
    if octets[-1] != "" or not 1 < len(octets) <= 4:
        return None
    try:
        network = ipaddress.IPv4Network(
            ".".join(octets[:-1] + ["0"] * (5 - len(octets))) + f"/{8 * (len(octets) - 1)}"
        )
    except ValueError:
        return None
    return str(network)
