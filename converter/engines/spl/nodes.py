"""Syntax tree of the SPL search command (the part before and between pipes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Value:
    """A value or bare term as written: ``text`` is after SPL string unescaping."""

    text: str
    quoted: bool = False
    case_sensitive: bool = False  # CASE(...)
    whole_term: bool = False  # TERM(...): only major breakers delimit it
    raw: str = ""  # the source spelling, for open-point detection


@dataclass(frozen=True)
class Compare:
    field: str
    op: str  # = != < <= > >=
    value: Value


@dataclass(frozen=True)
class InList:
    field: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Term:
    """A bare keyword or quoted phrase, matched against _raw."""

    value: Value


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Compare | InList | Term | Not | And | Or
