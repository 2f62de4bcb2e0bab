"""The EQL syntax tree the parser builds and the checker and evaluator walk.

Only what Elasticsearch's EQL keeps after parsing is modelled: a condition per event filter,
plus the shape of sequences and samples (parsed and checked, not evaluated per event).
"""

from __future__ import annotations

from dataclasses import dataclass

Literal = str | int | float | bool | None


@dataclass(frozen=True)
class Const:
    value: Literal


@dataclass(frozen=True)
class Field:
    name: str
    optional: bool = False  # ``?field``: an unmapped field reads as null instead of an error


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Pattern:
    """``:``, ``like``/``like~``, ``regex``/``regex~`` against one or more constants (OR)."""

    kind: str  # ":" | "like" | "regex"
    insensitive: bool
    operand: Expr
    patterns: tuple[Const, ...]


@dataclass(frozen=True)
class InList:
    operand: Expr
    items: tuple[Expr, ...]
    insensitive: bool
    negated: bool


@dataclass(frozen=True)
class Call:
    name: str  # lower-cased: Elasticsearch resolves function names case-insensitively
    insensitive: bool  # ``name~(...)``
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Arith:
    op: str  # + - * / % and "neg" (unary minus, right is None)
    left: Expr
    right: Expr | None


Expr = Const | Field | Not | BoolOp | Compare | Pattern | InList | Call | Arith


@dataclass(frozen=True)
class EventFilter:
    category: str | None  # None: ``any``
    condition: Expr


@dataclass(frozen=True)
class Statement:
    """A whole query: one event filter, or the filters of a sequence/sample."""

    kind: str  # "event" | "sequence" | "sample"
    filters: tuple[EventFilter, ...]
    keys: tuple[Expr, ...] = ()  # join keys (``by``), type-checked only
