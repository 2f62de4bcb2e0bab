"""Type checking as Elasticsearch's EQL analyzer and verifier do it, against a Schema.

Each rule is cited in docs/engines.md. In short: the condition must be boolean; a field may
not be compared with a field; ``==``/``!=``/``<``.../``in``/``like``/``regex`` and the string
functions need an *exact* field (QL TypeResolutions isExact/isStringAndExact: ``text`` is not,
and a normalized keyword would not be, but Elasticsearch's IndexResolver builds every keyword
field with ``normalized = false``, so in production normalized keywords pass); ``:`` and ``in~``
need strings on both sides; ``text`` fields are not supported; ``cidrMatch`` needs an ``ip``
field. A field the schema does not know passes every type check (its real type is unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from converter.engines import lucene_regexp
from converter.engines.base import QueryRejected
from converter.engines.eql import nodes as n
from converter.engines.eql.functions import FUNCTIONS
from converter.schema.model import FieldSpec, Schema

UNSUPPORTED_TYPES = frozenset(
    {
        "nested",
        "geo_point",
        "geo_shape",
        "alias",
        "integer_range",
        "float_range",
        "long_range",
        "double_range",
        "date_range",
        "ip_range",
        "object",
        "flattened",
    }
)


@dataclass(frozen=True)
class Kind:
    """What an expression evaluates to, as far as the verifier cares."""

    type: str  # string, text, numeric, ip, boolean, date, null, unknown, other
    exact: bool = True  # False: text
    field: bool = False  # contains a field reference
    reason: str = ""  # why not exact


NULL = Kind("null")
BOOLEAN = Kind("boolean")


class Checker:
    """Walks a statement, raises QueryRejected, and collects the open points it depends on."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.assumptions: set[str] = set()

    def statement(self, statement: n.Statement) -> None:
        for event_filter in statement.filters:
            self.condition(event_filter.condition)
        for key in statement.keys:
            self.kind(key)

    def condition(self, expr: n.Expr) -> None:
        kind = self.kind(expr)
        if kind.type not in ("boolean", "null", "unknown"):
            raise QueryRejected(f"Condition expression needs to be boolean, found [{kind.type}]")

    def kind(self, expr: n.Expr) -> Kind:
        method = getattr(self, "_" + type(expr).__name__.lower())
        result: Kind = method(expr)
        return result

    def _const(self, expr: n.Const) -> Kind:
        value = expr.value
        if value is None:
            return NULL
        if isinstance(value, bool):
            return BOOLEAN
        return Kind("string") if isinstance(value, str) else Kind("numeric")

    def _field(self, expr: n.Field) -> Kind:
        if not self.schema.has(expr.name):
            # Elasticsearch refuses unknown fields ("Unknown column [x]") unless ``?``; the
            # built-in schema cannot know every index, so unknown fields count as keyword.
            self.assumptions.add("eql.unmapped_field")
            return Kind("unknown", field=True)
        return field_kind(self.schema.field(expr.name))

    def _not(self, expr: n.Not) -> Kind:
        self.condition(expr.operand)
        if _has_field(expr.operand):
            self.assumptions.add("eql.negation_missing_field")
        return BOOLEAN

    def _boolop(self, expr: n.BoolOp) -> Kind:
        for operand in expr.operands:
            self.condition(operand)
        return BOOLEAN

    def _compare(self, expr: n.Compare) -> Kind:
        left, right = self.kind(expr.left), self.kind(expr.right)
        if left.field and right.field:
            raise QueryRejected("Comparisons against fields are not supported")
        for side in (left, right):
            _require_exact(side, expr.op)
        if expr.op == "!=" and (left.field or right.field):
            self.assumptions.add("eql.negation_missing_field")
        return BOOLEAN

    def _pattern(self, expr: n.Pattern) -> Kind:
        operand = self.kind(expr.operand)
        symbol = expr.kind + ("~" if expr.insensitive and expr.kind != ":" else "")
        if isinstance(expr.operand, n.Field) and self.schema.field(expr.operand.name).normalizer:
            self.assumptions.add("eql.normalizer_patterns")
        if expr.kind == ":":
            _require_string(operand, symbol, "first")
        else:
            _require_string(operand, symbol, "first")
            _require_exact(operand, symbol)
        for pattern in expr.patterns:
            if expr.kind == "like" and pattern.value is not None:
                continue  # Like folds any constant to its string form
            _require_string(self._const(pattern), symbol, "second")
            if expr.kind == "regex" and isinstance(pattern.value, str):
                _require_regexp(pattern.value)
        return BOOLEAN

    def _inlist(self, expr: n.InList) -> Kind:
        operand = self.kind(expr.operand)
        symbol = "in~" if expr.insensitive else "in"
        if expr.insensitive:
            _require_string(operand, symbol, "first")
        else:
            _require_exact(operand, symbol)
        for item in expr.items:
            self._in_item(operand, self.kind(item), symbol, expr.insensitive)
        if expr.negated and operand.field:
            self.assumptions.add("eql.negation_missing_field")
        return BOOLEAN

    def _in_item(self, operand: Kind, item: Kind, symbol: str, insensitive: bool) -> None:
        if item.field:
            raise QueryRejected("Comparisons against fields are not supported")
        if item.type == "null":
            return
        if insensitive:
            _require_string(item, symbol, "second")
        elif not _compatible(operand.type, item.type):
            raise QueryRejected(
                f"2nd argument of [{symbol}] must be [{operand.type}], found type [{item.type}]"
            )

    def _call(self, expr: n.Call) -> Kind:
        spec = FUNCTIONS.get(expr.name)
        if spec is None:
            raise QueryRejected(f"Unknown function [{expr.name}]")
        if expr.insensitive and not spec.insensitive_variant:
            raise QueryRejected(f"Function [{expr.name}] does not support case-insensitivity (~)")
        if not spec.min_args <= len(expr.args) <= spec.max_args:
            raise QueryRejected(f"wrong number of arguments for [{expr.name}]")
        kinds = [self.kind(arg) for arg in expr.args]
        for position, kind in enumerate(kinds):
            _require_param(kind, spec.param(position), expr.name)
        return Kind(spec.returns, field=any(k.field for k in kinds))

    def _arith(self, expr: n.Arith) -> Kind:
        operands = [expr.left] if expr.right is None else [expr.left, expr.right]
        kinds = [self.kind(o) for o in operands]
        for kind in kinds:
            if kind.type not in ("numeric", "null", "unknown"):
                raise QueryRejected(f"arithmetic needs numbers, found [{kind.type}]")
        return Kind("numeric", field=any(k.field for k in kinds))


