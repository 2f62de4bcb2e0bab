"""The part of ES|QL's analyzer/verifier the model repeats: types of operands must fit.

ES|QL resolves every column's type from the mapping before running, and refuses operands of the
wrong type as a verification error: ``==`` and the other comparisons take two operands of one
family (operators/types/equals.md: boolean/boolean, ip/ip, numeric/numeric, keyword-or-text on
both sides, ...), with string *literals* implicitly cast to ip, date, version and boolean
(esql-implicit-casting.md); LIKE/RLIKE take keyword or text (operators/types/like.md, rlike.md);
functions take the types on their pages (converter.engines.esql.functions). Unknown functions
are refused. A field the schema does not map has no known type: it is not checked, and queries
that use one carry the ``esql-unmapped-field`` assumption.
"""

from __future__ import annotations

from converter.engines.base import QueryRejected
from converter.engines.esql import ast
from converter.engines.esql.functions import KNOWN_FUNCTIONS, SIGNATURES, return_type
from converter.engines.esql.values import (
    BOOLEAN,
    DATE,
    IP,
    KEYWORD,
    NULL,
    NUMERIC,
    UNKNOWN,
    column_type,
    parse_ip,
)
from converter.schema.model import Schema

_LITERAL_TYPES = {
    "keyword": KEYWORD,
    "integer": NUMERIC,
    "double": NUMERIC,
    "boolean": BOOLEAN,
    "null": NULL,
}
_CASTS = {
    "string": KEYWORD,
    "keyword": KEYWORD,
    "text": KEYWORD,
    "ip": IP,
    "long": NUMERIC,
    "integer": NUMERIC,
    "int": NUMERIC,
    "double": NUMERIC,
    "boolean": BOOLEAN,
    "bool": BOOLEAN,
    "datetime": DATE,
    "date": DATE,
}
_IMPLICIT_FROM_STRING = {IP, DATE, BOOLEAN, "version"}


class TypeChecker:
    """Infers expression types; collects the open points the query depends on."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.columns: dict[str, str] = {}  # eval-defined columns and their types
        self.assumptions: set[str] = set()

    def field(self, name: str) -> str:
        if name in self.columns:
            return self.columns[name]
        kind = column_type(self.schema.field(name))
        if kind == UNKNOWN:
            self.assumptions.add("esql-unmapped-field")
        return kind

    def type_of(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Field):
            return self.field(expr.name)
        if isinstance(expr, ast.Literal):
            return self.literal(expr)
        if isinstance(expr, ast.Call):
            return self.call(expr)
        if isinstance(expr, ast.Cast):
            self.type_of(expr.expr)
            return _CASTS.get(expr.type, UNKNOWN)
        if isinstance(expr, ast.Arith | ast.Neg):
            return self.arith(expr)
        return self.predicate(expr)

    def literal(self, expr: ast.Literal) -> str:
        if expr.kind == "array" and isinstance(expr.value, tuple) and expr.value:
            return self.type_of(ast.Literal(expr.value[0], _scalar_kind(expr.value[0])))
        return _LITERAL_TYPES.get(expr.kind, UNKNOWN)

    def arith(self, expr: ast.Arith | ast.Neg) -> str:
        operands = [expr.expr] if isinstance(expr, ast.Neg) else [expr.left, expr.right]
        kinds = [self.type_of(o) for o in operands]
        if any(k in (KEYWORD, IP, BOOLEAN) for k in kinds):
            raise QueryRejected(f"arithmetic on a {'/'.join(kinds)} operand is not supported")
        return DATE if DATE in kinds else NUMERIC if all(k == NUMERIC for k in kinds) else UNKNOWN

    def call(self, expr: ast.Call) -> str:
        if expr.name not in KNOWN_FUNCTIONS:
            raise QueryRejected(f"Unknown function [{expr.name}]")
        kinds = [self.type_of(a) for a in expr.args]
        signature = SIGNATURES.get(expr.name)
        if signature is not None:
            for position, (wanted, kind) in enumerate(zip(signature.args, kinds, strict=False)):
                arg = expr.args[position]
                if wanted and not any(compatible(w, kind, arg) for w in wanted.split("|")):
                    raise QueryRejected(
                        f"argument {position + 1} of [{expr.name}] must be [{wanted}], "
                        f"found value of type [{kind}]"
                    )
        return return_type(expr.name, kinds)

    def predicate(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Compare):
            self.same_family(expr.op, expr.left, [expr.right])
        elif isinstance(expr, ast.In):
            self.same_family("in", expr.expr, list(expr.items))
        elif isinstance(expr, ast.Pattern):
            self.string_operand(expr)
        elif isinstance(expr, ast.IsNull | ast.Not | ast.MatchOp):
            self.type_of(expr.expr)
        elif isinstance(expr, ast.And | ast.Or):
            for operand in expr.operands:
                self.condition(operand)
        return BOOLEAN

    def condition(self, expr: ast.Expr) -> None:
        """A WHERE condition (or AND/OR operand) must be boolean."""
        kind = self.type_of(expr)
        if kind not in (BOOLEAN, NULL, UNKNOWN):
            raise QueryRejected(f"Condition expression needs to be boolean, found [{kind}]")

    def same_family(self, op: str, left: ast.Expr, rights: list[ast.Expr]) -> None:
        left_kind = self.type_of(left)
        for right in rights:
            right_kind = self.type_of(right)
            if not (
                compatible(left_kind, right_kind, right) or compatible(right_kind, left_kind, left)
            ):
                raise QueryRejected(
                    f"first argument of [{op}] is [{left_kind}] so second argument must also be "
                    f"[{left_kind}] but was [{right_kind}]"
                )

    def string_operand(self, expr: ast.Pattern) -> None:
        kind = self.type_of(expr.expr)
        if kind not in (KEYWORD, UNKNOWN, NULL):
            operator = "RLIKE" if expr.regex else "LIKE"
            raise QueryRejected(f"{operator} needs a keyword or text operand, found [{kind}]")


def compatible(wanted: str, kind: str, expr: ast.Expr) -> bool:
    """``kind`` (of ``expr``) is acceptable where ``wanted`` is required."""
    if UNKNOWN in (wanted, kind) or NULL in (wanted, kind) or wanted == kind:
        return True
    if kind == KEYWORD and wanted in _IMPLICIT_FROM_STRING and isinstance(expr, ast.Literal):
        if wanted == IP and parse_ip(str(expr.value)) is None:
            raise QueryRejected(f"Cannot convert string [{expr.value}] to [IP]")
        return True
    return False


def _scalar_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "double" if isinstance(value, float) else "keyword"
