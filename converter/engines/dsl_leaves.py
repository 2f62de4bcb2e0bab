"""Leaf queries of the Query DSL model, compiled once per (query node, field mapping).

``compile_leaf`` turns a leaf (term, wildcard, prefix, regexp, match, match_phrase, range,
exists) and the FieldSpec of the field it runs on into a predicate over the field's raw event
values; it raises InputError where Elasticsearch would refuse the query for that field type
(e.g. a wildcard on a long field, ``"abc"`` as a long, an invalid regexp). Every rule is cited in
docs/engines.md; the citations in comments name the Elasticsearch method that decides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from converter.engines import analysis, dsl, lucene_regexp
from converter.engines import dsl_values as values
from converter.engines.dsl_values import InputError
from converter.schema.model import FieldSpec

Predicate = Callable[[list[Any]], bool]
StrTest = Callable[[str], bool]
Leaf = dsl.Term | dsl.Wildcard | dsl.Prefix | dsl.Regexp | dsl.Match | dsl.MatchPhrase | dsl.Range

STAR, ANY = object(), object()
# StringFieldType.normalizeWildcardPattern keeps escapes and wildcard runs as they are.
_WILDCARD_CHUNKS = re.compile(r"(\\.)|([?*]+)", re.DOTALL)


def alt_case(c: str) -> str:
    """AutomatonQueries.toCaseInsensitiveChar: the other case of one code point."""
    other = c.upper() if c.islower() else c.lower()
    return other if len(other) == 1 else c


def char_eq(case_insensitive: bool) -> Callable[[str, str], bool]:
    if case_insensitive:
        return lambda p, c: c == p or c == alt_case(p)
    return lambda p, c: c == p


def equals(query: str, case_insensitive: bool) -> StrTest:
    if not case_insensitive:
        return lambda term: term == query
    eq = char_eq(True)
    return lambda term: len(term) == len(query) and all(map(eq, query, term))


def wildcard_tokens(pattern: str) -> list[object]:
    """Lucene WildcardQuery: ``*`` any run, ``?`` one code point, ``\\`` escapes one."""
    tokens: list[object] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            tokens.append(pattern[i + 1])
            i += 2
            continue
        tokens.append(STAR if c == "*" else ANY if c == "?" else c)
        i += 1
    return tokens


def glob(pattern: str, case_insensitive: bool) -> StrTest:
    return _glob_regex(pattern, case_insensitive).fullmatch  # type: ignore[return-value]


@cache
def _glob_regex(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    """The wildcard automaton as a regex: ``*`` any run, ``?`` one code point, each literal
    code point itself or (case-insensitive) its other case, as char_eq decides."""
    parts = []
    for token in wildcard_tokens(pattern):
        if token is STAR:
            parts.append(".*")
        elif token is ANY:
            parts.append(".")
        else:
            char = str(token)
            other = alt_case(char) if case_insensitive else char
            parts.append(
                re.escape(char) if other == char else f"[{re.escape(char)}{re.escape(other)}]"
            )
    return re.compile("".join(parts), re.DOTALL)


def normalize_wildcard(pattern: str, normalize: Callable[[str], str]) -> str:
    """Normalise the literal chunks of a wildcard pattern, not ``*``/``?`` runs or escapes."""
    out, last = [], 0
    for m in _WILDCARD_CHUNKS.finditer(pattern):
        out += [normalize(pattern[last : m.start()]) if m.start() > last else "", m.group()]
        last = m.end()
    out.append(normalize(pattern[last:]) if last < len(pattern) else "")
    return "".join(out)


def string_terms(spec: FieldSpec, raw: list[Any]) -> list[str]:
    """Whole-value terms (keyword, wildcard) or all tokens (text) of a string field."""
    if values.family(spec) == "text":
        return [t for tokens in values.text_tokens(raw, spec) for t in tokens]
    return values.keyword_terms(raw, spec)


def search_normalizer(spec: FieldSpec) -> Callable[[str], str]:
    """indexedValueForSearch: a keyword field's normalizer applies to term-level input."""
    kind = values.family(spec)
    if kind == "keyword" and spec.normalizer:
        return lambda text: analysis.normalize(text, spec.normalizer)
    if kind == "text":
        # query_string normalises wildcard/prefix terms with the analyzer (Analyzer.normalize).
        return lambda text: analysis.analyzer_normalize(text, spec.analyzer)
    return lambda text: text


def on_terms(spec: FieldSpec, test: StrTest) -> Predicate:
    return lambda raw: any(test(term) for term in string_terms(spec, raw))


def require_string(spec: FieldSpec, query: str) -> None:
    if values.family(spec) not in ("keyword", "wildcard", "text"):
        raise InputError(
            f"Can only use {query} queries on keyword and text fields - not on [{spec.name}] "
            f"which is of type [{spec.type}]"
        )


@lru_cache(maxsize=8192)
def compile_leaf(node: Leaf, spec: FieldSpec) -> Predicate:
    """The predicate of one leaf on one field; InputError where Elasticsearch refuses it."""
    if isinstance(node, dsl.Term):
        return _term(spec, node.value, node.case_insensitive)
    if isinstance(node, dsl.Wildcard):
        return _wildcard(spec, node.pattern, node.case_insensitive)
    if isinstance(node, dsl.Prefix):
        escaped = re.sub(r"([\\*?])", r"\\\1", node.value)
        return _wildcard(spec, escaped + "*", node.case_insensitive, "prefix")
    if isinstance(node, dsl.Regexp):
        return _regexp(spec, node.pattern, node.case_insensitive)
    if isinstance(node, dsl.Match | dsl.MatchPhrase):
        return _match(spec, node.text, isinstance(node, dsl.MatchPhrase))
    return _range(spec, node)


