"""Parser for the SPL ``search`` command's logical expression (lark, LALR).

Precedence follows Splunk's Search Manual ("Boolean expressions"): parentheses, then NOT, then
OR, then AND, so ``A B OR C`` is ``A AND (B OR C)``; AND is implied between terms; the operators
are only recognised in upper case.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

from converter.engines.base import QueryRejected
from converter.engines.spl import nodes
from converter.engines.spl.values import unescape

_GRAMMAR = r"""
start: conj
conj: disj (_AND? disj)*
disj: unary (_OR unary)*
?unary: _NOT unary -> negation
      | atom
?atom: "(" conj ")"
     | field CMP value -> compare
     | field _IN "(" in_item+ ")" -> in_list
     | value -> term
field: WORD | QUOTED
value: WORD | QUOTED | FUNC_VALUE
?in_item: value | _COMMA

_AND.3: /AND(?![^\s()="<>,|])/
_OR.3: /OR(?![^\s()="<>,|])/
_NOT.3: /NOT(?![^\s()="<>,|])/
_IN.3: /IN(?=[\s(])/
FUNC_VALUE.2: /(CASE|TERM)\((?:"(?:\\.|[^"\\])*"|[^()\s"]*)\)/
_COMMA: ","
CMP: /!=|<=|>=|=|<|>/
QUOTED: /"(?:\\.|[^"\\])*"/s
WORD: /(?:\\.|[^\s()="<>!,|\\]|!(?!=))+/
%ignore /\s+/
"""


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=False)


def _value(token: Token) -> nodes.Value:
    text = str(token)
    if token.type == "QUOTED":
        return nodes.Value(unescape(text[1:-1]), quoted=True, raw=text)
    if token.type == "FUNC_VALUE":
        inner = text[5:-1]
        base = _value(Token("QUOTED" if inner.startswith('"') else "WORD", inner))
        return nodes.Value(
            base.text,
            quoted=base.quoted,
            case_sensitive=text.startswith("CASE"),
            whole_term=text.startswith("TERM"),
            raw=text,
        )
    return nodes.Value(unescape(text), raw=text)


@v_args(inline=True)
class _Build(Transformer[Token, nodes.Node]):
    def start(self, node: nodes.Node) -> nodes.Node:
        return node

    def conj(self, *parts: nodes.Node) -> nodes.Node:
        return parts[0] if len(parts) == 1 else nodes.And(parts)

    def disj(self, *parts: nodes.Node) -> nodes.Node:
        return parts[0] if len(parts) == 1 else nodes.Or(parts)

    def negation(self, operand: nodes.Node) -> nodes.Node:
        return nodes.Not(operand)

    def field(self, token: Token) -> str:
        return unescape(token[1:-1]) if token.type == "QUOTED" else str(token)

    def value(self, token: Token) -> nodes.Value:
        return _value(token)

    def compare(self, field: str, op: Token, value: nodes.Value) -> nodes.Node:
        return nodes.Compare(field, str(op), value)

    def in_list(self, field: str, *items: object) -> nodes.Node:
        # Splunk's own detections write "IN (,"a","b" "c",)": commas are separators, empty
        # items are skipped (docs/engines.md, IN lists)
        values = tuple(item for item in items if isinstance(item, nodes.Value))
        if not values:
            raise QueryRejected("IN needs at least one value")
        return nodes.InList(field, values)

    def term(self, value: nodes.Value) -> nodes.Node:
        return nodes.Term(value)


def parse_search(text: str) -> nodes.Node:
    """Parse a search expression; a syntax error is what Splunk would refuse."""
    try:
        tree = _parser().parse(text)
    except LarkError as exc:
        raise QueryRejected(f"search: cannot parse {_short(text)!r}: {_first_line(exc)}") from exc
    try:
        return _Build().transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from exc


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
