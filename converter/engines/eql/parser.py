"""Parse Elasticsearch EQL into converter.engines.eql.nodes.

The grammar follows the one Elasticsearch parses with (x-pack/plugin/eql/src/main/antlr/
EqlBase.g4, read, not copied), written for lark's LALR parser: keywords are lower case, strings
are double-quoted with the escapes ``\\b \\t \\n \\f \\r \\" \\' \\\\`` and ``\\u{hex}`` (any other
backslash is a lexer error), ``\"\"\"raw\"\"\"`` strings, back-quoted field names, ``?field``,
pattern operators whose right side must be constants, sequences, samples and pipes. Constructs
the grammar accepts but Elasticsearch refuses while building its plan (joins, process
relationships, array indexes, single-quoted strings, ...) are refused here too.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

from converter.engines.base import QueryRejected
from converter.engines.eql import nodes as n
from converter.engines.eql.strings import unquote_identifier, unquote_string

GRAMMAR = r"""
start: query pipe*

?query: event_filter | sequence | sample | join
sequence: "sequence" seq_head? seq_term+ until?
seq_head: join_keys maxspan? | maxspan join_keys?
maxspan: "with" "maxspan" "=" number IDENT?
seq_term: subquery join_keys? runs?
runs: "with" IDENT "=" number
until: "until" seq_term
sample: "sample" join_keys? join_term+
join: "join" join_keys? join_term+ ("until" join_term)?
join_term: subquery join_keys?
subquery: (LB | MISSING) event_filter "]"
join_keys: "by" expr ("," expr)*
pipe: "|" IDENT (expr ("," expr)*)?

event_filter: (ANY | STRING | IDENT) "where" expr

?expr: or_expr
?or_expr: and_expr ("or" and_expr)*
?and_expr: not_expr ("and" not_expr)*
?not_expr: "not" not_expr -> not_
         | IDENT "of" subquery -> relationship
         | value_expr
?value_expr: op_expr (COMPARE op_expr)?
?op_expr: sum
?sum: product (ADD_OP product)*
?product: unary (MUL_OP unary)*
?unary: ADD_OP unary -> unary
      | primary predicate?
predicate: NOT? (IN | IN_I) "(" expr ("," expr)* ")"   -> in_pred
         | PATTERN_OP constant                          -> pattern_pred
         | PATTERN_OP "(" constant ("," constant)* ")"  -> pattern_pred
?primary: constant
        | function
        | field
        | "(" expr ")"
function: (IDENT | TILDE_IDENT) "(" (expr ("," expr)*)? ")"
field: OPTIONAL? name ("." name | INDEX)*
name: IDENT | QUOTED_IDENT
constant: "null" -> null
        | "true" -> true
        | "false" -> false
        | number
        | STRING -> string
number: INT | DECIMAL

