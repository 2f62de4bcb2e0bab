"""The KQL syntax tree: what Kibana's kuery parser builds, before any translation to Query DSL.

Node names follow Kibana's function nodes (is, range, not, and, or, nested; elastic/kibana
src/platform/packages/shared/kbn-es-query/src/kuery/functions/). A value is a ``Literal`` (quoted
or not) or a ``Pattern`` (an unquoted literal with at least one unescaped ``*``). A field is the
same kind of value: an unquoted ``null`` field means "no field" (a field-less query).
"""

from __future__ import annotations

from dataclasses import dataclass

# A literal's value: the grammar turns unquoted null/true/false into typed literals.
LiteralValue = str | bool | None


@dataclass(frozen=True)
class Literal:
    value: LiteralValue
    quoted: bool = False


@dataclass(frozen=True)
class Pattern:
    """Literal text pieces with a ``*`` wildcard between each two (escaped ``*`` is text)."""

    parts: tuple[str, ...]

    @property
    def is_lone_wildcard(self) -> bool:
        # wildcard.ts isLoneWildcard: the value is exactly one wildcard symbol
        return self.parts == ("", "")


Value = Literal | Pattern


@dataclass(frozen=True)
class Is:
    field: Value  # Literal(None): no field
    value: Value


@dataclass(frozen=True)
class RangeOp:
    field: Value
    operator: str  # gt, gte, lt, lte
    value: Value


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Nested:
    path: Value
    child: Node


Node = Is | RangeOp | Not | And | Or | Nested
