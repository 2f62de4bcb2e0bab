"""Turn the lark parse tree of an ES|QL query into the syntax tree of converter.engines.esql.ast.

String literals are unescaped here the way Elasticsearch's parser does: a ``"..."`` literal knows
only ``\\t \\n \\r \\" \\\\`` (anything else never got past the lexer), a ``\"\"\"...\"\"\"``
literal is taken verbatim (EsqlBaseLexer QUOTED_STRING; esql-syntax.md "String literals").
Backquoted identifiers lose their quotes and ```` `` ```` becomes one backquote (esql-syntax.md
"Identifiers").
"""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer, Tree, v_args

from converter.engines.esql import ast

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}
# "as", "on" and "with" are left out: Elastic's own validated rules use ``source.as.*``.
RESERVED = frozenset(
    [
        "and",
        "asc",
        "by",
        "desc",
        "false",
        "first",
        "in",
        "is",
        "last",
        "like",
        "not",
        "null",
        "nulls",
        "or",
        "rlike",
        "true",
    ]
)
_AGGREGATING = {"stats_cmd": "stats", "inline_stats_cmd": "inline stats"}
_OPAQUE = {
    "dissect_cmd": "dissect",
    "grok_cmd": "grok",
    "enrich_cmd": "enrich",
    "lookup_join_cmd": "lookup join",
    "completion_cmd": "completion",
    "sample_cmd": "sample",
    "fork_cmd": "fork",
    "change_point_cmd": "change_point",
}


def unquote_string(token: str) -> str:
    """The value of a QUOTED_STRING token."""
    if token.startswith('"""'):
        return token[3:-3]
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def unquote_identifier(token: str) -> str:
    return token[1:-1].replace("``", "`") if token.startswith("`") else token


def _negated(items: list[Any]) -> tuple[bool, list[Any]]:
    """Split an optional NOT token off a predicate's children."""
    negated = any(isinstance(i, Token) and i.type == "NOT" for i in items)
    return negated, [i for i in items if not (isinstance(i, Token) and i.type == "NOT")]


