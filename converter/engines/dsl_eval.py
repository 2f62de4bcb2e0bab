"""Evaluate the Query DSL model (converter.engines.dsl) against one event, as Elasticsearch would.

The Lucene query_string and KQL engine models translate their query text into dsl nodes and call
``evaluate(query, event, schema)``; what a leaf means depends on the mapping of its field
(``schema.field(name)``: type, normalizer, ignore_above, analyzer), see dsl_leaves. This module
adds the compound semantics: ``bool`` (must / should / must_not, minimum_should_match defaults),
multi-valued and missing fields, and field-less searches (``AllFields`` / field ``"*"``), which
query_string with ``default_field: *`` runs leniently over every field.

``validate`` raises QueryRejected for what Elasticsearch refuses (type errors, invalid regexps);
``assumptions`` lists the keys of the OPEN_POINTS a query's answers depend on.
Every rule is cited in docs/engines.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from converter.engines import analysis, dsl
from converter.engines import dsl_leaves as leaves
from converter.engines import dsl_values as values
from converter.engines.base import Event, OpenPoint, QueryRejected
from converter.schema.model import FieldSpec, Schema

ALL = "*"

OPEN_POINT_DEFAULT_FIELD = OpenPoint(
    "dsl.default_field",
    "A field-less search (default_field '*') is tried on every field of the event and the "
    "multi-fields of those fields; an index whose index.query.default_field setting lists "
    "fewer fields (the Beats/Agent templates set one) searches only those.",
)
OPEN_POINT_MALFORMED = OpenPoint(
    "dsl.malformed_value",
    "An event value that a numeric, ip, date or boolean field cannot parse is treated as not "
    "indexed (as with ignore_malformed: true); without ignore_malformed Elasticsearch rejects "
    "the whole document at index time, so no query would return it.",
)
OPEN_POINT_TOKENIZER = OpenPoint(
    "dsl.standard_tokenizer",
    "The standard tokenizer is modelled by the UAX #29 word rules for Latin-script text "
    "(letters, digits, '_', mid-word '.', ':', apostrophes, digit separators); ideographs, "
    "Southeast Asian scripts and emoji are approximated.",
)
OPEN_POINT_UNKNOWN_ANALYSIS = OpenPoint(
    "dsl.unknown_analysis",
    "A custom normalizer the model does not know is taken to lowercase (what Elastic's "
    ".caseless multi-fields use); a custom analyzer it does not know is taken to be standard.",
)
OPEN_POINT_CONSTANT_KEYWORD = OpenPoint(
    "dsl.constant_keyword",
    "A constant_keyword field takes its value from the mapping for every document; the model "
    "uses the event's value instead (an event without it does not match).",
)
OPEN_POINTS: tuple[OpenPoint, ...] = (
    OPEN_POINT_DEFAULT_FIELD,
    OPEN_POINT_MALFORMED,
    OPEN_POINT_TOKENIZER,
    OPEN_POINT_UNKNOWN_ANALYSIS,
    OPEN_POINT_CONSTANT_KEYWORD,
)

FIELD_LEAVES = (
    dsl.Term,
    dsl.Wildcard,
    dsl.Prefix,
    dsl.Regexp,
    dsl.Match,
    dsl.MatchPhrase,
    dsl.Range,
    dsl.Exists,
)


def evaluate(query: dsl.Query, event: Event, schema: Schema) -> bool:
    """True when Elasticsearch would return ``event`` for ``query`` on an index with ``schema``.

    Raises QueryRejected where Elasticsearch refuses the query (see ``validate``).
    """
    return _Evaluation(event, schema).run(query, lenient=False)


def validate(query: dsl.Query, schema: Schema) -> None:
    """Raise QueryRejected where Elasticsearch would refuse ``query`` (whatever the event)."""
    for node, lenient in _leaves(query, lenient=False):
        if lenient or node.field == ALL or isinstance(node, dsl.Exists):
            continue
        try:
            leaves.compile_leaf(node, schema.field(node.field))
        except values.InputError as e:
            raise QueryRejected(f"failed to create query: {e}") from e


def assumptions(query: dsl.Query, schema: Schema) -> set[str]:
    """Keys of the open points that answers to ``query`` depend on."""
    found: set[str] = set()
    for node, _ in _leaves(query, lenient=False):
        if node.field == ALL:
            found |= {OPEN_POINT_DEFAULT_FIELD.key, OPEN_POINT_TOKENIZER.key}
            found.add(OPEN_POINT_MALFORMED.key)
        else:
            found |= _field_assumptions(schema.field(node.field))
    return found


def _field_assumptions(spec: FieldSpec) -> set[str]:
    kind = values.family(spec)
    found = set()
    if kind == "text":
        found.add(OPEN_POINT_TOKENIZER.key)
        if not analysis.known_analyzer(spec.analyzer):
            found.add(OPEN_POINT_UNKNOWN_ANALYSIS.key)
    if kind == "keyword" and spec.normalizer and not analysis.known_normalizer(spec.normalizer):
        found.add(OPEN_POINT_UNKNOWN_ANALYSIS.key)
    if kind in ("numeric", "ip", "date", "boolean"):
        found.add(OPEN_POINT_MALFORMED.key)
    if spec.type == "constant_keyword":
        found.add(OPEN_POINT_CONSTANT_KEYWORD.key)
    return found


FieldLeaf = leaves.Leaf | dsl.Exists


def _leaves(query: dsl.Query, lenient: bool) -> Iterator[tuple[FieldLeaf, bool]]:
    if isinstance(query, FIELD_LEAVES):
        yield query, lenient
    elif isinstance(query, dsl.AllFields):
        yield from _leaves(query.query, lenient=True)
    elif isinstance(query, dsl.Bool):
        for clause in (*query.must, *query.should, *query.must_not):
            yield from _leaves(clause, lenient)


class _Evaluation:
    """One event under one schema."""

    def __init__(self, event: Event, schema: Schema) -> None:
        self.fields = values.flatten(event)
        self.schema = schema

    def run(self, query: dsl.Query, lenient: bool) -> bool:
        if isinstance(query, FIELD_LEAVES):
            return self.leaf(query, lenient)
        if isinstance(query, dsl.Bool):
            return self.boolean(query, lenient)
        if isinstance(query, dsl.AllFields):
            # query_string with default_field "*" is lenient unless told otherwise.
            return self.run(query.query, lenient=True)
        return isinstance(query, dsl.MatchAll)

    def boolean(self, query: dsl.Bool, lenient: bool) -> bool:
        if not all(self.run(q, lenient) for q in query.must):
            return False
        if any(self.run(q, lenient) for q in query.must_not):
            return False
        needed = _minimum_should_match(query)
        if needed <= 0:
            return True
        hits = 0
        for clause in query.should:
            hits += self.run(clause, lenient)
            if hits >= needed:
                return True
        return False

    def leaf(self, node: FieldLeaf, lenient: bool) -> bool:
        if node.field == ALL:
            return any(self.on_field(node, name, True) for name in self.all_fields())
        return self.on_field(node, node.field, lenient)

    def on_field(self, node: FieldLeaf, name: str, lenient: bool) -> bool:
        spec = self.schema.field(name)
        raw = values.scalars(self.value(name))
        if isinstance(node, dsl.Exists):
            return leaves.exists(spec, raw)
        try:
            predicate = leaves.compile_leaf(_bind(node, name), spec)
        except values.InputError as e:
            if lenient:
                return False  # lenient: a format error on one field matches nothing there
            raise QueryRejected(f"failed to create query: {e}") from e
        return bool(raw) and predicate(raw)

    def value(self, name: str) -> Any:
        """The event's value of ``name``; a known multi-field takes its parent's value."""
        if name in self.fields:
            return self.fields[name]
        parent = name.rpartition(".")[0]
        while parent and self.schema.has(name):
            if parent in self.fields:
                return self.fields[parent]
            parent = parent.rpartition(".")[0]
        return None

    def all_fields(self) -> list[str]:
        """Fields ``*`` covers: the event's (not metadata ``_*``) and their multi-fields."""
        names = [n for n in self.fields if not n.startswith("_")]
        extra = _multi_fields(self.schema)
        return names + [m for n in names for m in extra.get(n, ())]


