"""Evaluate a checked EQL condition against one event, the way Elasticsearch answers it.

Elasticsearch turns field-vs-constant predicates into Query DSL (term, wildcard, regexp, range,
terms; functions into script queries over doc values) and ``not`` into ``bool.must_not``. So each
predicate over fields is true or false per document, never null: a document without the field
does not match the predicate, and does match its negation (open point eql.negation_missing_field).
A multi-valued field matches when any value does (open point eql.multivalue). Values are read as
the mapping indexed them: keyword values longer than ignore_above are not indexed, numbers in a
keyword field are their string form, a lowercase normalizer lower-cases. A multi-field the schema
maps (``process.executable.caseless``) has no value of its own in the document: it is indexed from
its parent's value (mapping-reference/multi-fields), so it reads the parent's value, then its own
mapping (normalizer, ignore_above) applies.
"""

from __future__ import annotations

import ipaddress
import itertools
import operator
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from converter.engines import lucene_regexp
from converter.engines.eql import nodes as n
from converter.engines.eql.functions import FUNCTIONS
from converter.engines.eql.patterns import wildcard
from converter.schema.model import FieldSpec, Schema

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Evaluator:
    def __init__(self, schema: Schema, event: Mapping[str, Any], seen: set[str]) -> None:
        self.schema = schema
        self.event = event
        self.seen = seen  # open points met while evaluating (multi-valued fields)

    # -- predicates: always True/False ------------------------------------------------------
    def truth(self, expr: n.Expr) -> bool:
        if isinstance(expr, n.BoolOp):
            test = all if expr.op == "and" else any
            return test(self.truth(o) for o in expr.operands)
        if isinstance(expr, n.Not):
            return not self.truth(expr.operand)
        if isinstance(expr, n.Compare):
            return self.compare(expr)
        if isinstance(expr, n.Pattern):
            return self.pattern(expr)
        if isinstance(expr, n.InList):
            return self.in_list(expr)
        return any(v is True for v in self.values(expr))

    def compare(self, expr: n.Compare) -> bool:
        if _is_null(expr.right) or _is_null(expr.left):
            # ``f == null`` / ``f != null`` test presence (eql-syntax.md "Check if a field
            # exists"); an ordering against null is null, i.e. no match.
            if expr.op not in ("==", "!="):
                return False
            other = expr.left if _is_null(expr.right) else expr.right
            present = bool(self.values(other))
            return present if expr.op == "!=" else not present
        spec = self.spec_of(expr.left) or self.spec_of(expr.right)
        pairs = itertools.product(self.values(expr.left), self.values(expr.right))
        if expr.op in ("==", "!="):
            equal = any(_equal(a, b, spec, False) for a, b in pairs)
            return equal if expr.op == "==" else not equal
        return any(_ordered(a, b, _ORDER[expr.op]) for a, b in pairs)

    def pattern(self, expr: n.Pattern) -> bool:
        values = [v for v in self.values(expr.operand) if isinstance(v, str)]
        patterns = [_pattern_text(p.value) for p in expr.patterns if p.value is not None]
        spec = self.spec_of(expr.operand)
        normalize = spec is not None and spec.normalizer == "lowercase"
        for pattern in patterns:
            # Assumed (eql.normalizer_patterns): a keyword field's normalizer applies to the
            # pattern text as to term input, for wildcards and regexps alike; the Query DSL
            # model found this in Elasticsearch's StringFieldType (docs/engines.md).
            text = pattern.lower() if normalize else pattern
            if expr.kind == "regex":
                node = _regexp(text, expr.insensitive)
                if any(lucene_regexp.fullmatch(node, v) for v in values):
                    return True
            elif any(wildcard(text, expr.insensitive).fullmatch(v) for v in values):
                return True
        return False

    def in_list(self, expr: n.InList) -> bool:
        spec = self.spec_of(expr.operand)
        values = self.values(expr.operand)
        items = [v for item in expr.items for v in self.values(item)]
        found = any(_equal(v, i, spec, expr.insensitive) for v in values for i in items)
        return found != expr.negated

    # -- values: a list, empty for null -----------------------------------------------------
    def values(self, expr: n.Expr) -> list[Any]:
        if isinstance(expr, n.Const):
            return [] if expr.value is None else [expr.value]
        if isinstance(expr, n.Field):
            return self.field_values(expr.name)
        if isinstance(expr, n.Call):
            return self.call(expr)
        if isinstance(expr, n.Arith):
            return self.arith(expr)
        return [self.truth(expr)]

    def field_values(self, name: str) -> list[Any]:
        spec = self.schema.field(name)
        raw = source_value(self.event, spec)
        items = raw if isinstance(raw, list) else [raw]
        if isinstance(raw, list) and len(raw) > 1:
            self.seen.add("eql.multivalue")
        return [v for v in (_indexed(item, spec) for item in items) if v is not None]

    def call(self, expr: n.Call) -> list[Any]:
        spec = FUNCTIONS[expr.name]
        arg_values = [self.values(arg) for arg in expr.args]
        results = []
        for combo in itertools.product(*arg_values):
            try:
                results.append(spec.impl(combo, expr.insensitive))
            except (ValueError, TypeError, ZeroDivisionError, IndexError):
                continue  # the script yields null for this value
        return [r for r in results if r is not None]

    def arith(self, expr: n.Arith) -> list[Any]:
        if expr.right is None:
            return [-v for v in self.values(expr.left)]
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "+": operator.add,
            "-": operator.sub,
            "*": operator.mul,
            "%": operator.mod,
            "/": lambda a, b: a // b if isinstance(a, int) and isinstance(b, int) else a / b,
        }
        out = []
        for a, b in itertools.product(self.values(expr.left), self.values(expr.right)):
            try:
                out.append(ops[expr.op](a, b))
            except (ZeroDivisionError, TypeError):
                continue
        return out

    def spec_of(self, expr: n.Expr) -> FieldSpec | None:
        return self.schema.field(expr.name) if isinstance(expr, n.Field) else None


