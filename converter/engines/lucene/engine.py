"""The Lucene / Elasticsearch query_string engine model: parse, translate to Query DSL, evaluate.

Settings modelled are Elasticsearch's defaults for a ``query_string`` query without options
(QueryStringQueryBuilder): default_operator OR, default_field ``*`` (index.query.default_field),
hence lenient parsing, allow_leading_wildcard true, analyze_wildcard false, split on operators
only (Lucene's split_on_whitespace false). Evaluation hands the DSL tree to
converter.engines.dsl_eval, which runs field-less (``*``) parts leniently over the event's fields;
field-name patterns (``zeek.\\*.path``) are expanded here first, per matching event field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import ClassVar

from converter.engines import dsl_values
from converter.engines.base import CompiledQuery, Engine, Event, OpenPoint
from converter.engines.dsl import AllFields, Bool, MatchNone, Query
from converter.engines.lucene.builder import (
    ANALYZE_WILDCARD,
    DATE_FIELDS,
    EsBuilder,
)
from converter.engines.lucene.parser import Parser
from converter.schema.model import Schema


@dataclass
class LuceneQuery(CompiledQuery):
    """A parsed query_string: ``tree`` is the Query DSL Elasticsearch would build."""

    tree: Query = field(default_factory=MatchNone)
    builder: EsBuilder | None = None
    schema: Schema | None = None

    def matches(self, event: Event) -> bool:
        from converter.engines import dsl_eval

        assert self.builder is not None and self.schema is not None
        concrete = expand_field_patterns(self.tree, event, self.builder)
        return bool(dsl_eval.evaluate(concrete, event, self.schema))


class LuceneEngine(Engine):
    key = "lucene"
    language = "Elasticsearch query_string (Lucene syntax)"
    open_points: ClassVar[tuple[OpenPoint, ...]] = (
        OpenPoint(
            ANALYZE_WILDCARD,
            "prefix terms (x*) on text fields use Elasticsearch's default analyze_wildcard "
            "false (text only normalised); Kibana and Elastic Security send true (analysed)",
        ),
        OpenPoint(
            DATE_FIELDS,
            "terms and ranges on date fields are compared as written; date math, formats and "
            "time zones are not modelled",
        ),
    )

    def compile(self, query: str) -> LuceneQuery:
        builder = EsBuilder(self.schema)
        tree: Query | None = None
        if query.strip(" \t\n\r\x0b\x0c\x00"):  # ES: a blank query matches no documents
            tree = Parser(query, builder).parse()
        final = MatchNone() if tree is None else tree  # "No query left after rewrite"
        return LuceneQuery(
            text=query,
            assumptions=builder.assumptions | _dsl_assumptions(final, self.schema),
            tree=final,
            builder=builder,
            schema=self.schema,
        )


def expand_field_patterns(node: Query, event: Event, builder: EsBuilder) -> Query:
    """Replace ``AllFields`` over a name pattern by the OR of its per-field queries on ``event``.

    ``AllFields`` over ``*`` is left to dsl_eval, which owns the default-field semantics.
    """
    if isinstance(node, AllFields) and getattr(node.query, "field", "*") != "*":
        pattern = _field_pattern(node.query)
        names = [k for k in dsl_values.flatten(event) if pattern.fullmatch(k)]
        queries = tuple(builder.concretize(node.query, name) for name in names)
        return Bool(should=queries) if queries else MatchNone()
    if isinstance(node, Bool):
        return replace(
            node,
            must=tuple(expand_field_patterns(q, event, builder) for q in node.must),
            should=tuple(expand_field_patterns(q, event, builder) for q in node.should),
            must_not=tuple(expand_field_patterns(q, event, builder) for q in node.must_not),
        )
    return node


def _dsl_assumptions(tree: Query, schema: Schema) -> set[str]:
    """The DSL evaluator's open points this tree depends on (imported late: parallel module)."""
    from converter.engines import dsl_eval

    return dsl_eval.assumptions(tree, schema)


def _field_pattern(template: Query) -> re.Pattern[str]:
    """Elasticsearch's Regex.simpleMatch: ``*`` matches any run of characters, dots included."""
    name = str(getattr(template, "field", "*"))
    return re.compile(".*".join(re.escape(part) for part in name.split("*")), re.DOTALL)
