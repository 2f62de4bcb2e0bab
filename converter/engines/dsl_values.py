"""What an Elasticsearch mapping makes of an event value, and of a query's input value.

Elasticsearch matches on indexed terms, not on the JSON value: a keyword field indexes the whole
string (unless it is longer than ``ignore_above``; then nothing), after its normalizer; a text
field indexes the analyzer's tokens; numeric, ip, date and boolean fields index the parsed value.
Query input for term-level queries goes through the same conversion ("normalizers apply to query
input"), and input a numeric/ip/date/boolean field cannot parse is an error, which query_string
and multi_match ignore when lenient.

Sources (docs/engines.md has the table): mapping-reference keyword.md, ignore-above.md,
normalizer.md, number.md (coerce), ip.md, date.md, boolean.md; KeywordFieldMapper.indexValue.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from converter.engines import analysis
from converter.schema.model import FieldSpec

IpValue = ipaddress.IPv6Address
IpNetwork = ipaddress.IPv6Network

INTEGER_TYPES = frozenset({"long", "integer", "short", "byte", "unsigned_long"})
# Types searched like keyword: whole-value terms.
STRING_TYPES = frozenset({"keyword", "constant_keyword", "wildcard", "text", "match_only_text"})


class InputError(Exception):
    """Query input the field type cannot parse (Elasticsearch: a 400 error unless lenient)."""


def family(spec: FieldSpec) -> str:
    """keyword | wildcard | text | numeric | ip | date | boolean (other types count as keyword)."""
    if spec.type == "wildcard":
        return "wildcard"
    if spec.is_text:
        return "text"
    if spec.is_numeric:
        return "numeric"
    if spec.type in ("ip", "boolean"):
        return spec.type
    if spec.type in ("date", "date_nanos"):
        return "date"
    return "keyword"


def flatten(event: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted field names; nested objects (if an event has them) are flattened."""
    flat: dict[str, Any] = {}
    for key, value in event.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def scalars(raw: Any) -> list[Any]:
    """The values of a field: a list is a multi-valued field; null and [] are no value."""
    if raw is None:
        return []
    if isinstance(raw, list | tuple):
        return [v for item in raw for v in scalars(item)]
    return [raw]


def as_text(value: Any) -> str:
    """A JSON scalar as Elasticsearch's parser renders it for string fields."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def utf16_length(text: str) -> int:
    # ignore_above counts Java chars (UTF-16 code units), not code points.
    return len(text.encode("utf-16-le")) // 2


def keyword_terms(values: list[Any], spec: FieldSpec) -> list[str]:
    """Indexed terms of a keyword/wildcard field: over-ignore_above values are not indexed."""
    terms = []
    for value in values:
        text = as_text(value)
        if spec.ignore_above is not None and utf16_length(text) > spec.ignore_above:
            continue
        terms.append(analysis.normalize(text, spec.normalizer) if spec.normalizer else text)
    return terms


def text_tokens(values: list[Any], spec: FieldSpec) -> list[list[str]]:
    """Per value, the analyzer's tokens (phrases never span two values: position_increment_gap)."""
    return [analysis.analyze(as_text(v), spec.analyzer) for v in values]


def parse_number(value: Any, spec: FieldSpec) -> float | int:
    """``coerce`` (default true): numeric strings are accepted; integer types truncate."""
    if isinstance(value, bool):
        raise InputError(f"[{spec.name}] of type [{spec.type}] cannot parse boolean {value}")
    if isinstance(value, int | float):
        number: float | int = value
    else:
        try:
            number = float(str(value)) if not str(value).lstrip("-").isdigit() else int(str(value))
        except ValueError as e:
            raise InputError(f'For input string: "{value}" ([{spec.name}] {spec.type})') from e
    if isinstance(number, float) and not math.isfinite(number):
        raise InputError(f"[{spec.name}] {spec.type} does not accept {value}")
    if spec.type in INTEGER_TYPES and isinstance(number, float):
        return math.trunc(number)
    return number


def parse_ip(value: Any) -> IpValue:
    """An address; IPv4 is kept as IPv4-mapped IPv6, as Elasticsearch indexes it."""
    try:
        address = ipaddress.ip_address(as_text(value).strip())
    except ValueError as e:
        raise InputError(f"'{value}' is not an IP string literal.") from e
    if isinstance(address, ipaddress.IPv4Address):
        return ipaddress.IPv6Address(f"::ffff:{address}")
    return address


def parse_cidr(value: str) -> IpNetwork:
    """``a.b.c.d/n`` (or IPv6) as a network of IPv4-mapped IPv6 addresses."""
    address, _, length = value.partition("/")
    try:
        prefix = int(length)
        base = ipaddress.ip_address(address)
        if isinstance(base, ipaddress.IPv4Address):
            mapped = ipaddress.IPv6Address(f"::ffff:{base}")
            return ipaddress.IPv6Network(f"{mapped}/{96 + prefix}", strict=False)
        return ipaddress.IPv6Network(f"{base}/{prefix}", strict=False)
    except ValueError as e:
        raise InputError(f"Expected [ip/prefix] but was [{value}]") from e


def parse_date(value: Any) -> int:
    """Epoch milliseconds under the default format ``strict_date_optional_time||epoch_millis``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = as_text(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as e:
        raise InputError(f"failed to parse date field [{value}]") from e
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # dates without a zone are UTC
    return int(parsed.timestamp() * 1000)


def parse_boolean(value: Any) -> bool:
    """``true``/``false`` (and the empty string, which is false)."""
    if isinstance(value, bool):
        return value
    text = as_text(value)
    if text in ("true", "false", ""):
        return text == "true"
    raise InputError(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def typed_values(values: list[Any], spec: FieldSpec) -> Iterator[Any]:
    """Parsed values of a numeric/ip/date/boolean field; values it cannot parse are skipped.

    (Assumed: the document is indexed without them, as with ``ignore_malformed``; see
    OPEN_POINT_MALFORMED.)
    """
    kind = family(spec)
    for value in values:
        try:
            yield parse_typed(value, spec, kind)
        except InputError:
            continue


def parse_typed(value: Any, spec: FieldSpec, kind: str) -> Any:
    if kind == "numeric":
        return parse_number(value, spec)
    if kind == "ip":
        return parse_ip(value)
    if kind == "date":
        return parse_date(value)
    return parse_boolean(value)
