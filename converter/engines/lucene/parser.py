"""Recursive-descent parser for query_string with Lucene's clause rules (QueryParser.jj).

The grammar is Lucene's classic one: ``Query ::= (MultiTerm | Modifiers Clause)
(MultiTerm | Conjunction Modifiers Clause)*``. There is no operator precedence: every clause of a
Query goes into one flat list, and ``addClause`` (QueryParserBase) decides MUST/SHOULD/MUST_NOT
from the conjunction before the clause and its modifier, with the default operator OR. An ``AND``
makes the *previous* clause required too, so ``a AND b OR c`` is ``+a +b c`` (c optional).

Leaves are built while parsing, as Lucene does, by a ``Builder`` (the Elasticsearch
QueryStringQueryParser part: field types decide what a term becomes). A builder may return None
for a leaf (the analyzer removed every token); addClause then skips it.
"""

from __future__ import annotations

from typing import Protocol

from converter.engines.base import QueryRejected
from converter.engines.dsl import Query
from converter.engines.lucene.lexer import Token, discard_escape_char, tokenize

MUST, SHOULD, MUST_NOT = "must", "should", "must_not"
CONJ_NONE, CONJ_AND, CONJ_OR = "none", "and", "or"
MOD_NONE, MOD_REQ, MOD_NOT = "none", "req", "not"

Clause = tuple[str, Query]  # (occur, query)

# Tokens that can begin "Conjunction Modifiers Clause" (the loop of Query continues on them).
_CLAUSE_START = frozenset(
    [
        "AND",
        "OR",
        "NOT",
        "PLUS",
        "MINUS",
        "BAREOPER",
        "LPAREN",
        "STAR",
        "QUOTED",
        "TERM",
        "PREFIXTERM",
        "WILDTERM",
        "REGEXPTERM",
        "RANGEIN_START",
        "RANGEEX_START",
        "NUMBER",
    ]
)
_BARE_TERMS = frozenset(
    ["TERM", "STAR", "PREFIXTERM", "WILDTERM", "REGEXPTERM", "NUMBER", "BAREOPER"]
)
# QueryParser.disallowedPostMultiTerm: a TERM followed by one of these ends a multi-term run.
_NOT_AFTER_MULTI = frozenset(["COLON", "STAR", "FUZZY_SLOP", "CARAT", "AND", "OR"])


class Builder(Protocol):
    """Turns leaves into queries (Elasticsearch's QueryStringQueryParser overrides)."""

    def field_query(self, field: str, text: str) -> Query | None: ...
    def phrase(self, field: str, text: str, slop: int) -> Query | None: ...
    def wildcard(self, field: str, pattern: str) -> Query | None: ...
    def prefix(self, field: str, text: str) -> Query | None: ...
    def regexp(self, field: str, pattern: str) -> Query | None: ...
    def fuzzy(self, field: str, text: str, slop: str) -> Query | None: ...
    def range(
        self, field: str, low: str | None, high: str | None, inc_low: bool, inc_high: bool
    ) -> Query | None: ...
    def boolean(self, clauses: list[Clause]) -> Query | None: ...


def add_clause(clauses: list[Clause], conj: str, mods: str, query: Query | None) -> None:
    """QueryParserBase.addClause with the default operator OR."""
    if clauses and conj == CONJ_AND and clauses[-1][0] != MUST_NOT:
        clauses[-1] = (MUST, clauses[-1][1])  # AND also makes the preceding clause required
    if query is None:
        return
    if mods == MOD_NOT:
        clauses.append((MUST_NOT, query))
    elif mods == MOD_REQ or conj == CONJ_AND:
        clauses.append((MUST, query))
    else:
        clauses.append((SHOULD, query))


