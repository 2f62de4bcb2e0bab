"""Parser for SPL eval expressions, as used by ``where`` and ``eval`` (lark, LALR).

Precedence follows the Search Manual ("Boolean expressions"): parentheses, NOT, AND, OR (the
reverse of the search command). Unlike in ``search``, eval accepts lower-case operators
(Splunk's own tested detections write ``| where a > 5 and b > 5``). A bare name or a
single-quoted name is a field; a double-quoted string is a literal. Calls are checked
against the functions this model implements.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

from converter.engines.base import QueryRejected
from converter.engines.spl.values import unescape

_GRAMMAR = r"""
start: expr
assignments: assignment ("," assignment)*
assignment: target EQ expr
target: NAME | SQ_NAME
?expr: or_e
?or_e: xor_e (_OR xor_e)*  -> or_op
?xor_e: and_e (_XOR and_e)* -> xor_op
?and_e: not_e (_AND not_e)* -> and_op
?not_e: _NOT not_e -> not_op
      | cmp_e
?cmp_e: add_e
      | add_e (EQ | CMPOP | LIKE) add_e -> binary
      | add_e _IN "(" expr ("," expr)* ")" -> in_op
?add_e: mul_e
      | add_e (PLUS | MINUS | DOT) mul_e -> binary
?mul_e: unary_e
      | mul_e (STAR | SLASH | PCT) unary_e -> binary
?unary_e: MINUS unary_e -> negative
        | primary
?primary: NAME "(" [expr ("," expr)*] ")" -> call
        | NAME -> field
        | SQ_NAME -> field
        | STRING -> string
        | NUMBER -> number
        | "(" expr ")"

_AND.3: /AND\b/i
_OR.3: /OR\b/i
_XOR.3: /XOR\b/i
_NOT.3: /NOT\b/i
_IN.3: /IN\b/
LIKE.3: /LIKE\b(?!\s*\()/i
NUMBER.2: /\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
SQ_NAME: /'(?:\\.|[^'\\])*'/
STRING: /"(?:\\.|[^"\\])*"/s
CMPOP: /==|!=|<=|>=|<|>/
EQ: "="
PLUS: "+"
MINUS: "-"
DOT: "."
STAR: "*"
SLASH: "/"
PCT: "%"
%ignore /\s+/
"""


@dataclass(frozen=True)
class Lit:
    value: str | float | None


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Op:
    op: str  # AND OR XOR NOT = == != < <= > >= LIKE IN + - . * / % neg
    args: tuple[Expr, ...]


Expr = Lit | Field | Call | Op


@v_args(inline=True)
class _Build(Transformer[Token, object]):
    def start(self, expr: Expr) -> Expr:
        return expr

    def assignments(self, *items: tuple[str, Expr]) -> tuple[tuple[str, Expr], ...]:
        return items

    def assignment(self, target: str, _eq: Token, expr: Expr) -> tuple[str, Expr]:
        return target, expr

    def target(self, token: Token) -> str:
        return _name(token)

    def or_op(self, *args: Expr) -> Expr:
        return args[0] if len(args) == 1 else Op("OR", args)

    def xor_op(self, *args: Expr) -> Expr:
        return args[0] if len(args) == 1 else Op("XOR", args)

    def and_op(self, *args: Expr) -> Expr:
        return args[0] if len(args) == 1 else Op("AND", args)

    def not_op(self, arg: Expr) -> Expr:
        return Op("NOT", (arg,))

    def binary(self, left: Expr, op: Token, right: Expr) -> Expr:
        return Op(str(op).upper(), (left, right))

    def in_op(self, left: Expr, *items: Expr) -> Expr:
        return Op("IN", (left, *items))

    def negative(self, _minus: Token, arg: Expr) -> Expr:
        return Op("neg", (arg,))

    def call(self, name: Token, *args: Expr | None) -> Expr:
        return Call(str(name).lower(), tuple(arg for arg in args if arg is not None))

    def field(self, token: Token) -> Expr:
        return Field(_name(token))

    def string(self, token: Token) -> Expr:
        return Lit(unescape(token[1:-1], tabs=True))

    def number(self, token: Token) -> Expr:
        return Lit(float(token))


def _name(token: Token) -> str:
    return unescape(token[1:-1]) if token.type == "SQ_NAME" else str(token)


@lru_cache(maxsize=2)
def _parser(start: str) -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="basic", start=start, maybe_placeholders=True)


def parse_expression(text: str) -> Expr:
    """Parse an eval expression (the argument of ``where``)."""
    return _run("start", text)  # type: ignore[return-value]


def parse_assignments(text: str) -> tuple[tuple[str, Expr], ...]:
    """Parse the ``f=expr, g=expr`` argument of ``eval``."""
    return _run("assignments", text)  # type: ignore[return-value]


def _run(start: str, text: str) -> object:
    try:
        tree = _parser(start).parse(text)
    except LarkError as exc:
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise QueryRejected(f"eval expression {text.strip()!r}: {line}") from exc
    return _Build().transform(tree)