ANY: "any"
NOT: "not"
IN: "in"
IN_I: "in~"
PATTERN_OP: ":" | "like~" | "like" | "regex~" | "regex"
COMPARE: "==" | "!=" | "<=" | ">=" | "<" | ">" | "="
ADD_OP: "+" | "-"
MUL_OP: "*" | "/" | "%"
LB: "["
MISSING: "!["
OPTIONAL: "?"
INDEX: /\[[ \t]*[0-9]+([ \t]+[0-9]+)*[ \t]*\]/
IDENT: /[A-Za-z_@][A-Za-z0-9_]*/
TILDE_IDENT.3: /[A-Za-z][A-Za-z0-9_]*~/
QUOTED_IDENT: /`([^`]|``)*`/
STRING.2: /"(?:[^"\\\r\n]|\\[btnfr"'\\]|\\u\{[0-9A-Fa-f]+\})*"/
        | /"{3}[^\r\n]*?"{3}"?"?/
        | /'(?:[^'\\\r\n]|\\[btnfr"'\\])*'/
        | /\?"(?:\\"|[^"\r\n])*"/
        | /\?'(?:\\'|[^'\r\n])*'/
INT: /[0-9]+/
DECIMAL: /[0-9]+\.[0-9]*([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+/
COMMENT: /\/\/[^\n]*/ | /\/\*(.|\n)*?\*\//
%import common.WS
%ignore WS
%ignore COMMENT
"""

# Pipes Elasticsearch runs; the others of Endgame EQL are refused (eql-pipe-ref.md, eql-syntax.md
# "Differences from Endgame EQL syntax").
SUPPORTED_PIPES = frozenset({"head", "tail"})


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def parse(text: str) -> n.Statement:
    """Parse ``text``; raise QueryRejected for what Elasticsearch's parser refuses."""
    try:
        tree = _parser().parse(text)
        result = _Builder().transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, QueryRejected):
            raise e.orig_exc from None
        raise
    except LarkError as e:
        raise QueryRejected(f"EQL syntax error: {_first_line(e)}") from None
    assert isinstance(result, n.Statement)
    return result


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _fold_binary(items: list[Any], make: Any) -> Any:
    result = items[0]
    for op, right in zip(items[1::2], items[2::2], strict=True):
        result = make(str(op), result, right)
    return result


@v_args(inline=True)
class _Builder(Transformer[Token, Any]):
    """Lark tree -> nodes; refuses what Elasticsearch's AstBuilder/LogicalPlanBuilder refuse."""

    def start(self, query: n.Statement, *pipes: None) -> n.Statement:
        return query

    def pipe(self, kind: Token, *args: n.Expr) -> None:
        if str(kind) not in SUPPORTED_PIPES:
            raise QueryRejected(f"pipe [{kind}] is not supported by Elasticsearch EQL")
        if len(args) != 1 or not _is_int(args[0]):
            raise QueryRejected(f"pipe [{kind}] needs one integer argument")

    def event_filter(self, category: Token, condition: n.Expr) -> n.Statement:
        if category.type == "ANY":
            return n.Statement("event", (n.EventFilter(None, condition),))
        if category.type == "STRING":
            return n.Statement("event", (n.EventFilter(unquote_string(category), condition),))
        return n.Statement("event", (n.EventFilter(str(category), condition),))

    def subquery(self, opener: Token, statement: n.Statement) -> tuple[bool, n.EventFilter]:
        return opener.type == "MISSING", statement.filters[0]

    def join_keys(self, *keys: n.Expr) -> tuple[n.Expr, ...]:
        return keys

    def seq_term(self, sub: tuple[bool, n.EventFilter], *rest: Any) -> tuple[Any, ...]:
        keys = next((r for r in rest if isinstance(r, tuple)), ())
        return sub[0], sub[1], keys

    join_term = seq_term

    def runs(self, name: Token, count: Any) -> None:
        if str(name) != "runs" or not 1 <= count.value <= 100:
            raise QueryRejected("'with runs' takes a value from 1 to 100")

    def maxspan(self, *args: Any) -> str:
        return "maxspan"

    def seq_head(self, *parts: Any) -> tuple[str, tuple[n.Expr, ...], bool]:
        keys = next((p for p in parts if isinstance(p, tuple)), ())
        return "head", keys, "maxspan" in parts

    def until(self, term: tuple[Any, ...]) -> str:
        return "until"

    def sequence(self, *parts: Any) -> n.Statement:
        head = next((p for p in parts if isinstance(p, tuple) and p[0] == "head"), None)
        terms = [p for p in parts if isinstance(p, tuple) and p[0] != "head"]
        keys, has_maxspan = (head[1], head[2]) if head else ((), False)
        return _sequence("sequence", terms, keys, has_maxspan)

    def sample(self, *parts: Any) -> n.Statement:
        keys = parts[0] if parts and _is_keys(parts[0]) else ()
        terms = [p for p in parts[1 if keys else 0 :] if isinstance(p, tuple)]
        return _sequence("sample", terms, keys, True)

    def join(self, *parts: Any) -> n.Statement:
        raise QueryRejected("Elasticsearch EQL does not support joins")

    def relationship(self, kind: Token, sub: Any) -> n.Expr:
        raise QueryRejected(f"Process relationships are not supported ({kind} of)")

    def or_expr(self, *items: n.Expr) -> n.Expr:
        return n.BoolOp("or", items)

    def and_expr(self, *items: n.Expr) -> n.Expr:
        return n.BoolOp("and", items)

    def not_(self, operand: n.Expr) -> n.Expr:
        return n.Not(operand)

    def value_expr(self, left: n.Expr, op: Token, right: n.Expr) -> n.Expr:
        if str(op) == "=":
            raise QueryRejected("'=' is not supported as an equal operator; use '==' or ':'")
        return n.Compare(str(op), left, right)

    def sum(self, *items: Any) -> n.Expr:
        return _fold_binary(list(items), n.Arith)  # type: ignore[no-any-return]

    product = sum

    def unary(self, *items: Any) -> n.Expr:
        if len(items) == 2 and isinstance(items[0], Token) and items[0].type == "ADD_OP":
            return n.Arith("neg", items[1], None) if items[0] == "-" else items[1]
        operand, predicate = items
        return predicate(operand)  # type: ignore[no-any-return]

    def in_pred(self, *items: Any) -> Any:
        negated = items[0].type == "NOT"
        kind, *values = items[1:] if negated else items
        insensitive = kind.type == "IN_I"
        return lambda operand: n.InList(operand, tuple(values), insensitive, negated)

    def pattern_pred(self, op: Token, *constants: n.Const) -> Any:
        kind = str(op).rstrip("~")
        insensitive = str(op).endswith("~") or kind == ":"
        return lambda operand: n.Pattern(kind, insensitive, operand, constants)

    def function(self, name: Token, *args: n.Expr) -> n.Expr:
        text = str(name)
        return n.Call(text.rstrip("~").lower(), text.endswith("~"), args)

    def field(self, *parts: Any) -> n.Expr:
        optional = isinstance(parts[0], Token) and parts[0].type == "OPTIONAL"
        names = parts[1:] if optional else parts
        if any(isinstance(p, Token) and p.type == "INDEX" for p in names):
            raise QueryRejected("Array indexes are not supported")
        return n.Field(".".join(names), optional)

    def name(self, token: Token) -> str:
        return unquote_identifier(token) if token.type == "QUOTED_IDENT" else str(token)

    def null(self) -> n.Const:
        return n.Const(None)

    def true(self) -> n.Const:
        return n.Const(True)

    def false(self) -> n.Const:
        return n.Const(False)

    def string(self, token: Token) -> n.Const:
        return n.Const(unquote_string(token))

    def number(self, token: Token) -> n.Const:
        text = str(token)
        return n.Const(int(text) if token.type == "INT" else float(text))

    def constant(self, value: n.Const) -> n.Const:
        return value


def _is_int(expr: n.Expr) -> bool:
    return isinstance(expr, n.Const) and type(expr.value) is int and expr.value >= 0


def _is_keys(part: Any) -> bool:
    return isinstance(part, tuple) and not (len(part) == 3 and isinstance(part[0], bool))


def _sequence(
    kind: str, terms: list[tuple[Any, ...]], keys: tuple[n.Expr, ...], has_maxspan: bool
) -> n.Statement:
    missing = [t for t in terms if t[0]]
    if kind == "sequence" and missing and not has_maxspan:
        raise QueryRejected("missing event clauses need 'with maxspan'")
    if kind == "sequence" and len(missing) == len(terms):
        raise QueryRejected("a sequence needs at least one positive event clause")
    all_keys = keys + tuple(k for t in terms for k in t[2])
    return n.Statement(kind, tuple(t[1] for t in terms), all_keys)