class Parser:
    def __init__(self, text: str, builder: Builder, default_field: str = "*") -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.builder = builder
        self.default_field = default_field

    def parse(self) -> Query | None:
        """TopLevelQuery: a Query followed by the end of the input."""
        query = self._query(self.default_field)
        self._expect("EOF")
        return query

    # -- token helpers -------------------------------------------------------------------
    def _peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def _advance(self) -> Token:
        token = self._peek()
        self.pos += 1
        return token

    def _expect(self, *kinds: str) -> Token:
        token = self._peek()
        if token.kind not in kinds:
            raise _unexpected(token, kinds)
        return self._advance()

    def _accept(self, kind: str) -> Token | None:
        return self._advance() if self._peek().kind == kind else None

    # -- grammar ------------------------------------------------------------------------
    def _query(self, field: str) -> Query | None:
        clauses: list[Clause] = []
        if self._multi_term_ahead():
            first = self._multi_term(field, clauses)
        else:
            mods = self._modifiers()
            q = self._clause(field)
            add_clause(clauses, CONJ_NONE, mods, q)
            first = q if mods == MOD_NONE else None
        while self._peek().kind in _CLAUSE_START:
            if self._multi_term_ahead():
                self._multi_term(field, clauses)
                continue
            conj = self._conjunction()
            mods = self._modifiers()
            add_clause(clauses, conj, mods, self._clause(field))
        if len(clauses) == 1 and first is not None:
            return first
        return self.builder.boolean(clauses)

    def _multi_term_ahead(self) -> bool:
        return (
            self._peek().kind == "TERM"
            and self._peek(1).kind == "TERM"
            and self._peek(2).kind not in _NOT_AFTER_MULTI
        )

    def _multi_term(self, field: str, clauses: list[Clause]) -> Query | None:
        """Whitespace-separated bare terms are analysed as one text (split_on_whitespace false)."""
        images = [self._advance().image]
        while self._peek().kind == "TERM" and self._peek(1).kind not in _NOT_AFTER_MULTI:
            images.append(self._advance().image)
        query = self.builder.field_query(field, discard_escape_char(" ".join(images)))
        add_clause(clauses, CONJ_NONE, MOD_NONE, query)
        return query

    def _conjunction(self) -> str:
        if self._accept("AND"):
            return CONJ_AND
        return CONJ_OR if self._accept("OR") else CONJ_NONE

    def _modifiers(self) -> str:
        if self._accept("PLUS"):
            return MOD_REQ
        return MOD_NOT if self._accept("MINUS") or self._accept("NOT") else MOD_NONE

    def _clause(self, field: str) -> Query | None:
        if self._peek(1).kind == "COLON" and self._peek().kind in ("TERM", "STAR"):
            name = self._advance()
            self._advance()
            field = "*" if name.kind == "STAR" else discard_escape_char(name.image)
        if self._accept("LPAREN"):
            query = self._query(field)
            self._expect("RPAREN")
            self._boost()
            return query
        return self._term(field)

    def _boost(self) -> None:
        """``^N`` only changes scores; it must still be well-formed."""
        if self._accept("CARAT"):
            self._expect("NUMBER")

    def _term_suffix(self) -> str | None:
        """``[^N [~slop] | ~slop [^N]]`` after a term or phrase; returns the slop token."""
        slop: Token | None = None
        if self._accept("CARAT"):
            self._expect("NUMBER")
            slop = self._accept("FUZZY_SLOP")
        elif slop := self._accept("FUZZY_SLOP"):
            self._boost()
        return slop.image if slop else None

    def _term(self, field: str) -> Query | None:
        token = self._peek()
        if token.kind in _BARE_TERMS:
            self._advance()
            return self._bare(field, token, self._term_suffix())
        if token.kind in ("RANGEIN_START", "RANGEEX_START"):
            return self._range(field)
        if token.kind == "QUOTED":
            self._advance()
            return self._quoted(field, token, self._term_suffix())
        raise _unexpected(token, ("a term", "("))

    def _bare(self, field: str, token: Token, slop: str | None) -> Query | None:
        """QueryParserBase.handleBareTokenQuery (the escapes are checked first, always)."""
        image = token.image[0] if token.kind == "BAREOPER" else token.image
        text = discard_escape_char(image)
        if token.kind in ("STAR", "WILDTERM"):
            return self.builder.wildcard(field, image)
        if token.kind == "PREFIXTERM":
            return self.builder.prefix(field, discard_escape_char(image[:-1]))
        if token.kind == "REGEXPTERM":
            return self.builder.regexp(field, image[1:-1])
        if slop is not None:
            return self.builder.fuzzy(field, text, slop)
        return self.builder.field_query(field, text)

    def _quoted(self, field: str, token: Token, slop: str | None) -> Query | None:
        """QueryParserBase.handleQuotedTerm: an unparsable slop falls back to 0."""
        distance = 0
        if slop is not None:
            try:
                distance = int(float(slop[1:]))
            except ValueError:
                distance = 0
        return self.builder.phrase(field, discard_escape_char(token.image[1:-1]), distance)

    def _range(self, field: str) -> Query | None:
        inc_low = self._advance().kind == "RANGEIN_START"
        low = self._range_operand()
        self._expect("RANGE_TO")
        high = self._range_operand()
        inc_high = self._expect("RANGEIN_END", "RANGEEX_END").kind == "RANGEIN_END"
        self._boost()
        return self.builder.range(field, low, high, inc_low, inc_high)

    def _range_operand(self) -> str | None:
        token = self._expect("RANGE_GOOP", "RANGE_QUOTED", "RANGE_TO")
        if token.kind == "RANGE_QUOTED":
            return discard_escape_char(token.image[1:-1])
        return None if token.image == "*" else discard_escape_char(token.image)


def _unexpected(token: Token, expected: tuple[str, ...]) -> QueryRejected:
    found = "end of query" if token.kind == "EOF" else f"{token.kind} {token.image!r}"
    return QueryRejected(
        f"Cannot parse query: encountered {found} at position {token.pos}; "
        f"expected {' or '.join(expected)}"
    )
