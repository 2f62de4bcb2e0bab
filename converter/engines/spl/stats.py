"""``bin`` and ``stats`` over the single event under test (open point spl-stats-single-event).

pySigma's correlation queries end in ``| bin _time span=... | stats ... by _time ... | search
event_count >= N``. With one event, ``bin`` changes nothing that decides a match, and ``stats``
yields one row (when the event has every BY field) whose aggregates describe that one event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from converter.engines.base import QueryRejected
from converter.engines.spl import openpoints as op
from converter.engines.spl.commands import Command, PassThrough, Row
from converter.engines.spl.errors import NotModelled
from converter.engines.spl.pipeline import RawCommand
from converter.engines.spl.values import as_number, field_values

_AGG = re.compile(
    r"(?P<func>[A-Za-z_]+)(?:\(\s*(?P<arg>[^()\s]*)\s*\))?(?:\s+(?:as|AS)\s+(?P<alias>[\w.]+))?"
)
_NAME = re.compile(r"^[\w.{}]+$")


def _number(values: list[str], reduce: Callable[[list[float]], float]) -> Any:
    numbers = [n for n in (as_number(v) for v in values) if n is not None]
    return None if not numbers else _fmt(reduce(numbers))


def _fmt(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


AGGREGATES: dict[str, Callable[[list[str]], Any]] = {
    "count": lambda values: str(len(values)),
    "dc": lambda values: str(len(set(values))),
    "distinct_count": lambda values: str(len(set(values))),
    "values": lambda values: sorted(set(values)) or None,
    "list": lambda values: values or None,
    "min": lambda values: _number(values, min),
    "max": lambda values: _number(values, max),
    "sum": lambda values: _number(values, sum),
    "avg": lambda values: _number(values, lambda ns: sum(ns) / len(ns)),
}


# Statistical functions of the Search Reference that the model does not compute.
KNOWN_UNMODELLED = frozenset(
    [
        "earliest",
        "latest",
        "earliest_time",
        "latest_time",
        "first",
        "last",
        "mode",
        "median",
        "stdev",
        "stdevp",
        "var",
        "varp",
        "range",
        "perc",
        "upperperc",
        "exactperc",
        "estdc",
        "estdc_error",
        "rate",
        "sumsq",
        "per_second",
        "per_minute",
        "per_hour",
        "per_day",
    ]
)


@dataclass(frozen=True)
class Aggregate:
    func: str
    arg: str | None
    name: str

    def value(self, row: Row) -> Any:
        if self.arg is None:  # plain count: the number of events
            return "1"
        return AGGREGATES[self.func](field_values(row, self.arg))


@dataclass
class Stats(Command):
    aggregates: tuple[Aggregate, ...]
    by: tuple[str, ...]

    def apply(self, rows: list[Row]) -> list[Row]:
        return [self._row(row) for row in rows if all(field_values(row, f) for f in self.by)]

    def _row(self, row: Row) -> Row:
        out: Row = {name: row[name] for name in self.by}
        for aggregate in self.aggregates:
            value = aggregate.value(row)
            if value is not None:
                out[aggregate.name] = value
        return out


def build_stats(raw: RawCommand) -> Command:
    parts = re.split(r"\s+(?:by|BY)\s+", raw.args, maxsplit=1)
    aggs_text, by_text = parts[0], parts[1] if len(parts) > 1 else ""
    if "(eval(" in aggs_text.replace(" ", ""):
        raise NotModelled("stats over eval(...) expressions is not modelled")
    aggregates = tuple(_aggregates(aggs_text))
    if not aggregates:
        raise QueryRejected("stats: no aggregation given")
    fields = tuple(f for f in re.split(r"[\s,]+", by_text.strip()) if f)
    if not all(_NAME.match(f) for f in fields):
        raise QueryRejected(f"stats: bad BY clause {by_text!r}")
    command = Stats(aggregates, fields)
    command.assumptions.add(op.STATS_SINGLE_EVENT.key)
    return command


def _aggregates(text: str) -> list[Aggregate]:
    found: list[Aggregate] = []
    rest = text.strip()
    while rest:
        match = _AGG.match(rest)
        if match and match["func"].lower() in KNOWN_UNMODELLED:
            raise NotModelled(f"the stats function {match['func']} is not modelled")
        if not match or match["func"].lower() not in AGGREGATES:
            # stats has a wide syntax (sparkline, wildcard renames, eval); outside the
            # subset modelled here it is a gap of the model, not an error of the query
            raise NotModelled(f"stats aggregation not modelled at {rest[:40]!r}")
        func, arg = match["func"].lower(), match["arg"]
        if func != "count" and not arg:
            raise QueryRejected(f"stats: {func}() needs a field")
        default = func if arg is None else f"{func}({arg})"
        found.append(Aggregate(func, arg or None, match["alias"] or default))
        rest = rest[match.end() :].lstrip(" ,\n\t")
    return found


def build_bin(raw: RawCommand) -> Command:
    words = [w for w in raw.args.split() if "=" not in w]
    if not words or not _NAME.match(words[0]):
        raise QueryRejected(f"bin: expected a field name, got {raw.args!r}")
    command = PassThrough()
    command.assumptions.add(op.STATS_SINGLE_EVENT.key)
    return command
