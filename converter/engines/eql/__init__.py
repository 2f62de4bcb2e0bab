"""Model of Elasticsearch EQL (key ``eql``): parse, type-check against a Schema, evaluate.

The semantics and their sources are in docs/engines.md. A sequence or sample is parsed and
checked but cannot be answered for a single event: ``matches`` raises NotEvaluable for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from converter.engines.base import CompiledQuery, Engine, Event, NotModelled, OpenPoint
from converter.engines.eql import nodes as n
from converter.engines.eql.checker import Checker
from converter.engines.eql.evaluator import Evaluator, category_matches
from converter.engines.eql.parser import parse
from converter.schema.model import Schema

OPEN_POINTS = (
    OpenPoint(
        "eql.negation_missing_field",
        "not / != / not in over a field matches events without the field (bool.must_not)",
    ),
    OpenPoint("eql.multivalue", "a predicate on a multi-valued field is true if any value matches"),
    OpenPoint(
        "eql.normalizer_patterns",
        "on a keyword field with a lowercase normalizer, wildcard patterns (: like like~) are "
        "normalized like term input, regex patterns are not",
    ),
    OpenPoint(
        "eql.unmapped_field",
        "a field the schema does not know is taken as keyword (Elasticsearch refuses an "
        "unmapped field without ?)",
    ),
)


class NotEvaluable(NotModelled):
    """The query is valid but has no per-event answer (sequences and samples)."""


@dataclass
class EqlQuery(CompiledQuery):
    statement: n.Statement = field(default_factory=lambda: n.Statement("event", ()))
    schema: Schema | None = None

    def matches(self, event: Event) -> bool:
        if self.statement.kind != "event":
            raise NotEvaluable(f"an EQL {self.statement.kind} spans several events")
        assert self.schema is not None
        event_filter = self.statement.filters[0]
        if not category_matches(event_filter.category, event):
            return False
        evaluator = Evaluator(self.schema, event, self.assumptions)
        return evaluator.truth(event_filter.condition)


class EqlEngine(Engine):
    key: ClassVar[str] = "eql"
    language: ClassVar[str] = "Elasticsearch EQL"
    open_points: ClassVar[tuple[OpenPoint, ...]] = OPEN_POINTS

    def compile(self, query: str) -> EqlQuery:
        statement = parse(query)
        checker = Checker(self.schema)
        checker.statement(statement)
        return EqlQuery(query, set(checker.assumptions), statement, self.schema)