@v_args(inline=True)
class _Builder(Transformer[Token, Any]):
    """Bottom-up: every rule returns an ast node, a string or a tuple of them."""

    # names and literals
    def name(self, token: Token) -> str:
        # The contextual lexer would let a keyword through where only a name fits; ES|QL's
        # expression-mode lexer always makes these keywords (lexer/Expression.g4).
        if str(token).lower() in RESERVED:
            raise ValueError(f"mismatched input '{token}' at line {token.line}")
        return str(token)

    def quoted_name(self, token: Token) -> str:
        return unquote_identifier(str(token))

    def qualified_name(self, *parts: str) -> ast.Field:
        return ast.Field(".".join(parts))

    def name_pattern(self, *parts: Token) -> str:
        return ".".join(unquote_identifier(str(p)) for p in parts)

    def name_patterns(self, *patterns: str) -> tuple[str, ...]:
        return patterns

    def string(self, token: Token) -> ast.Literal:
        return ast.Literal(unquote_string(str(token)), "keyword")

    def number(self, *tokens: Token) -> ast.Literal:
        text = "".join(str(t) for t in tokens)
        if any(t.type == "DECIMAL" for t in tokens):
            return ast.Literal(float(text), "double")
        return ast.Literal(int(text), "integer")

    def null(self) -> ast.Literal:
        return ast.Literal(None, "null")

    def true(self, _token: Token) -> ast.Literal:
        return ast.Literal(True, "boolean")

    def false(self, _token: Token) -> ast.Literal:
        return ast.Literal(False, "boolean")

    def param(self, token: Token) -> ast.Literal:
        return ast.Literal(str(token), "param")

    def span(self, count: Token, unit: Token) -> ast.Literal:
        return ast.Literal(f"{count} {unit}", "span")

    def array(self, *items: Any) -> ast.Literal:
        values: list[ast.Scalar] = []
        for item in items:
            if isinstance(item, ast.Literal) and not isinstance(item.value, tuple):
                values.append(item.value)
            else:
                values.append(str(item).lower() == "true")
        return ast.Literal(tuple(values), "array")

    def map_expr(self, *_entries: Any) -> ast.Literal:
        return ast.Literal(None, "map")

    def map_entry(self, *_items: Any) -> None:
        return None

    # expressions
    def call(self, name: Token, *args: Any) -> ast.Call:
        kept = tuple(a for a in args if isinstance(a, ast.Expr) and not _is_map(a))
        if any(isinstance(a, Token) and a.type == "STAR" for a in args):
            kept = (ast.Literal("*", "star"),)
        return ast.Call(str(name).lower(), kept)

    def cast(self, expr: ast.Expr, type_: Token) -> ast.Cast:
        return ast.Cast(expr, str(type_).lower())

    def arith(self, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Arith:
        return ast.Arith(str(op), left, right)

    def neg(self, op: Token, expr: ast.Expr) -> ast.Expr:
        return ast.Neg(expr) if str(op) == "-" else expr

    def compare(self, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Compare:
        return ast.Compare(str(op), left, right)

    def like(self, *items: Any) -> ast.Pattern:
        return _pattern(list(items), regex=False)

    def rlike(self, *items: Any) -> ast.Pattern:
        return _pattern(list(items), regex=True)

    def in_(self, *items: Any) -> ast.In:
        negated, rest = _negated(list(items))
        return ast.In(rest[0], tuple(rest[1:]), negated)

    def is_null(self, *items: Any) -> ast.IsNull:
        negated, rest = _negated(list(items))
        return ast.IsNull(rest[0], negated)

    def match_op(self, expr: ast.Expr, query: ast.Expr) -> ast.MatchOp:
        return ast.MatchOp(expr, query)

    def not_(self, _token: Token, expr: ast.Expr) -> ast.Not:
        return ast.Not(expr)

    def and_expr(self, *operands: ast.Expr) -> ast.And:
        return ast.And(operands)

    def or_expr(self, *operands: ast.Expr) -> ast.Or:
        return ast.Or(operands)

    # commands
    def start(self, source: ast.Command, *commands: ast.Command) -> ast.Query:
        return ast.Query(source, commands)

    def from_cmd(self, *items: Any) -> ast.From:
        indices = tuple(i for i in items if isinstance(i, str))
        metadata = next((i for i in items if isinstance(i, tuple)), ())
        return ast.From(indices, metadata)

    def index_pattern(self, token: Token) -> str:
        return unquote_string(str(token)) if token.type == "STRING" else str(token)

    def metadata(self, *tokens: Token) -> tuple[str, ...]:
        return tuple(str(t) for t in tokens)

    def row_cmd(self, fields: tuple[tuple[str, ast.Expr], ...]) -> ast.Command:
        return ast.Opaque("row", aggregates=False)

    def show_cmd(self) -> ast.Command:
        return ast.Opaque("show", aggregates=False)

    def where_cmd(self, condition: ast.Expr) -> ast.Where:
        return ast.Where(condition)

    def eval_cmd(self, fields: tuple[tuple[str, ast.Expr], ...]) -> ast.Eval:
        return ast.Eval(fields)

    def fields(self, *fields: tuple[str, ast.Expr]) -> tuple[tuple[str, ast.Expr], ...]:
        return fields

    def field(self, *items: Any) -> tuple[str, ast.Expr]:
        if len(items) == 2:
            return (items[0].name, items[1])
        return (_column_name(items[0]), items[0])

    def keep_cmd(self, patterns: tuple[str, ...]) -> ast.Keep:
        return ast.Keep(patterns)

    def drop_cmd(self, patterns: tuple[str, ...]) -> ast.Drop:
        return ast.Drop(patterns)

    def rename_cmd(self, *pairs: tuple[str, str]) -> ast.Rename:
        return ast.Rename(pairs)

    def rename_as(self, old: str, new: str) -> tuple[str, str]:
        return (old, new)

    def rename_assign(self, new: str, old: str) -> tuple[str, str]:
        return (old, new)

    def limit_cmd(self, count: ast.Expr) -> ast.Limit:
        if not (isinstance(count, ast.Literal) and count.kind == "integer"):
            raise ValueError("LIMIT takes a non-negative integer literal")
        return ast.Limit(int(count.value))  # type: ignore[arg-type]

    def sort_cmd(self, *_orders: Any) -> ast.Sort:
        return ast.Sort()

    def mv_expand_cmd(self, field: ast.Field) -> ast.MvExpand:
        return ast.MvExpand(field.name)


def _is_map(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Literal) and expr.kind == "map"


def _pattern(items: list[Any], regex: bool) -> ast.Pattern:
    negated, rest = _negated(items)
    patterns = tuple(str(p.value) for p in rest[1:])
    return ast.Pattern(rest[0], patterns, regex, negated)


def _column_name(expr: ast.Expr) -> str:
    """An unnamed eval/stats column is named after its expression; only fields matter here."""
    return expr.name if isinstance(expr, ast.Field) else repr(expr)


def build(tree: Tree[Any]) -> ast.Query:
    """The ast.Query of a parse tree; commands without a node of their own become Opaque."""
    tree = _replace_opaque(tree)
    result = _Builder().transform(tree)
    assert isinstance(result, ast.Query)
    return result


def _replace_opaque(tree: Tree[Any]) -> Tree[Any]:
    """Swap commands that are parsed but not evaluated for a marker before building."""
    children: list[Any] = []
    for child in tree.children:
        if isinstance(child, Tree) and str(child.data) in _AGGREGATING:
            children.append(ast.Opaque(_AGGREGATING[str(child.data)], aggregates=True))
        elif isinstance(child, Tree) and str(child.data) in _OPAQUE:
            children.append(ast.Opaque(_OPAQUE[str(child.data)], aggregates=False))
        else:
            children.append(child)
    return Tree(tree.data, children, tree.meta if not tree.meta.empty else None)