def _term(spec: FieldSpec, value: dsl.Scalar, case_insensitive: bool) -> Predicate:
    kind = values.family(spec)
    if kind in ("keyword", "wildcard", "text"):
        # text: the term is not analysed, so it must equal one (lowercased) token.
        query = values.as_text(value)
        if kind == "keyword" and spec.normalizer:
            query = analysis.normalize(query, spec.normalizer)
        return on_terms(spec, equals(query, case_insensitive))
    if case_insensitive and kind != "boolean":  # MappedFieldType.termQueryCaseInsensitive
        raise InputError(f"[{spec.name}] of type [{spec.type}] does not support case insensitive")
    return _typed_term(spec, kind, value)


def _typed_term(spec: FieldSpec, kind: str, value: dsl.Scalar) -> Predicate:
    if kind == "ip" and "/" in values.as_text(value):
        network = values.parse_cidr(values.as_text(value))
        return lambda raw: any(v in network for v in values.typed_values(raw, spec))
    if kind == "numeric" and spec.type in values.INTEGER_TYPES:
        number = float(values.parse_number(value, _as_double(spec)))
        if not number.is_integer():
            return lambda raw: False  # NumberFieldMapper: a fractional long term matches nothing
    target = values.parse_typed(value, spec, kind)
    return lambda raw: any(v == target for v in values.typed_values(raw, spec))


def _as_double(spec: FieldSpec) -> FieldSpec:
    return FieldSpec(spec.name, "double")


def _wildcard(spec: FieldSpec, pattern: str, ci: bool, query: str = "wildcard") -> Predicate:
    require_string(spec, query)
    if values.family(spec) != "wildcard":
        pattern = normalize_wildcard(pattern, search_normalizer(spec))
    return on_terms(spec, glob(pattern, ci))


def _regexp(spec: FieldSpec, pattern: str, case_insensitive: bool) -> Predicate:
    require_string(spec, "regexp")
    if values.family(spec) == "keyword" and spec.normalizer:
        # KeywordFieldType.indexedValueForSearch normalises the whole pattern text.
        pattern = analysis.normalize(pattern, spec.normalizer)
    try:
        node = lucene_regexp.parse(pattern, case_insensitive)
    except lucene_regexp.RegexpSyntaxError as e:
        raise InputError(str(e)) from e
    return on_terms(spec, lambda term: lucene_regexp.fullmatch(node, term))


def _match(spec: FieldSpec, text: dsl.Scalar, phrase: bool) -> Predicate:
    if values.family(spec) != "text":
        return _term(spec, text, False)  # a non-tokenised field: one term (normalised)
    query = analysis.analyze(values.as_text(text), spec.analyzer)
    if not query:
        return lambda raw: False  # zero_terms_query: none
    if phrase:
        return lambda raw: any(_contains(t, query) for t in values.text_tokens(raw, spec))
    wanted = set(query)
    return lambda raw: any(wanted.intersection(t) for t in values.text_tokens(raw, spec))


def _contains(tokens: list[str], phrase: list[str]) -> bool:
    width = len(phrase)
    return any(tokens[i : i + width] == phrase for i in range(len(tokens) - width + 1))


def _range(spec: FieldSpec, node: dsl.Range) -> Predicate:
    kind = values.family(spec)
    if kind in ("keyword", "wildcard", "text"):
        norm = search_normalizer(spec) if kind == "keyword" else (lambda s: s)
        convert: Callable[[Any], Any] = lambda v: norm(values.as_text(v))  # noqa: E731
        get: Callable[[list[Any]], list[Any]] = lambda raw: string_terms(spec, raw)  # noqa: E731
    else:
        convert = lambda v: _range_bound(spec, kind, v)  # noqa: E731
        get = lambda raw: list(values.typed_values(raw, spec))  # noqa: E731
    bounds = [(op, convert(b)) for op, b in _bounds(node)]
    return lambda raw: any(all(_compare(v, op, b) for op, b in bounds) for v in get(raw))


def _range_bound(spec: FieldSpec, kind: str, value: dsl.Scalar) -> Any:
    if kind == "numeric":
        return values.parse_number(value, _as_double(spec))  # bounds are not truncated
    return values.parse_typed(value, spec, kind)


def _bounds(node: dsl.Range) -> list[tuple[str, dsl.Scalar]]:
    pairs = (("gt", node.gt), ("gte", node.gte), ("lt", node.lt), ("lte", node.lte))
    return [(op, b) for op, b in pairs if b is not None]


def _compare(value: Any, op: str, bound: Any) -> bool:
    if op == "gt":
        return bool(value > bound)
    if op == "gte":
        return bool(value >= bound)
    if op == "lt":
        return bool(value < bound)
    return bool(value <= bound)


def exists(spec: FieldSpec, raw: list[Any]) -> bool:
    """``exists``: an indexed value ("" counts; null, [], over-ignore_above do not)."""
    kind = values.family(spec)
    if kind in ("keyword", "wildcard"):
        return bool(values.keyword_terms(raw, spec))
    if kind == "text":
        return bool(raw)
    return any(True for _ in values.typed_values(raw, spec))
