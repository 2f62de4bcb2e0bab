"""The piped commands the model evaluates; each maps the result rows it gets to those it keeps.

A query is evaluated on one event: the rows start as ``[event]`` and the event matches when a
row is left at the end. ``rex`` and ``eval`` add fields to the row, ``search``, ``regex`` and
``where`` filter, ``bin``/``stats`` aggregate the single event (spl-stats-single-event).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from converter.engines.base import QueryRejected
from converter.engines.spl import eval_eval, nodes, search_eval
from converter.engines.spl import openpoints as op
from converter.engines.spl.errors import NotModelled
from converter.engines.spl.eval_parser import Expr, parse_assignments, parse_expression
from converter.engines.spl.pcre import compile_pcre
from converter.engines.spl.pipeline import RawCommand
from converter.engines.spl.search_parser import parse_search
from converter.engines.spl.values import field_values, has_unknown_escape, unescape

Row = dict[str, Any]

_QUOTED = r'"(?:\\.|[^"\\])*"'
_REGEX_ARGS = re.compile(
    rf'^(?:(?P<field>{_QUOTED}|[^\s="!]+)\s*(?P<op>!?=)\s*)?(?P<re>{_QUOTED})\s*$', re.DOTALL
)
_OPTION = re.compile(r'^(?P<key>\w+)\s*=\s*(?P<value>"(?:\\.|[^"\\])*"|\S+)\s*')


@dataclass
class Command:
    assumptions: set[str] = field(default_factory=set, init=False)

    def apply(self, rows: list[Row]) -> list[Row]:
        raise NotImplementedError


@dataclass
class Search(Command):
    node: nodes.Node

    def apply(self, rows: list[Row]) -> list[Row]:
        return [row for row in rows if search_eval.evaluate(self.node, row)]


@dataclass
class Regex(Command):
    field: str
    keep_matches: bool
    pattern: re.Pattern[str]

    def apply(self, rows: list[Row]) -> list[Row]:
        return [row for row in rows if self._found(row) == self.keep_matches]

    def _found(self, row: Mapping[str, Any]) -> bool:
        return any(self.pattern.search(value) for value in field_values(row, self.field))


@dataclass
class Where(Command):
    expr: Expr

    def apply(self, rows: list[Row]) -> list[Row]:
        return [row for row in rows if eval_eval.evaluate(self.expr, row) is True]


@dataclass
class Eval(Command):
    assignments: tuple[tuple[str, Expr], ...]

    def apply(self, rows: list[Row]) -> list[Row]:
        return [self._assign(dict(row)) for row in rows]

    def _assign(self, row: Row) -> Row:
        for name, expr in self.assignments:  # each assignment sees the ones before it
            value = eval_eval.stored(eval_eval.evaluate(expr, row))
            if value is None:
                row.pop(name, None)
            else:
                row[name] = value
        return row


@dataclass
class Rex(Command):
    field: str
    pattern: re.Pattern[str]

    def apply(self, rows: list[Row]) -> list[Row]:
        return [self._extract(dict(row)) for row in rows]

    def _extract(self, row: Row) -> Row:
        for value in field_values(row, self.field):
            found = self.pattern.search(value)
            if found:
                row.update({k: v for k, v in found.groupdict().items() if v is not None})
                break
        return row


@dataclass
class PassThrough(Command):
    def apply(self, rows: list[Row]) -> list[Row]:
        return rows


def _regex_body(quoted: str, command: Command) -> re.Pattern[str]:
    """A quoted regex argument: the SPL string layer first, then PCRE (T21)."""
    body = quoted[1:-1]
    if has_unknown_escape(body):
        command.assumptions.add(op.UNKNOWN_ESCAPE.key)
    return compile_pcre(unescape(body))


def build_search(raw: RawCommand) -> Command:
    node = parse_search(raw.args)
    command = Search(node)
    command.assumptions |= search_eval.assumptions(node, raw.args)
    return command


def build_regex(raw: RawCommand) -> Command:
    if raw.args.split(None, 1)[:1] == ["NOT"]:
        raise QueryRejected('regex: NOT is not valid, use field!="regex"')
    found = _REGEX_ARGS.match(raw.args)
    if not found:
        raise QueryRejected(f'regex: expected [field=|field!=]"regex", got {raw.args!r}')
    name = found["field"] or "_raw"
    name = unescape(name[1:-1]) if name.startswith('"') else name
    command = Regex(name, found["op"] != "!=", re.compile(""))
    command.pattern = _regex_body(found["re"], command)
    command.assumptions.add(op.REGEX_MISSING_FIELD.key)
    return command


def build_where(raw: RawCommand) -> Command:
    expr = parse_expression(raw.args)
    eval_eval.check_calls(expr)
    command = Where(expr)
    command.assumptions.add(op.EVAL_NULL_LOGIC.key)
    return command


def build_eval(raw: RawCommand) -> Command:
    assignments = parse_assignments(raw.args)
    for _, expr in assignments:
        eval_eval.check_calls(expr)
    return Eval(assignments)


def build_rex(raw: RawCommand) -> Command:
    options, rest = _options(raw.args)
    if options.get("mode") == "sed":
        raise NotModelled("rex mode=sed is not modelled")
    if not re.fullmatch(_QUOTED, rest.strip(), re.DOTALL):
        raise QueryRejected(f"rex: expected a quoted regular expression, got {rest!r}")
    command = Rex(options.get("field", "_raw"), re.compile(""))
    command.pattern = _regex_body(rest.strip(), command)
    if not command.pattern.groupindex:
        raise QueryRejected("rex: the regular expression has no named capturing group")
    return command


def _options(text: str) -> tuple[dict[str, str], str]:
    options: dict[str, str] = {}
    while found := _OPTION.match(text):
        value = found["value"]
        options[found["key"]] = unescape(value[1:-1]) if value.startswith('"') else value
        text = text[found.end() :]
    return options, text
