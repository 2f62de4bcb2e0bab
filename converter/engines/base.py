"""The interface every engine model implements: compile a query once, then test events.

An engine model answers what the real engine would answer for a query and an event, not what the
Sigma rule means; the difference is what ``sigma-parity check`` exists to find. A query the real
engine would refuse (syntax or type error by its documented grammar) raises QueryRejected and is
never evaluated.

Events reach an engine as the platform stores them: a flat mapping of field name (dotted for
Elastic, e.g. ``process.command_line``; Splunk field names plus ``_raw`` for Splunk) to a value
that is str, int, float, bool, None (absent) or a list of those (a multi-valued field).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from converter.errors import ConverterError
from converter.schema.model import Schema, ecs_schema

Event = Mapping[str, Any]


class QueryRejected(ConverterError):
    """The real engine would refuse this query; the message says why (and where, if known)."""


class NotModelled(ConverterError):
    """The real engine accepts the query, but this model cannot evaluate the construct.

    A gap in the model, not a verdict: check reports it as an engine-model error.
    """


@dataclass(frozen=True)
class OpenPoint:
    """A behaviour the sources leave open, which the model assumes (docs/engines.md: assumed)."""

    key: str  # stable name, used as the cause of divergences it produces
    summary: str


@dataclass
class CompiledQuery(ABC):
    """A parsed, checked query, ready to test events."""

    text: str
    # Open points this query's answers depend on (filled during compilation).
    assumptions: set[str] = field(default_factory=set)

    @abstractmethod
    def matches(self, event: Event) -> bool:
        """True when the real engine would return this event for the query."""


class Engine(ABC):
    """One query language's model."""

    key: ClassVar[str]  # "spl", "lucene", "kql", "eql", "esql"
    language: ClassVar[str]
    open_points: ClassVar[tuple[OpenPoint, ...]] = ()

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema if schema is not None else ecs_schema()

    @abstractmethod
    def compile(self, query: str) -> CompiledQuery:
        """Parse and check ``query``; raise QueryRejected where the real engine would."""

    def matches(self, query: str, event: Event) -> bool:
        return self.compile(query).matches(event)
