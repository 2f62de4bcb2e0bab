"""Evaluate eval expressions (``where``, ``eval``) against one result row.

Eval is case-sensitive (Search Reference, ``where``). Values are strings, numbers, booleans or
None (null: a missing field); a multivalue field is a list. Logic is three-valued: a comparison
with null is null and ``where`` keeps a row only when its expression is true (spl-eval-null).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

from converter.engines.base import QueryRejected
from converter.engines.spl.errors import NotModelled
from converter.engines.spl.eval_parser import Call, Expr, Field, Lit, Op
from converter.engines.spl.pcre import compile_pcre
from converter.engines.spl.values import as_number, render

Scalar = str | float | bool | None
Row = Mapping[str, Any]


def _field(row: Row, name: str) -> Any:
    value = row.get(name)
    if isinstance(value, list):
        items = [_scalar(item) for item in value if item is not None]
        return items or None
    return _scalar(value)


def _scalar(value: Any) -> Scalar:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return render(value)
    number = as_number(str(value))
    return number if number is not None else str(value)


def _text(value: Any) -> str | None:
    """A value as a string (numbers without a needless .0)."""
    if value is None:
        return None
    if isinstance(value, list):
        return _text(value[0]) if value else None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _num(value: Any) -> float | None:
    text = _text(value)
    return None if text is None else as_number(text)


def _any(value: Any, test: Callable[[Any], bool | None]) -> bool | None:
    """Apply a test to a value or, for a multivalue, to each value (any true wins)."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    results = [test(item) for item in items]
    return True if any(results) else (None if None in results else False)


def _equal(left: Any, right: Any) -> bool | None:
    def test(item: Any) -> bool | None:
        if right is None or isinstance(right, list):
            return None
        lnum, rnum = _num(item), _num(right)
        if lnum is not None and rnum is not None:
            return lnum == rnum
        return _text(item) == _text(right)

    return _any(left, test)


def _order(op: str, left: Any, right: Any) -> bool | None:
    def test(item: Any) -> bool | None:
        lnum, rnum = _num(item), _num(right)
        a: Any = lnum if lnum is not None and rnum is not None else _text(item)
        b: Any = rnum if lnum is not None and rnum is not None else _text(right)
        if a is None or b is None:
            return None
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])

    return _any(left, test)


def _like(value: Any, pattern: Any) -> bool | None:
    if pattern is None:
        return None
    body = "".join(
        ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in _text(pattern) or ""
    )
    regex = re.compile(f"^{body}\\Z", re.DOTALL)
    return _any(value, lambda item: regex.match(_text(item) or "") is not None)


def _match(value: Any, pattern: Any) -> bool | None:
    if pattern is None:
        return None
    regex = compile_pcre(_text(pattern) or "")
    return _any(value, lambda item: regex.search(_text(item) or "") is not None)


def _cidrmatch(cidr: Any, value: Any) -> bool | None:
    try:
        network = ipaddress.ip_network(_text(cidr) or "", strict=False)
    except ValueError:
        return False

    def test(item: Any) -> bool:
        try:
            return ipaddress.ip_address((_text(item) or "").strip()) in network
        except ValueError:
            return False

    return _any(value, test)


def _if(cond: Any, then: Any, other: Any) -> Any:
    return then if cond is True else other


def _case(*args: Any) -> Any:
    for cond, value in zip(args[::2], args[1::2], strict=False):
        if cond is True:
            return value
    return None


def _coalesce(*args: Any) -> Any:
    return next((arg for arg in args if arg is not None), None)


def _map_text(func: Callable[[str], Any]) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if isinstance(value, list):
            return [func(_text(item) or "") for item in value]
        text = _text(value)
        return None if text is None else func(text)

    return apply


def _tonumber(value: Any) -> Any:
    return _num(value)


def _mvcount(value: Any) -> Any:
    return None if value is None else float(len(value) if isinstance(value, list) else 1)


def _replace(value: Any, pattern: Any, repl: Any) -> Any:
    regex = compile_pcre(_text(pattern) or "")
    replacement = re.sub(r"\\(\d)", r"\\g<\1>", _text(repl) or "")
    return _map_text(lambda text: regex.sub(replacement, text))(value)


# name -> (function, minimum arguments, maximum arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "if": (_if, 3, 3),
    "case": (_case, 2, 200),
    "coalesce": (_coalesce, 1, 200),
    "isnull": (lambda v: v is None, 1, 1),
    "isnotnull": (lambda v: v is not None, 1, 1),
    "match": (_match, 2, 2),
    "like": (_like, 2, 2),
    "cidrmatch": (_cidrmatch, 2, 2),
    "lower": (_map_text(str.lower), 1, 1),
    "upper": (_map_text(str.upper), 1, 1),
    "len": (_map_text(lambda text: float(len(text))), 1, 1),
    "trim": (_map_text(str.strip), 1, 2),
    "tostring": (_map_text(lambda text: text), 1, 2),
    "tonumber": (_tonumber, 1, 2),
    "mvcount": (_mvcount, 1, 1),
    "replace": (_replace, 3, 3),
    "true": (lambda: True, 0, 0),
    "false": (lambda: False, 0, 0),
    "null": (lambda: None, 0, 0),
}


