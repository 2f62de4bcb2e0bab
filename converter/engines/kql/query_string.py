"""The ``query_string`` queries Kibana builds for KQL wildcards, as Elasticsearch parses them.

Kibana sends a KQL wildcard value on a field that is not keyword-only (and on every field of a
detection rule) as ``{"query_string": {"fields": [field], "query": escaped}}``, where ``escaped``
is the value with the query_string reserved characters backslash-escaped but whitespace left
alone (node_types/wildcard.ts ``toQueryStringQuery``; SEMANTICS.md §4, trap T14). Elasticsearch
then parses it with Lucene's classic query parser (default_operator OR, analyze_wildcard false):

* unescaped whitespace separates clauses (Lucene classic ``_WHITESPACE``: space, tab, CR, LF,
  U+3000), so ``*foo bar*`` is ``*foo`` OR ``bar*``;
* the words ``AND``, ``OR``, ``NOT`` (upper case) are operators, combined by Lucene's
  ``addClause`` rules (SEMANTICS.md §3), and a purely negative query gets a match_all;
* a lone ``*`` is an exists query, ``abc*`` (one trailing ``*``) a prefix query with escapes
  removed, a term with another ``*`` a wildcard query with escapes kept, any other term is
  analysed like ``match``.
Sources: https://www.elastic.co/docs/reference/query-languages/query-dsl/query-dsl-query-string-query
(reserved characters, wildcards, boolean operators, default_operator).
"""

from __future__ import annotations

from dataclasses import dataclass

from converter.engines import dsl
from converter.engines.base import QueryRejected

# Characters Kibana escapes for query_string (wildcard.ts escapeQueryString).
RESERVED = frozenset('+-=&|><!(){}[]^"~*?:\\/')
_LUCENE_WHITESPACE = frozenset(" \t\n\r\u3000")
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def escape(text: str) -> str:
    """wildcard.ts escapeQueryString: a backslash before each reserved character."""
    return "".join("\\" + c if c in RESERVED else c for c in text)


def to_query_string(parts: tuple[str, ...]) -> str:
    """wildcard.ts toQueryStringQuery: escaped pieces joined by ``*``."""
    return "*".join(escape(p) for p in parts)


def split_terms(query: str) -> list[str]:
    """Whitespace-separated tokens; a backslash keeps the next character in the token."""
    terms: list[str] = []
    current: list[str] = []
    chars = iter(query)
    for c in chars:
        if c == "\\":
            current += [c, next(chars, "")]
        elif c in _LUCENE_WHITESPACE:
            if current:
                terms.append("".join(current))
            current = []
        else:
            current.append(c)
    if current:
        terms.append("".join(current))
    return terms


def _unescape(term: str) -> str:
    out, chars = [], iter(term)
    for c in chars:
        out.append(next(chars, "") if c == "\\" else c)
    return "".join(out)


def _wildcards(term: str) -> list[int]:
    """Positions of unescaped ``*`` and ``?``."""
    found, i = [], 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        if term[i] in "*?":
            found.append(i)
        i += 1
    return found


def term_query(field: str, term: str) -> dsl.Query:
    """One Lucene term on ``field`` (``*`` for every field) as Elasticsearch builds it."""
    stars = _wildcards(term)
    if term == "*":
        return dsl.MatchAll() if field == "*" else dsl.Exists(field)
    if stars == [len(term) - 1] and term.endswith("*"):
        return dsl.Prefix(field, _unescape(term[:-1]))
    if stars:
        return dsl.Wildcard(field, term)
    return dsl.Match(field, _unescape(term))


@dataclass
class _Clause:
    occur: str  # must, should, must_not
    query: dsl.Query


def _add_clause(clauses: list[_Clause], conj: str, mods: str, query: dsl.Query) -> None:
    """Lucene QueryParserBase.addClause with default operator OR."""
    if clauses and conj == "AND" and clauses[-1].occur != "must_not":
        clauses[-1].occur = "must"
    prohibited = mods == "NOT"
    required = conj == "AND" and not prohibited
    occur = "must_not" if prohibited else "must" if required else "should"
    clauses.append(_Clause(occur, query))


def _clauses(field: str, terms: list[str]) -> list[_Clause]:
    """Lucene classic ``Query := Modifiers Clause (Conjunction Modifiers Clause)*``."""
    clauses: list[_Clause] = []
    conj = mods = ""
    for term in terms:
        if term in ("AND", "OR") and clauses and not conj and not mods:
            conj = term
        elif term == "NOT" and not mods:
            mods = term
        elif term in _OPERATORS:
            raise QueryRejected(f"query_string parse error at {term!r} (query_string of KQL)")
        else:
            _add_clause(clauses, conj, mods, term_query(field, term))
            conj = mods = ""
    if conj or mods or not clauses:
        raise QueryRejected("query_string parse error: operator without a clause (KQL wildcard)")
    return clauses


def parse(field: str, query: str) -> dsl.Query:
    """The Query DSL tree Elasticsearch makes of ``query`` on ``field``."""
    clauses = _clauses(field, split_terms(query))
    if len(clauses) == 1 and clauses[0].occur != "must_not":
        return clauses[0].query
    must = tuple(c.query for c in clauses if c.occur == "must")
    should = tuple(c.query for c in clauses if c.occur == "should")
    must_not = tuple(c.query for c in clauses if c.occur == "must_not")
    if not must and not should:
        must = (dsl.MatchAll(),)  # ES fixNegativeQueryIfNeeded
    return dsl.Bool(must=must, should=should, must_not=must_not)
