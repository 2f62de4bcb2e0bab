"""Value-level semantics of the SPL search command: strings, wildcards, CIDR, numbers, terms.

Everything here works on the event as Splunk stores it: a flat mapping of case-sensitive field
names to strings (numbers and booleans are rendered the way they appear in the raw JSON event),
where a list is a multivalue field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

# Default segmenters.conf breakers (docs/engines.md, "segmentation"). Minor breakers also
# delimit searchable segments, so a term may start or end at either kind.
MAJOR_BREAKERS = " \t\n\r[]<>(){}|!;,'\"*&?+"
MINOR_BREAKERS = "/:=@.-$#%\\_"
BREAKERS = MAJOR_BREAKERS + MINOR_BREAKERS

_CIDR = re.compile(r"^[0-9A-Fa-f:.]+/\d{1,3}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def render(value: Any) -> str:
    """A scalar event value as the string Splunk would extract from the JSON event."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_values(event: Mapping[str, Any], name: str) -> list[str]:
    """All values of a field (a multivalue field gives several); an absent field gives none."""
    value = event.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [render(item) for item in items if item is not None]


def present_values(event: Mapping[str, Any], name: str) -> list[str]:
    """The values that count as "a value in the field": empty strings do not (spl-empty-value)."""
    return [value for value in field_values(event, name) if value != ""]


def unescape(body: str, tabs: bool = False) -> str:
    """The SPL string layer: ``\\\\`` is one backslash, ``\\"`` a quote, anything else stays;
    with ``tabs`` (eval string literals) ``\\t`` is a tab as well."""
    escapes = {"\\": "\\", '"': '"', **({"t": "\t"} if tabs else {})}
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and body[i + 1] in escapes:
            out.append(escapes[body[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def has_unknown_escape(body: str) -> bool:
    """True when a backslash precedes something other than a backslash or a quote."""
    return re.search(r'(?<!\\)(?:\\\\)*\\[^\\"]', body) is not None


@cache  # one entry per distinct value: bounded by the rules loaded
def glob_regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """``*`` is the only wildcard (any run, possibly empty); the match covers the whole value
    (``\\Z``, not ``$``, which would also accept a final newline the value does not match)."""
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.compile(f"^{body}\\Z", flags)


def cidr_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network a ``field=a.b.c.d/n`` value names, or None when it is not CIDR notation."""
    if not _CIDR.match(value):
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def in_network(value: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(value.strip()) in network
    except ValueError:
        return False


def as_number(value: str) -> float | None:
    return float(value) if _NUMBER.match(value.strip()) else None


def compare(left: str, op: str, right: str) -> bool:
    """< > <= >=: numeric when both sides are numbers, else string order (spl-compare-order)."""
    lnum, rnum = as_number(left), as_number(right)
    a: float | str = lnum if lnum is not None and rnum is not None else left
    b: float | str = rnum if lnum is not None and rnum is not None else right
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


@lru_cache(maxsize=4096)
def term_regex(term: str, case_sensitive: bool, major_only: bool) -> re.Pattern[str]:
    """A bare term or phrase against _raw, anchored on segment boundaries (spl-term-breakers)."""
    breakers = MAJOR_BREAKERS if major_only else BREAKERS
    klass = "[" + re.escape(breakers) + "]"
    body = ".*".join(re.escape(part) for part in term.split("*"))
    start = "" if term[:1] in ("*", *breakers) else f"(?:^|(?<={klass}))"
    end = "" if term[-1:] in ("*", *breakers) else f"(?=$|{klass})"
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.compile(start + body + end, flags)