def field_kind(spec: FieldSpec) -> Kind:
    if spec.type in UNSUPPORTED_TYPES:
        raise QueryRejected(f"Cannot use field [{spec.name}] with unsupported type [{spec.type}]")
    if spec.is_text:
        # eql-syntax.md "Text fields are not supported"; QL: "No keyword/multi-field defined
        # exact matches".
        return Kind("text", False, True, f"field [{spec.name}] of type [text] is not supported")
    if spec.is_keyword:
        return Kind("string", field=True)
    if spec.is_numeric:
        return Kind("numeric", field=True)
    if spec.type in ("ip", "boolean", "date", "date_nanos"):
        return Kind(spec.type if spec.type != "date_nanos" else "date", field=True)
    return Kind("other", field=True)


def _require_exact(kind: Kind, symbol: str) -> None:
    if kind.type == "text":
        raise QueryRejected(f"[{symbol}] cannot operate on {kind.reason}")


def _require_string(kind: Kind, symbol: str, ordinal: str) -> None:
    if kind.type == "text":
        raise QueryRejected(f"[{symbol}] cannot operate on {kind.reason}")
    if kind.type not in ("string", "null", "unknown"):
        raise QueryRejected(
            f"{ordinal} argument of [{symbol}] must be [string], found type [{kind.type}]"
        )


def _require_param(kind: Kind, param: str, function: str) -> None:
    if kind.type in ("null", "unknown") or param == "any":
        return
    if kind.type == "text":
        raise QueryRejected(f"[{function}] cannot operate on {kind.reason}")
    if param == "string":
        _require_string(kind, function, "an")
        _require_exact(kind, function)
    elif (param == "ip" and kind.field and kind.type != "ip") or (
        param == "ip" and not kind.field and kind.type != "string"
    ):
        raise QueryRejected(f"first argument of [{function}] must be [ip], found [{kind.type}]")
    elif param in ("numeric", "boolean") and kind.type != param:
        raise QueryRejected(f"argument of [{function}] must be [{param}], found [{kind.type}]")
    elif param == "constant_string" and (kind.field or kind.type != "string"):
        raise QueryRejected(f"arguments of [{function}] must be string constants")


def _compatible(left: str, right: str) -> bool:
    if left == "unknown":
        return True
    if left in ("string", "ip", "date", "other"):
        return right == "string" or left == "other"
    return left == right


def _walk(expr: n.Expr) -> Iterator[n.Expr]:
    yield expr
    for value in vars(expr).values():
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(
                child,
                (
                    n.Const,
                    n.Field,
                    n.Not,
                    n.BoolOp,
                    n.Compare,
                    n.Pattern,
                    n.InList,
                    n.Call,
                    n.Arith,
                ),
            ):
                yield from _walk(child)


def _has_field(expr: n.Expr) -> bool:
    return any(isinstance(node, n.Field) for node in _walk(expr))


def _require_regexp(pattern: str) -> None:
    """Elasticsearch parses the pattern as a Lucene RegExp and fails the query when it cannot."""
    try:
        lucene_regexp.parse(pattern)
    except lucene_regexp.RegexpSyntaxError as e:
        raise QueryRejected(f"invalid regular expression {pattern!r}: {e}") from e
