"""What Elasticsearch makes of each query_string leaf, by the field's mapping type.

This is the model of org.elasticsearch.index.search.QueryStringQueryParser (elastic/elasticsearch,
server/src/main/java/org/elasticsearch/index/search/QueryStringQueryParser.java) and the field
types it calls (StringFieldType, KeywordFieldMapper.KeywordFieldType):

* a plain term is analysed like a ``match`` query: one normalised term on keyword fields, analysed
  tokens (any of them) on text fields, a parsed value on numeric, ip (CIDR allowed) and boolean;
* a quoted phrase is a phrase on text fields and a single term elsewhere, wildcards literal;
* ``*``/``?`` terms go to ``normalizedWildcardQuery`` (the field's normalizer or the text
  analyzer's normalisation is applied between the wildcards), ``x*`` to a prefix query whose text
  is normalised, ``/re/`` to a regexp query whose pattern is normalised on keyword fields only
  (``indexedValueForSearch``) and left alone on text fields;
* ``f:*`` is ``exists`` and ``*`` over all fields is match_all; ``_exists_:f`` is ``exists``;
* with the default ``default_field`` ``*`` the parser is lenient, so a value the field type cannot
  take (text on a long field, a wildcard on an ip field, a bad regexp) matches nothing instead of
  failing the query.

Queries on the default field ``*`` or on a field-name pattern (``zeek.\\*.path``, Regex.simpleMatch)
are kept as ``AllFields`` templates whose inner node carries the raw text and the pattern as its
field; ``concretize`` builds the per-field query for each matching event field at evaluation.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import replace

from converter.engines.analysis import lowercase
from converter.engines.base import QueryRejected
from converter.engines.dsl import (
    AllFields,
    Bool,
    Exists,
    Match,
    MatchAll,
    MatchNone,
    MatchPhrase,
    Prefix,
    Query,
    Range,
    Regexp,
    Scalar,
    Term,
    Wildcard,
)
from converter.engines.lucene.errors import ModelLimit
from converter.engines.lucene.parser import MUST, MUST_NOT, SHOULD, Clause
from converter.schema.model import FieldSpec, Schema

ALL = "*"
EXISTS_FIELD = "_exists_"
MAX_REGEX_LENGTH = 1000  # index.max_regex_length default (IndexSettings.MAX_REGEX_LENGTH_SETTING)

# Open-point keys (declared in engine.py, documented in docs/engines.md).
ANALYZE_WILDCARD = "lucene.analyze-wildcard"
DATE_FIELDS = "lucene.date-fields"

# The leaf kinds a ``*``/pattern template can be (each carries a field to replace).
Template = Match | MatchPhrase | Wildcard | Prefix | Regexp | Range

_WILDCARD_PARTS = re.compile(r"(\\.)|([?*]+)", re.DOTALL)  # StringFieldType.WILDCARD_PATTERN
_DATE_LIKE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?([T ].*)?$")


class EsBuilder:
    """The ``Builder`` the parser calls; collects the open points a query depends on."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.assumptions: set[str] = set()

    # -- leaves (parser.Builder) ---------------------------------------------------------
    def field_query(self, field: str, text: str) -> Query | None:
        if field == EXISTS_FIELD:
            return Exists(text)
        bounds = _angle_range(text)  # ``f:>=5``: a range, even when written ``f:\>=5``
        if bounds is not None:
            return self.range(field, *bounds)
        return self._leaf(field, Match(ALL, text))

    def phrase(self, field: str, text: str, slop: int) -> Query | None:
        if field == EXISTS_FIELD:
            return Exists(text)
        if slop:
            raise ModelLimit(f"phrase slop ~{slop} is not modelled")
        return self._leaf(field, MatchPhrase(ALL, text))

    def wildcard(self, field: str, pattern: str) -> Query | None:
        if pattern == "*" and field == ALL:
            return MatchAll()
        return self._leaf(field, Wildcard(ALL, pattern))

    def prefix(self, field: str, text: str) -> Query | None:
        return self._leaf(field, Prefix(ALL, text))

    def regexp(self, field: str, pattern: str) -> Query | None:
        if len(pattern) > MAX_REGEX_LENGTH:  # checked before leniency applies: a hard error
            raise QueryRejected(f"regex length {len(pattern)} exceeds {MAX_REGEX_LENGTH}")
        return self._leaf(field, Regexp(ALL, pattern))

    def fuzzy(self, field: str, text: str, slop: str) -> Query | None:
        raise ModelLimit(f"fuzzy query {text}{slop} is not modelled")

    def range(
        self, field: str, low: str | None, high: str | None, inc_low: bool, inc_high: bool
    ) -> Query | None:
        low = None if low == "*" else low
        high = None if high == "*" else high
        return self._leaf(field, _range_node(ALL, low, high, inc_low, inc_high))

    def boolean(self, clauses: list[Clause]) -> Query | None:
        """getBooleanQuery + Queries.fixNegativeQueryIfNeeded (pure negations get match_all)."""
        if not clauses:
            return None
        must = tuple(q for occur, q in clauses if occur == MUST)
        should = tuple(q for occur, q in clauses if occur == SHOULD)
        must_not = tuple(q for occur, q in clauses if occur == MUST_NOT)
        if not must and not should:
            must = (MatchAll(),)
        return Bool(must=must, should=should, must_not=must_not)

    # -- per-field translation -----------------------------------------------------------
    def _leaf(self, field: str, template: Template) -> Query:
        """A concrete field's query, or an ``AllFields`` template for ``*`` and name patterns."""
        if "*" in field:  # AllFields: dsl_eval runs "*" leniently; patterns expand in engine.py
            self._note_all_fields(template)
            return AllFields(replace(template, field=field))
        return self.concretize(template, field)

    def _note_all_fields(self, template: Template) -> None:
        if isinstance(template, Prefix):
            self.assumptions.add(ANALYZE_WILDCARD)  # some text field may be searched

    def concretize(self, template: Query, field: str) -> Query:
        """The query a template becomes on one concrete field (lenient: bad input, no match)."""
        spec = self.schema.field(field)
        for kind, build in _BUILDERS:
            if isinstance(template, kind):
                return _lenient(build(self, spec, template), spec)
        raise AssertionError(f"not a leaf template: {template!r}")

    def normalize(self, spec: FieldSpec, text: str) -> str:
        """The normalisation a field applies to query input (Analyzer.normalize)."""
        if spec.is_text:  # standard and pattern analyzers: the lowercase filter
            return lowercase(text)
        if spec.is_keyword and spec.normalizer == "lowercase":
            return lowercase(text)
        # Other normalizers are left to the DSL model (its open point dsl.unknown_analysis).
        return text

    def _match(self, spec: FieldSpec, node: Match) -> Query:
        text = str(node.text)
        if spec.is_text:
            return Match(spec.name, text)
        return self._exact(spec, text)

    def _phrase(self, spec: FieldSpec, node: MatchPhrase) -> Query:
        if spec.is_text:
            return MatchPhrase(spec.name, node.text)
        return self._exact(spec, node.text)  # not tokenized: the phrase is one term

    def _exact(self, spec: FieldSpec, text: str) -> Query:
        if spec.is_keyword:
            return Term(spec.name, self.normalize(spec, text))
        value = self._typed_value(spec, text)
        return MatchNone() if value is None else Term(spec.name, value)

    def _typed_value(self, spec: FieldSpec, text: str) -> Scalar | None:
        """The value a non-string field accepts, or None (lenient: the clause matches nothing)."""
        if spec.is_numeric:
            return _number(text, spec.type)
        if spec.type == "ip":
            return text if _ip_or_cidr(text) else None
        if spec.type == "boolean":
            return {"true": True, "false": False}.get(text)
        if spec.type in ("date", "date_nanos"):
            self.assumptions.add(DATE_FIELDS)
            return text if _DATE_LIKE.match(text) else None
        return None  # object, binary, ...: not searchable by term

    def _wildcard(self, spec: FieldSpec, node: Wildcard) -> Query:
        if node.pattern == "*":
            return Exists(spec.name)  # getWildcardQuery: "effectively, we check if a field exists"
        if not (spec.is_keyword or spec.is_text):
            return MatchNone()  # "Can only use wildcard queries on keyword, text and wildcard"
        return Wildcard(spec.name, self._normalize_pattern(spec, node.pattern))

    def _normalize_pattern(self, spec: FieldSpec, pattern: str) -> str:
        """StringFieldType.normalizeWildcardPattern: escapes and wildcards stay as written."""
        out, last = [], 0
        for m in _WILDCARD_PARTS.finditer(pattern):
            out += [self.normalize(spec, pattern[last : m.start()]), m.group()]
            last = m.end()
        out.append(self.normalize(spec, pattern[last:]))
        return "".join(out)

    def _prefix(self, spec: FieldSpec, node: Prefix) -> Query:
        if not (spec.is_keyword or spec.is_text):
            return MatchNone()
        if spec.is_text:
            self.assumptions.add(ANALYZE_WILDCARD)
        return Prefix(spec.name, self.normalize(spec, node.value))

    def _regexp(self, spec: FieldSpec, node: Regexp) -> Query:
        if not (spec.is_keyword or spec.is_text):
            return MatchNone()
        # keyword: indexedValueForSearch normalises the whole pattern; text: left as written
        pattern = node.pattern if spec.is_text else self.normalize(spec, node.pattern)
        return Regexp(spec.name, pattern)

    def _range(self, spec: FieldSpec, node: Range) -> Query:
        bounds = [node.gt, node.gte, node.lt, node.lte]
        converted = [None if b is None else self._bound(spec, str(b)) for b in bounds]
        if any(b is not None and c is None for b, c in zip(bounds, converted, strict=True)):
            return MatchNone()
        gt, gte, lt, lte = converted
        return Range(spec.name, gt=gt, gte=gte, lt=lt, lte=lte)

    def _bound(self, spec: FieldSpec, text: str) -> Scalar | None:
        if spec.is_keyword or spec.is_text:
            return self.normalize(spec, text)
        if spec.type == "ip":
            return text if _ip_or_cidr(text, cidr=False) else None
        return self._typed_value(spec, text)