# Evaluation functions of the Search Reference's quick reference that the model does not run.
KNOWN_UNMODELLED = frozenset(
    [
        "abs",
        "acos",
        "acosh",
        "asin",
        "asinh",
        "atan",
        "atan2",
        "atanh",
        "avg",
        "bit_and",
        "bit_or",
        "bit_not",
        "bit_xor",
        "bit_shift_left",
        "bit_shift_right",
        "ceil",
        "ceiling",
        "commands",
        "cos",
        "cosh",
        "exact",
        "exp",
        "floor",
        "hypot",
        "in",
        "ipmask",
        "isbool",
        "isint",
        "isnum",
        "isstr",
        "json_array",
        "json_extract",
        "json_keys",
        "json_object",
        "json_set",
        "json_valid",
        "ln",
        "log",
        "lookup",
        "ltrim",
        "max",
        "md5",
        "min",
        "mvappend",
        "mvdedup",
        "mvfilter",
        "mvfind",
        "mvindex",
        "mvjoin",
        "mvmap",
        "mvrange",
        "mvsort",
        "mvzip",
        "now",
        "nullif",
        "pi",
        "pow",
        "printf",
        "random",
        "relative_time",
        "round",
        "rtrim",
        "searchmatch",
        "sha1",
        "sha256",
        "sha512",
        "sigfig",
        "sin",
        "sinh",
        "spath",
        "split",
        "sqrt",
        "strftime",
        "strptime",
        "substr",
        "tan",
        "tanh",
        "time",
        "typeof",
        "urldecode",
        "validate",
    ]
)


def check_calls(expr: Expr) -> None:
    """Refuse unknown functions and wrong arities, as Splunk does at parse time."""
    if isinstance(expr, Call):
        if expr.name in KNOWN_UNMODELLED:
            raise NotModelled(f"the {expr.name}() eval function is not modelled")
        if expr.name not in FUNCTIONS:
            raise QueryRejected(f"unknown eval function {expr.name!r}")
        _, low, high = FUNCTIONS[expr.name]
        if not low <= len(expr.args) <= high:
            raise QueryRejected(f"eval function {expr.name}() takes {low}..{high} arguments")
    for arg in expr.args if isinstance(expr, Call | Op) else ():
        check_calls(arg)


def _logic(op: str, values: list[Any]) -> bool | None:
    truth = [value if isinstance(value, bool) or value is None else bool(value) for value in values]
    if op == "AND":
        return False if False in truth else (None if None in truth else True)
    if op == "OR":
        return True if True in truth else (None if None in truth else False)
    if None in truth:
        return None
    return sum(bool(t) for t in truth) % 2 == 1  # XOR


def _arith(op: str, left: Any, right: Any) -> Any:
    if op == ".":
        lt, rt = _text(left), _text(right)
        return None if lt is None or rt is None else lt + rt
    a, b = _num(left), _num(right)
    if a is None or b is None:
        if op == "+" and _text(left) is not None and _text(right) is not None:
            return (_text(left) or "") + (_text(right) or "")
        return None
    if op in ("/", "%") and b == 0:
        return None
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None, "%": a % b}[op]


def _operator(op: str, args: list[Any]) -> Any:
    if op in ("AND", "OR", "XOR"):
        return _logic(op, args)
    if op == "NOT":
        value = _logic("AND", args)
        return None if value is None else not value
    if op in ("=", "=="):
        return _equal(args[0], args[1])
    if op == "!=":
        same = _equal(args[0], args[1])
        return None if same is None else not same
    if op in ("<", "<=", ">", ">="):
        return _order(op, args[0], args[1])
    if op == "LIKE":
        return _like(args[0], args[1])
    if op == "IN":
        return _logic("OR", [_equal(args[0], item) for item in args[1:]])
    if op == "neg":
        number = _num(args[0])
        return None if number is None else -number
    return _arith(op, args[0], args[1])


def evaluate(expr: Expr, row: Row) -> Any:
    if isinstance(expr, Lit):
        return expr.value
    if isinstance(expr, Field):
        return _field(row, expr.name)
    args = [evaluate(arg, row) for arg in expr.args]
    if isinstance(expr, Call):
        return FUNCTIONS[expr.name][0](*args)
    return _operator(expr.op, args)


def stored(value: Any) -> Any:
    """An eval result as a field value (numbers rendered the way Splunk prints them)."""
    if isinstance(value, list):
        return [_text(item) for item in value]
    return _text(value)
