"""KqlEngine: Kibana's KQL parsed as Kibana parses it and translated to the Query DSL it sends.

Matching, type checks and the mapping-dependent open points are delegated to
converter.engines.dsl_eval (the Query DSL model shared with the Lucene engine). Field-name
patterns (``process.*:x``) are expanded against the fields of the index, which here are the
schema's fields plus the event's own, so such queries are translated per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from converter.engines import dsl, dsl_eval
from converter.engines.base import CompiledQuery, Engine, Event, OpenPoint
from converter.engines.kql import ast
from converter.engines.kql.openpoints import ALL
from converter.engines.kql.parser import parse
from converter.engines.kql.translate import Context, translate
from converter.schema.model import Schema


def has_field_pattern(node: ast.Node) -> bool:
    if isinstance(node, (ast.And, ast.Or)):
        return any(has_field_pattern(c) for c in node.children)
    if isinstance(node, (ast.Not, ast.Nested)):
        inner = isinstance(node, ast.Nested) and isinstance(node.path, ast.Pattern)
        return inner or has_field_pattern(node.child)
    return isinstance(node.field, ast.Pattern)


@dataclass
class KqlQuery(CompiledQuery):
    tree: ast.Node | None = None
    schema: Schema | None = None
    data_view: bool = False
    query_dsl: dsl.Query | None = None  # None: depends on the event's fields (field-name patterns)
    _per_event: dict[frozenset[str], dsl.Query] = field(default_factory=dict, repr=False)

    def to_dsl(self, event: Event) -> dsl.Query:
        if self.query_dsl is not None:
            return self.query_dsl
        assert self.tree is not None and self.schema is not None
        names = frozenset(self.schema.names()) | frozenset(event)
        if names not in self._per_event:
            ctx = Context(self.schema, self.data_view, names, self.assumptions)
            query = translate(self.tree, ctx)
            self.assumptions |= dsl_eval.assumptions(query, self.schema)
            self._per_event[names] = query
        return self._per_event[names]

    def matches(self, event: Event) -> bool:
        assert self.schema is not None
        return dsl_eval.evaluate(self.to_dsl(event), event, self.schema)


class KqlEngine(Engine):
    """Kibana Query Language; ``data_view=False`` (default) models detection rules."""

    key: ClassVar[str] = "kql"
    language: ClassVar[str] = "Kibana Query Language (KQL)"
    open_points: ClassVar[tuple[OpenPoint, ...]] = ALL + dsl_eval.OPEN_POINTS

    def __init__(self, schema: Schema | None = None, data_view: bool = False) -> None:
        super().__init__(schema)
        self.data_view = data_view

    def compile(self, query: str) -> KqlQuery:
        tree = parse(query)
        compiled = KqlQuery(query, tree=tree, schema=self.schema, data_view=self.data_view)
        # Translate once now: it raises QueryRejected where Elasticsearch would fail the search.
        ctx = Context(self.schema, self.data_view, self.schema.names(), compiled.assumptions)
        translated = translate(tree, ctx)
        dsl_eval.validate(translated, self.schema)
        compiled.assumptions |= dsl_eval.assumptions(translated, self.schema)
        if not has_field_pattern(tree):
            compiled.query_dsl = translated
        return compiled
