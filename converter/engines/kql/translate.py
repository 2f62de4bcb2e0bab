"""KQL syntax tree -> Query DSL nodes, as Kibana's kuery functions build them.

Sources (elastic/kibana src/platform/packages/shared/kbn-es-query/src/kuery/): functions/is.ts,
range.ts, not.ts, and.ts, or.ts, nested.ts, utils/get_fields.ts, node_types/wildcard.ts. What the
query becomes depends on the fields Kibana knows (its data view):

* ``rule`` context (Elastic Security detection rules): the rule executor passes a data view with
  ``fields: []`` (security_solution detection_engine ``getQueryFilter``), so every field is sent
  as written, with no type: literals become ``match``/``match_phrase``, wildcards
  ``query_string``. This is the default.
* ``data_view`` context (Discover, dashboards, saved searches): the field's type from the schema;
  a keyword-only field gets ``term`` and ``wildcard``, a date field ``range gte=lte``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from converter.engines import dsl
from converter.engines.base import QueryRejected
from converter.engines.kql import ast, query_string
from converter.engines.kql.openpoints import FIELD_PATTERN_MATCH, NESTED, NULL_VALUE
from converter.schema.model import FieldSpec, Schema

# Types Elasticsearch runs wildcard/prefix queries on; others fail the search ("Can only use
# wildcard queries on keyword and text fields").
_PATTERN_TYPES = frozenset({"keyword", "constant_keyword", "wildcard", "text", "match_only_text"})


@dataclass
class Context:
    schema: Schema
    data_view: bool
    names: Collection[str]  # fields of the index, for field-name patterns
    assumptions: set[str] = field(default_factory=set)
    nested: str | None = None


@dataclass(frozen=True)
class _Field:
    name: str
    spec: FieldSpec | None  # None: Kibana does not know the type (sent as written)
    pattern: bool = False  # a field-name pattern sent as written (Elasticsearch expands it)


def translate(node: ast.Node, ctx: Context) -> dsl.Query:
    if isinstance(node, ast.Or):
        return dsl.Bool(should=_all(node.children, ctx), minimum_should_match=1)
    if isinstance(node, ast.And):
        return dsl.Bool(must=_all(node.children, ctx))  # Kibana: bool.filter, same matches
    if isinstance(node, ast.Not):
        return dsl.Bool(must_not=(translate(node.child, ctx),))
    if isinstance(node, ast.Nested):
        return _nested(node, ctx)
    if isinstance(node, ast.RangeOp):
        return _range(node, ctx)
    return _is(node, ctx)


def _all(nodes: tuple[ast.Node, ...], ctx: Context) -> tuple[dsl.Query, ...]:
    return tuple(translate(n, ctx) for n in nodes)


def _nested(node: ast.Nested, ctx: Context) -> dsl.Query:
    """nested.ts: the child's fields get the path prefix; a flat event has no nested objects."""
    ctx.assumptions.add(NESTED.key)
    path = _text(node.path)
    full = f"{ctx.nested}.{path}" if ctx.nested else path
    return translate(node.child, replace(ctx, nested=full))


def _text(value: ast.Value) -> str:
    if isinstance(value, ast.Pattern):
        return "*".join(value.parts)
    return "true" if value.value is True else "false" if value.value is False else str(value.value)


def _one_of(queries: list[dsl.Query]) -> dsl.Query:
    """is.ts/range.ts wrap the per-field queries in bool.should, minimum_should_match 1."""
    if len(queries) == 1:
        return queries[0]
    return dsl.Bool(should=tuple(queries), minimum_should_match=1)


def _fields(value: ast.Value, ctx: Context) -> list[_Field]:
    """get_fields.ts + is.ts: the data view's matching fields, else the name as written."""
    name = _text(value)
    if ctx.nested:
        name = f"{ctx.nested}.{name}"
    if isinstance(value, ast.Literal):
        return [_Field(name, ctx.schema.field(name) if ctx.data_view else None)]
    if ctx.data_view:
        found = [n for n in sorted(ctx.names) if _name_matches(name, n)]
        if found:
            return [_Field(n, ctx.schema.field(n)) for n in found]
    return [_Field(name, None, pattern=True)]


def _name_matches(pattern: str, name: str) -> bool:
    # wildcard.ts test: `*` is any run (also over dots); nothing else is special
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]").replace("?", "[?]"))


