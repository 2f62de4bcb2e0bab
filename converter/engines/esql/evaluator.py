"""Evaluate an ES|QL expression against one row, with ES|QL's null and multi-value rules.

* Three-valued logic: a comparison with a ``null`` operand is ``null``; ``AND``/``OR``/``NOT``
  follow SQL's truth tables; WHERE keeps a row only when the condition is ``true``. So
  ``f != "x"`` and ``NOT f == "x"`` drop rows where f is missing; only ``IS NULL`` finds them
  (https://www.elastic.co/docs/reference/query-languages/esql/esql-null-values; trap T8).
* Multi-values: ``==`` and the other comparisons are ``null`` when either side is multi-valued
  (operators/layout/equals.md); so are LIKE/RLIKE and single-value functions, which also emit the
  warning "single-value function encountered multi-value" (esql-multivalued-fields.md; T16).
* Case: every string comparison, LIKE, RLIKE, STARTS_WITH and ENDS_WITH is case-sensitive over
  the whole value, text fields included (esql-limitations.md "text fields behave like keyword
  fields"; trap T1).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from converter.engines.base import NotModelled as BaseNotModelled
from converter.engines.esql import ast
from converter.engines.esql.convert import ConversionFailed
from converter.engines.esql.functions import SIGNATURES, Signature
from converter.engines.esql.patterns import like_regex, rlike_matches
from converter.engines.esql.values import DATE, UNKNOWN, Value, collapse, is_multi, parse_ip

MV_WARNING = "java.lang.IllegalArgumentException: single-value function encountered multi-value"

Lookup = Callable[[str], Value]
KindOf = Callable[[str], str]  # a column's type family (values.column_type); UNKNOWN if not known
# Casts that are the conversion functions ("::" is an alternative syntax for TO_<type>, see
# functions-operators/operators "Cast (::)").
_CAST_FUNCTIONS = {"long": "to_long", "double": "to_double"}


class NotModelled(BaseNotModelled):
    """A valid construct whose evaluation this model does not implement."""


class Evaluator:
    """Evaluates expressions for one row; ``lookup`` returns a column's value."""

    def __init__(
        self, lookup: Lookup, warnings: list[str], kind_of: KindOf = lambda _name: UNKNOWN
    ) -> None:
        self.lookup = lookup
        self.warnings = warnings
        self.kind_of = kind_of

    def value(self, expr: ast.Expr) -> Value:
        if isinstance(expr, ast.Field):
            return self.lookup(expr.name)
        if isinstance(expr, ast.Literal):
            return _literal(expr)
        if isinstance(expr, ast.Call):
            return self.call(expr)
        if isinstance(expr, ast.Cast):
            return self.cast(expr)
        if isinstance(expr, ast.Neg | ast.Arith):
            return self.arith(expr)
        return self.truth(expr)

    def truth(self, expr: ast.Expr) -> bool | None:
        if isinstance(expr, ast.And):
            return _and(self.truth(o) for o in expr.operands)
        if isinstance(expr, ast.Or):
            return _or(self.truth(o) for o in expr.operands)
        if isinstance(expr, ast.Not):
            inner = self.truth(expr.expr)
            return None if inner is None else not inner
        if isinstance(expr, ast.IsNull):
            return (self.value(expr.expr) is None) != expr.negated
        if isinstance(expr, ast.Compare):
            return self.compare(expr.op, self.value(expr.left), self.value(expr.right))
        if isinstance(expr, ast.In):
            return self.in_(expr)
        if isinstance(expr, ast.Pattern):
            return self.pattern(expr)
        if isinstance(expr, ast.MatchOp):
            raise NotModelled("the full-text match operator ':' is not modelled")
        result = self.value(expr)
        return result if isinstance(result, bool) or result is None else None

    def single(self, value: Value) -> Value:
        """A multi-value becomes null, with the warning ES|QL adds to the response."""
        if is_multi(value):
            self.warnings.append(MV_WARNING)
            return None
        return value

    def compare(self, op: str, left: Value, right: Value) -> bool | None:
        left, right = self.single(left), self.single(right)
        if left is None or right is None:
            return None
        try:
            left, right = _align(left, right)
        except _Mismatch:
            return None
        if left is None or right is None:
            return None
        return _COMPARISONS[op](left, right)

    def in_(self, expr: ast.In) -> bool | None:
        subject = self.single(self.value(expr.expr))
        if subject is None:
            return None
        results = [self.compare("==", subject, self.value(item)) for item in expr.items]
        found = True if True in results else None if None in results else False
        return None if found is None else found != expr.negated

    def pattern(self, expr: ast.Pattern) -> bool | None:
        subject = self.single(self.value(expr.expr))
        if subject is None:
            return None
        text = str(subject)
        if expr.regex:
            found = any(rlike_matches(p, text) for p in expr.patterns)
        else:
            found = any(like_regex(p).fullmatch(text) for p in expr.patterns)
        return found != expr.negated

    def call(self, expr: ast.Call) -> Value:
        signature = SIGNATURES.get(expr.name)
        if signature is None:
            raise NotModelled(f"the ES|QL function {expr.name.upper()} is not modelled")
        if signature.per_value:
            return self.convert(expr.name, signature, expr.args)
        args = [self.value(a) for a in expr.args]
        if not signature.multi:
            args = [self.single(a) for a in args]
            if any(a is None for a in args):
                return None
        return signature.impl(args)

    def convert(self, name: str, signature: Signature, args: tuple[ast.Expr, ...]) -> Value:
        """A type conversion: each value on its own; one that fails is dropped with a warning."""
        if len(args) != 1:
            raise NotModelled(f"{name.upper()} with a base argument is not modelled")
        if isinstance(args[0], ast.Field) and self.kind_of(args[0].name) == DATE:
            raise NotModelled(f"{name.upper()} of a date (epoch milliseconds) is not modelled")
        value = self.value(args[0])
        converted = []
        for item in value if is_multi(value) else () if value is None else (value,):
            try:
                converted.append(signature.impl([item]))
            except ConversionFailed as e:
                failed = f"evaluation of [{name.upper()}] failed, treating result as null"
                self.warnings += [failed, f"InvalidArgumentException: {e}"]
        return collapse(converted)

    def cast(self, expr: ast.Cast) -> Value:
        function = _CAST_FUNCTIONS.get(expr.type)
        if function is not None:
            return self.convert(function, SIGNATURES[function], (expr.expr,))
        value = self.single(self.value(expr.expr))
        if value is None or expr.type not in ("string", "keyword", "ip"):
            if value is None:
                return None
            raise NotModelled(f"the cast ::{expr.type} is not modelled")
        return parse_ip(str(value)) if expr.type == "ip" else str(value)

    def arith(self, expr: ast.Arith | ast.Neg) -> Value:
        if isinstance(expr, ast.Neg):
            operand = self.single(self.value(expr.expr))
            return None if operand is None else -operand
        left, right = self.single(self.value(expr.left)), self.single(self.value(expr.right))
        if left is None or right is None:
            return None
        if not all(isinstance(v, int | float) for v in (left, right)):
            raise NotModelled("date arithmetic is not modelled")
        return _ARITH[expr.op](left, right)


