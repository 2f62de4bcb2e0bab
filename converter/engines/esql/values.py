"""What ES|QL reads for a field of an event, given the field's mapping in the Schema.

ES|QL columns take their type from the mapping (esql-limitations.md "Supported types": the keyword
family incl. constant_keyword and wildcard; the text family incl. match_only_text, which ES|QL
treats as keyword; ``short``/``byte`` as integer; float types as double). A multi-valued field is
a list; ``null`` elements of a list are not stored, and keyword fields drop duplicate values on
write (esql-multivalued-fields.md). A value longer than a keyword field's ``ignore_above`` is not
indexed and ES|QL returns ``null`` for it (elastic/elasticsearch issue #124678). A keyword field
with a normalizer is read from doc values, which hold the normalized term (esql-limitations.md,
"text fields behave like keyword fields": "a subfield may have been mapped with a normalizer,
which can transform the original string"): the model lowercases for the ``lowercase`` normalizer.
Such a subfield (a multi-field, ``process.executable.caseless``) is indexed from its parent's value
(mapping-reference/multi-fields): a mapped field the event lacks reads its parent's value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from converter.schema.ecs import NUMERIC_TYPES
from converter.schema.model import FieldSpec

Value = Any  # None, a scalar, or a tuple of two or more scalars (a multi-valued column)
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

KEYWORD, NUMERIC, IP, BOOLEAN, DATE, NULL, UNKNOWN = (
    "keyword",
    "numeric",
    "ip",
    "boolean",
    "date",
    "null",
    "unknown",
)
_TEXTUAL = {"keyword", "constant_keyword", "wildcard", "text", "match_only_text", "semantic_text"}
_NUMERIC = NUMERIC_TYPES


def column_type(spec: FieldSpec) -> str:
    """The ES|QL type family of a mapped field; UNKNOWN when the schema does not map it."""
    if not spec.known:
        return UNKNOWN
    if spec.type in _TEXTUAL:
        return KEYWORD
    if spec.type in _NUMERIC:
        return NUMERIC
    return {"ip": IP, "boolean": BOOLEAN, "date": DATE, "date_nanos": DATE}.get(spec.type, UNKNOWN)


def load(event: Mapping[str, Any], spec: FieldSpec) -> Value:
    """The column value of ``spec.name`` for ``event`` (None when absent or not indexed)."""
    raw = source_value(event, spec)
    items = [v for v in (raw if isinstance(raw, list) else [raw]) if v is not None]
    kind = column_type(spec)
    values = [c for c in (_coerce(v, kind, spec) for v in items) if c is not None]
    if kind == KEYWORD:
        values = sorted(set(values))  # keyword doc values are deduplicated (and sorted)
    return collapse(values)


def source_value(event: Mapping[str, Any], spec: FieldSpec) -> Any:
    """The document value a field is indexed from: its own, or, for a mapped field the event does
    not have, its parent's (a multi-field such as ``x.caseless`` indexes the parent's value)."""
    if spec.name in event or not spec.known:
        return event.get(spec.name)
    parent = spec.name.rpartition(".")[0]
    return event.get(parent) if parent else None


def collapse(values: list[Any]) -> Value:
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def _coerce(value: Any, kind: str, spec: FieldSpec) -> Any:
    if kind == KEYWORD:
        return _keyword(value, spec)
    if kind == NUMERIC:
        return _number(value)
    if kind == IP:
        return parse_ip(str(value))
    if kind == BOOLEAN:
        return value if isinstance(value, bool) else {"true": True, "false": False}.get(str(value))
    return value


def _keyword(value: Any, spec: FieldSpec) -> str | None:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if spec.ignore_above is not None and len(text) > spec.ignore_above:
        return None
    return text.lower() if spec.normalizer == "lowercase" else text


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return int(str(value))
    except ValueError:
        try:
            return float(str(value))
        except ValueError:
            return None


def parse_ip(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_multi(value: Value) -> bool:
    return isinstance(value, tuple)