def _expand(f: _Field, ctx: Context) -> list[str]:
    """Elasticsearch's own expansion of a field pattern (exists, query_string)."""
    if not f.pattern:
        return [f.name]
    return [n for n in sorted(ctx.names) if _name_matches(f.name, n)]


def _range(node: ast.RangeOp, ctx: Context) -> dsl.Query:
    bound = _text(node.value) if isinstance(node.value, ast.Pattern) else node.value.value
    if bound is None:
        ctx.assumptions.add(NULL_VALUE.key)
    queries: list[dsl.Query] = []
    for f in _fields(node.field, ctx):
        if f.pattern:  # a range query on a name that is no field finds nothing
            ctx.assumptions.add(FIELD_PATTERN_MATCH.key)
            queries.append(dsl.MatchNone())
        else:
            queries.append(dsl.Range(f.name, **{node.operator: bound}))
    return _one_of(queries)


def _is(node: ast.Is, ctx: Context) -> dsl.Query:
    value, fld = node.value, node.field
    lone_value = isinstance(value, ast.Pattern) and value.is_lone_wildcard
    if lone_value and isinstance(fld, ast.Pattern) and fld.is_lone_wildcard:
        return dsl.MatchAll()
    if isinstance(fld, ast.Literal) and fld.value is None:
        return _all_fields(value, ctx)
    return _one_of([_field_query(f, value, ctx) for f in _fields(fld, ctx)])


def _all_fields(value: ast.Value, ctx: Context) -> dsl.Query:
    """No field: query_string (wildcards) or lenient multi_match over index.query.default_field,
    whose default ``*`` is every field."""
    if isinstance(value, ast.Pattern):
        query = query_string.parse("*", query_string.to_query_string(value.parts))
        return query if isinstance(query, dsl.MatchAll) else dsl.AllFields(query)
    scalar = _scalar(value, ctx)
    if value.quoted:
        return dsl.AllFields(dsl.MatchPhrase("*", str(scalar)))
    return dsl.AllFields(dsl.Match("*", scalar))


def _scalar(value: ast.Literal, ctx: Context) -> dsl.Scalar:
    if value.value is None:
        # `f:null` sends {"match": {"f": null}}: Elasticsearch refuses a query without a value
        ctx.assumptions.add(NULL_VALUE.key)
        raise QueryRejected("KQL null value: Elasticsearch refuses a match/term without a value")
    return value.value


def _field_query(f: _Field, value: ast.Value, ctx: Context) -> dsl.Query:
    if isinstance(value, ast.Pattern):
        if value.is_lone_wildcard:
            return _one_of([dsl.Exists(n) for n in _expand(f, ctx)] or [dsl.MatchNone()])
        return _pattern_query(f, value, ctx)
    scalar = _scalar(value, ctx)
    if f.pattern:  # match/match_phrase do not expand field-name patterns
        ctx.assumptions.add(FIELD_PATTERN_MATCH.key)
        return dsl.MatchNone()
    if f.spec is not None and f.spec.type == "date":
        return dsl.Range(f.name, gte=scalar, lte=scalar)
    if _keyword_only(f):
        return dsl.Term(f.name, scalar)
    return dsl.MatchPhrase(f.name, str(scalar)) if value.quoted else dsl.Match(f.name, scalar)


def _keyword_only(f: _Field) -> bool:
    # is.ts: field.esTypes is exactly ['keyword']
    return f.spec is not None and f.spec.type == "keyword"


def _pattern_query(f: _Field, value: ast.Pattern, ctx: Context) -> dsl.Query:
    escaped = query_string.to_query_string(value.parts)
    if _keyword_only(f):
        return dsl.Wildcard(f.name, escaped)
    names = _expand(f, ctx)
    for name in names:
        _check_pattern_type(name, ctx.schema)
    return _one_of([query_string.parse(n, escaped) for n in names] or [dsl.MatchNone()])


def _check_pattern_type(name: str, schema: Schema) -> None:
    spec = schema.field(name)
    if schema.has(name) and spec.type not in _PATTERN_TYPES:
        raise QueryRejected(
            f"{name} is {spec.type}: Elasticsearch runs wildcard queries only on keyword and "
            "text fields, so the KQL wildcard fails the search"
        )
