"""The EQL functions Elasticsearch supports (eql-function-ref.md), their signatures and values.

A ``~`` after the name makes the string functions that support it case-insensitive
(eql-syntax.md "Case-insensitive functions"). Every function returns null when an argument is
null, as each entry of the function reference documents.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FunctionSpec:
    params: tuple[str, ...]  # string, numeric, ip, constant_string, boolean, any
    returns: str
    min_args: int
    max_args: int
    insensitive_variant: bool
    impl: Callable[[Sequence[Any], bool], Any]

    def param(self, position: int) -> str:
        return self.params[min(position, len(self.params) - 1)]


def _fold(value: str, insensitive: bool) -> str:
    return value.lower() if insensitive else value


def _starts_with(args: Sequence[Any], ci: bool) -> bool:
    return bool(_fold(str(args[0]), ci).startswith(_fold(str(args[1]), ci)))


def _ends_with(args: Sequence[Any], ci: bool) -> bool:
    return bool(_fold(str(args[0]), ci).endswith(_fold(str(args[1]), ci)))


def _contains(args: Sequence[Any], ci: bool) -> bool:
    return _fold(str(args[1]), ci) in _fold(str(args[0]), ci)


def _index_of(args: Sequence[Any], ci: bool) -> int | None:
    source, sub = _fold(str(args[0]), ci), _fold(str(args[1]), ci)
    start = max(int(args[2]), 0) if len(args) > 2 else 0
    if start > len(source):
        return None
    found = source.find(sub, start)
    return found if found >= 0 else None


def _between(args: Sequence[Any], ci: bool) -> str:
    source, left, right = str(args[0]), str(args[1]), str(args[2])
    greedy = bool(args[3]) if len(args) > 3 else False
    folded = _fold(source, ci)
    start = folded.find(_fold(left, ci))
    if start < 0:
        return ""
    start += len(left)
    finder = folded.rfind if greedy else folded.find
    end = finder(_fold(right, ci), start)
    return source[start:end] if end >= start else ""


def _cidr_match(args: Sequence[Any], ci: bool) -> bool:
    address = ipaddress.ip_address(str(args[0]))
    networks = (ipaddress.ip_network(str(block), strict=False) for block in args[1:])
    return any(address in network for network in networks if network.version == address.version)


def _substring(args: Sequence[Any], ci: bool) -> str:
    source = str(args[0])
    start = int(args[1])
    end = int(args[2]) if len(args) > 2 else None
    return source[start:end]


def _divide(args: Sequence[Any], ci: bool) -> float | int:
    left, right = args
    if isinstance(left, int) and isinstance(right, int):
        return left // right  # eql-function-ref.md: integer division rounds down
    return float(left) / float(right)


def _number(args: Sequence[Any], ci: bool) -> float | int | None:
    base = int(args[1]) if len(args) > 1 else 10
    text = str(args[0]).strip()
    try:
        return int(text, base) if base != 10 or text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return None


def _string(args: Sequence[Any], ci: bool) -> str:
    value = args[0]
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _concat(args: Sequence[Any], ci: bool) -> str:
    return "".join(_string([a], ci) for a in args)


def _spec(params: str, returns: str, arity: tuple[int, int], ci: bool, impl: Any) -> FunctionSpec:
    return FunctionSpec(tuple(params.split()), returns, arity[0], arity[1], ci, impl)


FUNCTIONS: dict[str, FunctionSpec] = {
    "add": _spec("numeric", "numeric", (2, 2), False, lambda a, ci: a[0] + a[1]),
    "between": _spec("string string string boolean", "string", (3, 4), True, _between),
    "cidrmatch": _spec("ip constant_string", "boolean", (2, 255), False, _cidr_match),
    "concat": _spec("any", "string", (1, 255), False, _concat),
    "divide": _spec("numeric", "numeric", (2, 2), False, _divide),
    "endswith": _spec("string", "boolean", (2, 2), True, _ends_with),
    "indexof": _spec("string string numeric", "numeric", (2, 3), True, _index_of),
    "length": _spec("string", "numeric", (1, 1), False, lambda a, ci: len(str(a[0]))),
    "modulo": _spec("numeric", "numeric", (2, 2), False, lambda a, ci: a[0] % a[1]),
    "multiply": _spec("numeric", "numeric", (2, 2), False, lambda a, ci: a[0] * a[1]),
    "number": _spec("string numeric", "numeric", (1, 2), False, _number),
    "startswith": _spec("string", "boolean", (2, 2), True, _starts_with),
    "string": _spec("any", "string", (1, 1), False, _string),
    "stringcontains": _spec("string", "boolean", (2, 2), True, _contains),
    "substring": _spec("string numeric", "string", (2, 3), False, _substring),
    "subtract": _spec("numeric", "numeric", (2, 2), False, lambda a, ci: a[0] - a[1]),
}