def _minimum_should_match(query: dsl.Bool) -> int:
    """Default: 1 when the bool has should clauses and no must clause, else 0 (bool docs)."""
    total = len(query.should)
    if query.minimum_should_match is None:
        return 1 if total and not query.must else 0
    wanted = query.minimum_should_match
    return total + wanted if wanted < 0 else wanted


def _bind(node: FieldLeaf, name: str) -> leaves.Leaf:
    """The leaf with its field replaced (for ``*``); a frozen dataclass, so rebuild it."""
    assert not isinstance(node, dsl.Exists)
    if node.field == name:
        return node
    fields = {k: getattr(node, k) for k in node.__dataclass_fields__}
    fields["field"] = name
    return type(node)(**fields)


@lru_cache(maxsize=16)
def _multi_fields(schema: Schema) -> dict[str, tuple[str, ...]]:
    """parent field -> schema fields directly under it (multi-fields such as ``.caseless``)."""
    found: dict[str, list[str]] = {}
    # The parent need not be in the schema (ECS lists some .caseless fields without theirs);
    # an event value that is a scalar cannot have object sub-fields, so these are multi-fields.
    for name in schema.names():
        parent = name.rpartition(".")[0]
        if parent:
            found.setdefault(parent, []).append(name)
    return {k: tuple(v) for k, v in found.items()}
