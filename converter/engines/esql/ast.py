"""The ES|QL syntax tree the evaluator and the type checker walk.

Only the constructs a single event can be evaluated against get their own node; commands that
need a population (stats), external data (enrich, lookup join, completion) or text extraction
(dissect, grok) are kept as ``Opaque`` commands: parsed, named, not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

Scalar = str | int | float | bool | None


class Expr:
    """Base of expression nodes."""


@dataclass(frozen=True)
class Field(Expr):
    name: str  # dotted, unquoted: ``process.name``


@dataclass(frozen=True)
class Literal(Expr):
    value: Scalar | tuple[Scalar, ...]
    kind: str  # keyword, integer, double, boolean, null, param, span, map


@dataclass(frozen=True)
class Call(Expr):
    name: str  # lower-cased function name
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Cast(Expr):
    expr: Expr
    type: str  # lower-cased target type


@dataclass(frozen=True)
class Arith(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg(Expr):
    expr: Expr


@dataclass(frozen=True)
class Compare(Expr):
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Pattern(Expr):
    """``LIKE`` / ``RLIKE`` with one pattern or a list (true when any pattern matches)."""

    expr: Expr
    patterns: tuple[str, ...]  # after string-literal unescaping
    regex: bool  # RLIKE
    negated: bool


@dataclass(frozen=True)
class In(Expr):
    expr: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True)
class IsNull(Expr):
    expr: Expr
    negated: bool  # IS NOT NULL


@dataclass(frozen=True)
class MatchOp(Expr):
    """``field : "query"``: a full-text match; evaluated as unsupported."""

    expr: Expr
    query: Expr


@dataclass(frozen=True)
class Not(Expr):
    expr: Expr


@dataclass(frozen=True)
class And(Expr):
    operands: tuple[Expr, ...]  # flat: long chains must not nest deeply


@dataclass(frozen=True)
class Or(Expr):
    operands: tuple[Expr, ...]


class Command:
    """Base of processing commands."""


@dataclass(frozen=True)
class From(Command):
    indices: tuple[str, ...]
    metadata: tuple[str, ...]


@dataclass(frozen=True)
class Where(Command):
    condition: Expr


@dataclass(frozen=True)
class Eval(Command):
    assignments: tuple[tuple[str, Expr], ...]  # column name, expression


@dataclass(frozen=True)
class Keep(Command):
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Drop(Command):
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Rename(Command):
    pairs: tuple[tuple[str, str], ...]  # old, new


@dataclass(frozen=True)
class Limit(Command):
    count: int


@dataclass(frozen=True)
class MvExpand(Command):
    field: str


@dataclass(frozen=True)
class Sort(Command):
    """Ordering does not change whether one event is returned."""


@dataclass(frozen=True)
class Opaque(Command):
    """A command parsed but not evaluated on a single event (stats, dissect, enrich, ...)."""

    name: str
    aggregates: bool  # stats / inline stats: the answer is taken before it


@dataclass(frozen=True)
class Query:
    source: Command
    commands: tuple[Command, ...]
