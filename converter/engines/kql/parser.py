"""Parse KQL text into the syntax tree of converter.engines.kql.ast, or refuse it as Kibana would.

The grammar is converter.engines.kql.grammar (lark, LALR, contextual lexer). Token values are
decoded here the way Kibana's grammar actions decode them (grammar.peggy rules QuotedString and
UnquotedLiteral): escapes resolved, an unquoted literal trimmed with JavaScript's ``trim`` and
typed (``null``, ``true``, ``false``), and unescaped ``*`` turned into wildcards.
"""

from __future__ import annotations

import re
from functools import cache

import lark
from lark import Token, Transformer, v_args

from converter.engines.base import QueryRejected
from converter.engines.kql import ast
from converter.engines.kql.grammar import GRAMMAR

# Kibana marks an unescaped `*` with this symbol inside the literal's text, then splits on it
# (node_types/wildcard.ts KQL_WILDCARD_SYMBOL); text that contains the symbol splits there too.
WILDCARD_SYMBOL = "@kuery-wildcard@"
# ECMAScript String.prototype.trim: WhiteSpace (incl. all of Zs, U+FEFF) and LineTerminator.
_JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_UNQUOTED_PIECE = re.compile(
    r"\\([trn])|\\([\\():<>\"*{}])|\\u([0-9a-fA-F]{4})|\\((?i:or|and|not))|(\*)|([\s\S])"
)
_QUOTED_PIECE = re.compile(r'\\([trn])|\\u([0-9a-fA-F]{4})|\\([\\"])|([\s\S])')
_WHITESPACE_ESCAPES = {"t": "\t", "r": "\r", "n": "\n"}
_TYPED = {"null": None, "true": True, "false": False}


def js_trim(text: str) -> str:
    return text.strip(_JS_WHITESPACE)


def decode_quoted(token: str) -> ast.Literal:
    """Rule QuotedString: ``\\t \\r \\n \\uXXXX \\\\ \\"`` are escapes, other backslashes stay."""
    out = []
    for m in _QUOTED_PIECE.finditer(token[1:-1]):
        space, code, escaped, plain = m.groups()
        if space:
            out.append(_WHITESPACE_ESCAPES[space])
        elif code:
            out.append(chr(int(code, 16)))
        else:
            out.append(escaped or plain)
    return ast.Literal("".join(out), quoted=True)


def decode_unquoted(token: str) -> ast.Value:
    """Rule UnquotedLiteral: decode, trim, then type or split at wildcards."""
    chars: list[str] = []
    wildcard = False
    for m in _UNQUOTED_PIECE.finditer(token):
        space, special, code, keyword, star, plain = m.groups()
        if space:
            chars.append(_WHITESPACE_ESCAPES[space])
        elif code:
            chars.append(chr(int(code, 16)))
        elif star:
            chars.append(WILDCARD_SYMBOL)
            wildcard = True
        else:
            chars.append(special or keyword or plain)
    sequence = js_trim("".join(chars))
    if sequence in _TYPED:
        return ast.Literal(_TYPED[sequence])
    if wildcard:
        return ast.Pattern(tuple(sequence.split(WILDCARD_SYMBOL)))
    return ast.Literal(sequence)


# A value list `field:(a or not b)` is applied to its field once the field is known.
ValueTree = tuple[str, tuple["ValueTree", ...]] | ast.Value


def _apply(field: ast.Value, tree: ValueTree) -> ast.Node:
    if isinstance(tree, (ast.Literal, ast.Pattern)):
        return ast.Is(field, tree)
    kind, items = tree
    children = tuple(_apply(field, item) for item in items)
    if kind == "not":
        return ast.Not(children[0])
    return ast.And(children) if kind == "and" else ast.Or(children)


@v_args(inline=True)
class _ToAst(Transformer[Token, ast.Node]):
    """Lark tree -> ast nodes (rule names as in converter.engines.kql.grammar)."""

    def literal(self, token: Token) -> ast.Value:
        text = str(token)
        return decode_quoted(text) if token.type == "QUOTED" else decode_unquoted(text)

    def start(self, query: ast.Node | None = None) -> ast.Node:
        # An empty query is `is('*', '*')`: match_all (grammar rule start)
        return query if query is not None else ast.Is(ast.Pattern(("", "")), ast.Pattern(("", "")))

    def or_query(self, *children: ast.Node) -> ast.Node:
        return ast.Or(children)

    def and_query(self, *children: ast.Node) -> ast.Node:
        return ast.And(children)

    def negation(self, child: ast.Node) -> ast.Node:
        return ast.Not(child)

    def nested(self, path: ast.Value, child: ast.Node) -> ast.Node:
        return ast.Nested(path, child)

    def range(self, field: ast.Value, operator: Token, value: ast.Value) -> ast.Node:
        ops = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
        return ast.RangeOp(field, ops[str(operator).strip(" \t\r\n\u00a0")], value)

    def field_value(self, field: ast.Value, values: ValueTree) -> ast.Node:
        return _apply(field, values)

    def bare_value(self, value: ast.Value) -> ast.Node:
        return ast.Is(ast.Literal(None), value)

    def or_values(self, *items: ValueTree) -> ValueTree:
        return ("or", items)

    def and_values(self, *items: ValueTree) -> ValueTree:
        return ("and", items)

    def value_negation(self, item: ValueTree) -> ValueTree:
        return ("not", (item,))


@cache
def _parser() -> lark.Lark:
    return lark.Lark(GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=True)


def parse(text: str) -> ast.Node:
    """The syntax tree of ``text``; QueryRejected where Kibana reports a KQL syntax error."""
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as e:
        raise QueryRejected(f"KQL syntax error at line {e.line}, column {e.column}") from None
    result: ast.Node = _ToAst().transform(tree)
    return result