_BUILDERS: tuple[tuple[type, Callable[..., Query]], ...] = (
    (Match, EsBuilder._match),
    (MatchPhrase, EsBuilder._phrase),
    (Wildcard, EsBuilder._wildcard),
    (Prefix, EsBuilder._prefix),
    (Regexp, EsBuilder._regexp),
    (Range, EsBuilder._range),
)


def _lenient(query: Query, spec: FieldSpec) -> Query:
    """QueryStringQueryParser catches a field type's error when lenient: the leaf matches nothing.

    The errors are the DSL model's (dsl_leaves.compile_leaf: bad regexp, unparsable number, ...).
    """
    from converter.engines import dsl_leaves, dsl_values

    if isinstance(query, (MatchAll, MatchNone, Exists, Bool, AllFields)):
        return query
    try:
        dsl_leaves.compile_leaf(query, spec)
    except dsl_values.InputError:
        return MatchNone()
    return query


def _angle_range(text: str) -> tuple[str | None, str | None, bool, bool] | None:
    """QueryStringQueryParser.getFieldQuery: ``>x``, ``>=x``, ``<x``, ``<=x`` are ranges."""
    if len(text) <= 1 or text[0] not in "<>":
        return None
    inclusive = len(text) > 2 and text[1] == "="
    rest = text[2:] if inclusive else text[1:]
    if text[0] == ">":
        return (rest, None, inclusive, True)
    return (None, rest, True, inclusive)


def _range_node(
    field: str, low: str | None, high: str | None, inc_low: bool, inc_high: bool
) -> Range:
    return Range(
        field,
        gt=low if not inc_low else None,
        gte=low if inc_low else None,
        lt=high if not inc_high else None,
        lte=high if inc_high else None,
    )


def _number(text: str, type_: str) -> int | float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if type_ in ("float", "double", "half_float", "scaled_float"):
        return value
    # integer types: a decimal part matches nothing (NumberFieldMapper term query)
    return int(value) if value.is_integer() else None


def _ip_or_cidr(text: str, cidr: bool = True) -> bool:
    try:
        if cidr and "/" in text:
            ipaddress.ip_network(text, strict=False)
        else:
            ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