def _literal(expr: ast.Literal) -> Value:
    if expr.kind in ("param", "span", "map", "star"):
        raise NotModelled(f"{expr.kind} literals are not modelled")
    return expr.value


def _align(left: Any, right: Any) -> tuple[Any, Any]:
    """Implicit casting of a string literal to the other operand's ip type (implicit casting)."""
    if isinstance(left, ipaddress.IPv4Address | ipaddress.IPv6Address) and isinstance(right, str):
        return left, parse_ip(right)
    if isinstance(right, ipaddress.IPv4Address | ipaddress.IPv6Address) and isinstance(left, str):
        return parse_ip(left), right
    if isinstance(left, str) != isinstance(right, str):
        # Only a field the schema does not map gets here (the type checker refuses the rest):
        # with dynamic mapping its JSON type decides, and a string never equals a number.
        raise _Mismatch
    return left, right


class _Mismatch(Exception):
    pass


def _and(values: Iterable[bool | None]) -> bool | None:
    """SQL AND: false wins, then null."""
    seen_null = False
    for value in values:
        if value is False:
            return False
        seen_null = seen_null or value is None
    return None if seen_null else True


def _or(values: Iterable[bool | None]) -> bool | None:
    """SQL OR: true wins, then null."""
    seen_null = False
    for value in values:
        if value is True:
            return True
        seen_null = seen_null or value is None
    return None if seen_null else False


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: (
        None if b == 0 else (a // b if isinstance(a, int) and isinstance(b, int) else a / b)
    ),
    "%": lambda a, b: None if b == 0 else a % b,
}
