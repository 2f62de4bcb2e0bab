"""The ES|QL engine model: parse, type-check, and run a query's pipeline over one event.

The event is the one row ``FROM`` yields for it; each processing command then acts on that row:
WHERE keeps it when its condition is ``true``, EVAL adds columns, KEEP/DROP/RENAME change which
names resolve, LIMIT 0 drops it, MV_EXPAND turns it into one row per value, SORT changes nothing.
The event matches when a row survives. STATS / INLINE STATS need the whole result set: the answer
is whether the event reaches them (open point ``esql-aggregation``). DISSECT, GROK, ENRICH,
LOOKUP JOIN, COMPLETION, FORK, SAMPLE and CHANGE_POINT are parsed but not run: the answer is
taken before them (open point ``esql-unevaluated-command``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from lark.exceptions import VisitError

from converter.engines.base import CompiledQuery, Engine, Event, OpenPoint, QueryRejected
from converter.engines.esql import ast
from converter.engines.esql.build import build
from converter.engines.esql.evaluator import Evaluator
from converter.engines.esql.grammar import parse
from converter.engines.esql.patterns import like_regex, rlike
from converter.engines.esql.typecheck import TypeChecker
from converter.engines.esql.values import UNKNOWN, Value, column_type, load
from converter.schema.model import Schema

OPEN_POINTS = (
    OpenPoint(
        "esql-aggregation",
        "STATS/INLINE STATS answered as: the event reaches the "
        "aggregation (a single event cannot decide an aggregate threshold)",
    ),
    OpenPoint(
        "esql-unevaluated-command",
        "DISSECT/GROK/ENRICH/LOOKUP JOIN/COMPLETION/FORK/"
        "SAMPLE/CHANGE_POINT are not run; the answer is taken before them",
    ),
    OpenPoint(
        "esql-unmapped-field",
        "a field the schema does not map: the real engine errors "
        "(Unknown column) unless some index maps it; the model types it from the event's "
        "JSON value, as dynamic mapping would",
    ),
    OpenPoint(
        "esql-ignore-above",
        "a keyword value longer than ignore_above reads as null "
        "(elastic/elasticsearch#124678, open enhancement to load it from _source)",
    ),
    OpenPoint(
        "esql-normalizer",
        "a keyword field with a lowercase normalizer is read as the "
        "normalized (lower-cased) doc value, while literals are not normalized",
    ),
)


@dataclass
class Row:
    """One row: the event's fields (typed by the schema) plus EVAL columns and renames."""

    event: Event
    schema: Schema
    columns: dict[str, Value] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # new name -> old name
    visible: Callable[[str], bool] = lambda _name: True

    def get(self, name: str) -> Value:
        if not self.visible(name):
            return None
        if name in self.columns:
            return self.columns[name]
        source = self.aliases.get(name, name)
        return load(self.event, self.schema.field(source))

    def kind(self, name: str) -> str:
        """The type family of a mapped column (an EVAL column's is not tracked: UNKNOWN)."""
        if name in self.columns:
            return UNKNOWN
        return column_type(self.schema.field(self.aliases.get(name, name)))

    def copy(self) -> Row:
        return Row(self.event, self.schema, dict(self.columns), dict(self.aliases), self.visible)


@dataclass
class EsqlQuery(CompiledQuery):
    query: ast.Query | None = None
    schema: Schema | None = None
    warnings: list[str] = field(default_factory=list)  # of the last matches() call

    def matches(self, event: Event) -> bool:
        assert self.query is not None and self.schema is not None
        self.warnings = []
        rows = [Row(event, self.schema)]
        for command in self.query.commands:
            if isinstance(command, ast.Opaque):
                break
            rows = [out for row in rows for out in self._apply(command, row)]
            if not rows:
                return False
        return bool(rows)

    def _apply(self, command: ast.Command, row: Row) -> list[Row]:
        evaluator = Evaluator(row.get, self.warnings, row.kind)
        if isinstance(command, ast.Where):
            return [row] if evaluator.truth(command.condition) is True else []
        if isinstance(command, ast.Eval):
            return [_eval(command, row, self.warnings)]
        if isinstance(command, ast.Limit):
            return [row] if command.count > 0 else []
        if isinstance(command, ast.MvExpand):
            return _mv_expand(command.field, row)
        if isinstance(command, ast.Keep | ast.Drop | ast.Rename):
            return [_project(command, row)]
        return [row]  # SORT


