"""The ES|QL scalar functions the model evaluates, with the types the analyzer demands of them.

Signatures come from the generated function pages under docs/reference/query-languages/esql/
_snippets/functions/types/ (e.g. cidr_match.md: ``ip`` is ``ip``, ``blockX`` is keyword or text;
starts_with.md / ends_with.md: ``str`` and ``prefix``/``suffix`` keyword or text; to_lower.md,
to_upper.md, length.md: ``str`` keyword or text). Every single-value function returns ``null``
on a multi-valued argument with a warning (esql-multivalued-fields.md "Functions"); the ``MV_*``
functions and TO_STRING take multi-values by design. The conversions TO_LONG and TO_DOUBLE
(to_long.md, to_double.md: boolean, date, keyword, text or a number; converter.engines.esql.convert)
convert each value of a multi-value on its own (``per_value``). An argument type written
``a|b`` accepts either family.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from converter.engines.esql import convert
from converter.engines.esql.values import IP, KEYWORD, NUMERIC, UNKNOWN, is_multi, parse_ip

Impl = Callable[[list[Any]], Any]


@dataclass(frozen=True)
class Signature:
    args: tuple[str, ...]  # required type family of each leading argument ("" = any)
    returns: str  # type family; "" = same as the first argument
    impl: Impl
    multi: bool = False  # takes multi-valued arguments
    per_value: bool = False  # impl([value]) per value of the one argument; ConversionFailed: null


def _cidr(args: list[Any]) -> bool:
    address, blocks = args[0], args[1:]
    if isinstance(address, str):  # an unmapped field's value, read as text: parse it
        try:
            address = ipaddress.ip_address(address)
        except ValueError:
            return False
    return any(address in ipaddress.ip_network(str(b), strict=False) for b in blocks)


def _mv(args: list[Any]) -> tuple[Any, ...]:
    value = args[0]
    return value if is_multi(value) else (value,)


def _mv_pick(pick: Callable[[tuple[Any, ...]], Any]) -> Impl:
    return lambda args: None if args[0] is None else pick(_mv(args))


def _to_string(args: list[Any]) -> Any:
    def one(v: Any) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    value = args[0]
    return tuple(one(v) for v in value) if is_multi(value) else one(value)


# What the type-conversion pages list as input (unsigned_long and counters are numeric here).
_CONVERTIBLE = "keyword|numeric|boolean|date"


def _conversion(one: Callable[[Any], Any]) -> Signature:
    return Signature((_CONVERTIBLE,), NUMERIC, lambda a: one(a[0]), multi=True, per_value=True)


def _concat(args: list[Any]) -> str:
    return "".join(str(a) for a in args)


SIGNATURES: dict[str, Signature] = {
    "to_lower": Signature((KEYWORD,), KEYWORD, lambda a: str(a[0]).lower()),
    "to_upper": Signature((KEYWORD,), KEYWORD, lambda a: str(a[0]).upper()),
    "length": Signature((KEYWORD,), NUMERIC, lambda a: len(str(a[0]))),
    "starts_with": Signature(
        (KEYWORD, KEYWORD), "boolean", lambda a: str(a[0]).startswith(str(a[1]))
    ),
    "ends_with": Signature((KEYWORD, KEYWORD), "boolean", lambda a: str(a[0]).endswith(str(a[1]))),
    "cidr_match": Signature((IP, KEYWORD), "boolean", _cidr),
    "concat": Signature((KEYWORD, KEYWORD), KEYWORD, _concat),
    "trim": Signature((KEYWORD,), KEYWORD, lambda a: str(a[0]).strip()),
    "to_string": Signature(("",), KEYWORD, _to_string, multi=True),
    "to_ip": Signature(("",), IP, lambda a: parse_ip(str(a[0]))),
    "to_long": _conversion(convert.to_long),
    "to_double": _conversion(convert.to_double),
    "mv_count": Signature(("",), NUMERIC, _mv_pick(len), multi=True),
    "mv_first": Signature(("",), "", _mv_pick(lambda v: v[0]), multi=True),
    "mv_last": Signature(("",), "", _mv_pick(lambda v: v[-1]), multi=True),
    "mv_min": Signature(("",), "", _mv_pick(min), multi=True),
    "mv_max": Signature(("",), "", _mv_pick(max), multi=True),
    "mv_concat": Signature(
        ("", KEYWORD),
        KEYWORD,
        lambda a: None if a[0] is None else str(a[1]).join(map(str, _mv(a))),
        multi=True,
    ),
}


def return_type(name: str, arg_types: list[str]) -> str:
    signature = SIGNATURES.get(name)
    if signature is None:
        return UNKNOWN
    if signature.returns == "":
        return arg_types[0] if arg_types else UNKNOWN
    return signature.returns


# Every function and aggregate named on the ES|QL function reference pages
# (docs/reference/query-languages/esql/functions-operators/*.md); any other name is an
# "Unknown function" verification error.
KNOWN_FUNCTIONS = frozenset(
    [
        "abs",
        "acos",
        "asin",
        "atan",
        "atan2",
        "avg",
        "bit_length",
        "bucket",
        "byte_length",
        "case",
        "categorize",
        "cbrt",
        "ceil",
        "cidr_match",
        "coalesce",
        "concat",
        "contains",
        "cos",
        "cosh",
        "count",
        "count_distinct",
        "date_diff",
        "date_extract",
        "date_format",
        "date_parse",
        "date_trunc",
        "day_name",
        "e",
        "ends_with",
        "exp",
        "first",
        "floor",
        "from_base64",
        "greatest",
        "hash",
        "hypot",
        "ip_prefix",
        "kql",
        "knn",
        "last",
        "least",
        "left",
        "length",
        "locate",
        "log",
        "log10",
        "ltrim",
        "match",
        "match_phrase",
        "max",
        "md5",
        "median",
        "median_absolute_deviation",
        "min",
        "month_name",
        "mv_append",
        "mv_avg",
        "mv_concat",
        "mv_contains",
        "mv_count",
        "mv_dedupe",
        "mv_first",
        "mv_intersection",
        "mv_last",
        "mv_max",
        "mv_median",
        "mv_median_absolute_deviation",
        "mv_min",
        "mv_percentile",
        "mv_pseries_weighted_sum",
        "mv_slice",
        "mv_sort",
        "mv_sum",
        "mv_union",
        "mv_zip",
        "now",
        "percentile",
        "pi",
        "pow",
        "qstr",
        "repeat",
        "replace",
        "reverse",
        "right",
        "round",
        "round_to",
        "rtrim",
        "sample",
        "scalb",
        "sha1",
        "sha256",
        "signum",
        "sin",
        "sinh",
        "space",
        "split",
        "sqrt",
        "st_centroid_agg",
        "st_contains",
        "st_disjoint",
        "st_distance",
        "st_envelope",
        "st_extent_agg",
        "st_geohash",
        "st_geohex",
        "st_geotile",
        "st_intersects",
        "st_within",
        "st_x",
        "st_xmax",
        "st_xmin",
        "st_y",
        "st_ymax",
        "st_ymin",
        "starts_with",
        "std_dev",
        "substring",
        "sum",
        "tan",
        "tanh",
        "tau",
        "term",
        "to_aggregate_metric_double",
        "to_base64",
        "to_boolean",
        "to_cartesianpoint",
        "to_cartesianshape",
        "to_date_nanos",
        "to_dateperiod",
        "to_datetime",
        "to_degrees",
        "to_double",
        "to_geopoint",
        "to_geoshape",
        "to_integer",
        "to_ip",
        "to_long",
        "to_lower",
        "to_radians",
        "to_string",
        "to_timeduration",
        "to_unsigned_long",
        "to_upper",
        "to_version",
        "top",
        "trim",
        "url_decode",
        "url_encode",
        "url_encode_component",
        "values",
        "variance",
        "weighted_avg",
        "json_extract",
        "chunk",
        "absent",
        "present",
        "to_geohash",
        "to_geohex",
        "to_geotile",
        "decay",
        "score",
        "to_dense_vector",
        "text_embedding",
    ]
)
