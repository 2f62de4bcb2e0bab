"""A small model of the Elasticsearch Query DSL that Lucene query_string and KQL compile to.

Kibana turns KQL into Query DSL (term, wildcard, match, match_phrase, query_string, range, exists,
bool), and query_string is parsed by Elasticsearch into the same Lucene queries; both are
modelled by translating into these nodes, which converter.engines.dsl_eval evaluates against an
event under a Schema (the field's mapping type, normalizer and analyzer decide the answer).
Field names are concrete (no field wildcards); a field-less search is ``AllFields``.
"""

from __future__ import annotations

from dataclasses import dataclass

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Term:
    """``term``: the exact indexed term (keyword: the whole value; text: one token)."""

    field: str
    value: Scalar
    case_insensitive: bool = False


@dataclass(frozen=True)
class Wildcard:
    """``wildcard``: ``*`` any run, ``?`` one character, ``\\`` escapes; over the whole term."""

    field: str
    pattern: str
    case_insensitive: bool = False


@dataclass(frozen=True)
class Prefix:
    field: str
    value: str
    case_insensitive: bool = False


@dataclass(frozen=True)
class Regexp:
    """``regexp``: Lucene RegExp syntax (not PCRE), anchored to the whole term."""

    field: str
    pattern: str
    case_insensitive: bool = False


@dataclass(frozen=True)
class Match:
    """``match``: the text is analysed with the field's analyzer; any token matches (OR)."""

    field: str
    text: Scalar


@dataclass(frozen=True)
class MatchPhrase:
    """``match_phrase``: the analysed tokens in order, adjacent."""

    field: str
    text: str


@dataclass(frozen=True)
class Range:
    field: str
    gt: Scalar | None = None
    gte: Scalar | None = None
    lt: Scalar | None = None
    lte: Scalar | None = None


@dataclass(frozen=True)
class Exists:
    field: str


@dataclass(frozen=True)
class AllFields:
    """A field-less search: ``query`` with field name ``*`` tried on every field of the event

    (query_string with default_field ``*``, KQL/multi_match without a field).
    """

    query: Query


@dataclass(frozen=True)
class Bool:
    must: tuple[Query, ...] = ()
    should: tuple[Query, ...] = ()
    must_not: tuple[Query, ...] = ()
    # None: Elasticsearch's default (1 if there is no must clause, else 0)
    minimum_should_match: int | None = None


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class MatchNone:
    pass


Query = (
    Term
    | Wildcard
    | Prefix
    | Regexp
    | Match
    | MatchPhrase
    | Range
    | Exists
    | AllFields
    | Bool
    | MatchAll
    | MatchNone
)