def _eval(command: ast.Eval, row: Row, warnings: list[str]) -> Row:
    out = row.copy()
    for name, expr in command.assignments:
        # Each assignment sees the columns defined before it in the same EVAL.
        out.columns[name] = Evaluator(out.get, warnings, out.kind).value(expr)
    return out


def _mv_expand(name: str, row: Row) -> list[Row]:
    value = row.get(name)
    if not isinstance(value, tuple):
        return [row]
    expanded = []
    for item in value:
        out = row.copy()
        out.columns[name] = item
        expanded.append(out)
    return expanded


def _project(command: ast.Keep | ast.Drop | ast.Rename, row: Row) -> Row:
    out = row.copy()
    before = row.visible
    if isinstance(command, ast.Keep):
        out.visible = lambda n: before(n) and _any_match(command.patterns, n)
    elif isinstance(command, ast.Drop):
        out.visible = lambda n: before(n) and not _any_match(command.patterns, n)
    else:
        for old, new in command.pairs:
            out.columns[new] = row.get(old)
        hidden = {old for old, _ in command.pairs} - {new for _, new in command.pairs}
        out.visible = lambda n: n not in hidden and (n in out.columns or before(n))
    return out


def _any_match(patterns: tuple[str, ...], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


class EsqlEngine(Engine):
    """ES|QL (Elasticsearch's piped query language) over one event at a time."""

    key: ClassVar[str] = "esql"
    language: ClassVar[str] = "ES|QL"
    open_points: ClassVar[tuple[OpenPoint, ...]] = OPEN_POINTS

    def compile(self, query: str) -> EsqlQuery:
        try:
            tree = build(parse(query))
        except VisitError as e:
            raise QueryRejected(str(e.orig_exc)) from e
        assumptions = _check(tree, self.schema)
        return EsqlQuery(text=query, assumptions=assumptions, query=tree, schema=self.schema)


def _check(query: ast.Query, schema: Schema) -> set[str]:
    """Type-check commands up to the first one not run; return the open points relied on."""
    checker = TypeChecker(schema)
    for command in query.commands:
        if isinstance(command, ast.Opaque):
            checker.assumptions.add(
                "esql-aggregation" if command.aggregates else "esql-unevaluated-command"
            )
            break
        _check_command(command, checker)
    checker.assumptions |= _mapping_assumptions(query, schema)
    return checker.assumptions


def _check_command(command: ast.Command, checker: TypeChecker) -> None:
    if isinstance(command, ast.Where):
        checker.condition(command.condition)
        _check_patterns(command.condition)
    elif isinstance(command, ast.Eval):
        for name, expr in command.assignments:
            checker.columns[name] = checker.type_of(expr)
            _check_patterns(expr)


def _check_patterns(expr: ast.Expr) -> None:
    """An RLIKE pattern Lucene cannot parse fails the query (IllegalArgumentException)."""
    if isinstance(expr, ast.Pattern):
        for pattern in expr.patterns:
            try:
                (rlike if expr.regex else like_regex)(pattern)
            except ValueError as e:
                raise QueryRejected(f"invalid regular expression: {e}") from e
    for child in vars(expr).values():
        if isinstance(child, ast.Expr):
            _check_patterns(child)
        elif isinstance(child, tuple):
            for item in child:
                if isinstance(item, ast.Expr):
                    _check_patterns(item)


def _mapping_assumptions(query: ast.Query, schema: Schema) -> set[str]:
    """ignore_above and normalizer open points, for the fields the query reads."""
    found: set[str] = set()
    for name in _field_names(query):
        spec = schema.field(name)
        if spec.known and spec.ignore_above is not None:
            found.add("esql-ignore-above")
        if spec.known and spec.normalizer is not None:
            found.add("esql-normalizer")
    return found


def _field_names(node: object) -> set[str]:
    if isinstance(node, ast.Field):
        return {node.name}
    if isinstance(node, tuple | list):
        return set().union(*(_field_names(n) for n in node)) if node else set()
    if isinstance(node, ast.Expr | ast.Command | ast.Query):
        return _field_names(tuple(vars(node).values()))
    return set()