def category_matches(category: str | None, event: Mapping[str, Any]) -> bool:
    """``cat where``: a term query on event.category (any value; case-sensitive)."""
    if category is None:
        return True
    raw = event.get("event.category")
    return category in (raw if isinstance(raw, list) else [raw])


def source_value(event: Mapping[str, Any], spec: FieldSpec) -> Any:
    """The document value a field is indexed from: its own, or, for a mapped field the event does
    not have, its parent's (a multi-field such as ``x.caseless`` indexes the parent's value)."""
    if spec.name in event or not spec.known:
        return event.get(spec.name)
    parent = spec.name.rpartition(".")[0]
    return event.get(parent) if parent else None


def _pattern_text(value: Any) -> str:
    # Like folds its constant with toString(): true -> "true", 5 -> "5".
    return _as_text(value)


def _is_null(expr: n.Expr) -> bool:
    return isinstance(expr, n.Const) and expr.value is None


def _indexed(value: Any, spec: FieldSpec) -> Any:
    """What the mapping made of one JSON value (None: not indexed)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if spec.is_keyword or spec.is_text:
        text = _as_text(value)
        if spec.ignore_above is not None and len(text) > spec.ignore_above:
            return None
        return text.lower() if spec.normalizer == "lowercase" else text
    if spec.is_numeric:
        return _as_number(value)
    if spec.type == "ip":
        return _as_ip(value)
    if spec.type == "boolean":
        return value if isinstance(value, bool) else {"true": True, "false": False}.get(str(value))
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        number = float(str(value))
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in str(value) else number


def _as_ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


def _equal(value: Any, constant: Any, spec: FieldSpec | None, insensitive: bool) -> bool:
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return _ip_equal(value, constant)
    if isinstance(value, bool) or isinstance(constant, bool):
        return _as_text(value) == _as_text(constant)
    if isinstance(value, (int, float)) and not isinstance(constant, str):
        return bool(value == constant)
    if isinstance(value, (int, float)):
        return _as_number(constant) == value
    left, right = _as_text(value), _as_text(constant)
    if spec is not None and spec.normalizer == "lowercase":
        right = right.lower()  # the term query input is normalized too
    return left.lower() == right.lower() if insensitive else left == right


def _ip_equal(value: ipaddress.IPv4Address | ipaddress.IPv6Address, constant: Any) -> bool:
    # A term query on an ip field accepts an address or a CIDR block (mapping-reference/ip.md).
    try:
        network = ipaddress.ip_network(str(constant), strict=False)
    except ValueError:
        return False
    return network.version == value.version and value in network


def _ordered(a: Any, b: Any, op: Callable[[Any, Any], bool]) -> bool:
    if isinstance(a, str) != isinstance(b, str):
        a, b = _as_number(a), _as_number(b)
        if a is None or b is None:
            return False
    try:
        return op(a, b)
    except TypeError:
        return False


def walk_fields(expr: n.Expr) -> Iterator[str]:
    if isinstance(expr, n.Field):
        yield expr.name
    for value in vars(expr).values():
        for child in value if isinstance(value, tuple) else (value,):
            if hasattr(child, "__dataclass_fields__") and not isinstance(child, str):
                yield from walk_fields(child)


@cache
def _regexp(pattern: str, insensitive: bool) -> lucene_regexp.Node:
    """The shared Lucene RegExp model (converter/engines/lucene_regexp.py), parsed once."""
    return lucene_regexp.parse(pattern, insensitive)
