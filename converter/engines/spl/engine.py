"""SplEngine: the Splunk SPL model (search command plus the pipes pySigma's SplunkBackend emits).

Semantics and their sources are tabled in docs/engines.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from converter.engines.base import CompiledQuery, Engine, Event
from converter.engines.spl import commands as cmd
from converter.engines.spl import openpoints as op
from converter.engines.spl.pipeline import RawCommand
from converter.engines.spl.pipeline import commands as split_commands
from converter.engines.spl.stats import build_bin, build_stats

_BUILDERS: dict[str, Callable[[RawCommand], cmd.Command]] = {
    "search": cmd.build_search,
    "regex": cmd.build_regex,
    "where": cmd.build_where,
    "eval": cmd.build_eval,
    "rex": cmd.build_rex,
    "stats": build_stats,
    "bin": build_bin,
    "bucket": build_bin,
}


def _build(raw: RawCommand) -> cmd.Command:
    builder = _BUILDERS.get(raw.name)
    return builder(raw) if builder else cmd.PassThrough()


@dataclass
class SplQuery(CompiledQuery):
    commands: list[cmd.Command] = field(default_factory=list)

    def matches(self, event: Event) -> bool:
        rows: list[cmd.Row] = [dict(event)]
        for command in self.commands:
            rows = command.apply(rows)
            if not rows:
                return False
        return True


class SplEngine(Engine):
    """Splunk's search language, evaluated on one event at a time."""

    key = "spl"
    language = "Splunk SPL"
    open_points = op.ALL

    def compile(self, query: str) -> SplQuery:
        raw_commands, empty_base = split_commands(query)
        compiled = SplQuery(query, commands=[_build(raw) for raw in raw_commands])
        for command in compiled.commands:
            compiled.assumptions |= command.assumptions
        if empty_base:
            compiled.assumptions.add(op.EMPTY_BASE_SEARCH.key)
        if any(c.isalpha() and not c.isascii() for c in query):
            compiled.assumptions.add(op.NONASCII_CASE.key)
        return compiled
