"""ES|QL's TO_LONG and TO_DOUBLE on one value, as Elasticsearch computes them.

Documented behaviour (functions-operators/type-conversion-functions, pages to_long and to_double,
https://www.elastic.co/docs/reference/query-languages/esql/functions-operators/type-conversion-functions):
a string is parsed as a number; a string that does not parse gives ``null`` and a *Warning*
header ("evaluation of [TO_LONG(str3)] failed, treating result as null"); boolean true/false
become 1/0; the input may be multi-valued, and each value is converted on its own.

The parsing rules are Elasticsearch's (x-pack/plugin/esql ``EsqlDataTypeConverter.stringToLong``
and ``stringToDouble``, esql-core ``StringUtils.parseLong``/``parseDouble``,
``DataTypeConverter.safeDoubleToLong``): TO_DOUBLE is Java's ``Double.parseDouble`` (surrounding
whitespace, an exponent, a trailing ``d``/``f`` and hexadecimal ``0x1p3`` forms are accepted),
with NaN and infinite results refused. TO_LONG is ``Long.parseLong`` (sign and digits only) and,
when that fails, the TO_DOUBLE parse rounded with ``Math.round`` (halves up: "2147483648.2" ->
2147483648, "2.5" -> 3), refused outside the long range. The generated evaluators
(``ToLongFromStringEvaluator``) skip each value that fails, so a multi-value keeps the values that
convert and is ``null`` only when none does.
"""

from __future__ import annotations

import math
import re
from typing import Any

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1

# Java's FloatingDecimal grammar (Double.valueOf javadoc), without NaN/Infinity (refused anyway).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?")
_HEX = re.compile(
    r"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+)[fFdD]?"
)
_LONG = re.compile(r"[+-]?\d+")  # Long.parseLong: Character.digit takes any Unicode digit


class ConversionFailed(ValueError):
    """The value does not convert: ES|QL yields null for it and adds a warning."""


def to_double(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return parse_double(str(value))


def to_long(value: Any) -> int:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round_to_long(value)
    text = str(value)
    if _LONG.fullmatch(text) and LONG_MIN <= int(text) <= LONG_MAX:
        return int(text)
    try:
        return round_to_long(parse_double(text))
    except ConversionFailed as e:
        raise ConversionFailed(f"Cannot parse number [{text}]") from e


def parse_double(text: str) -> float:
    """Java ``Double.parseDouble`` (it strips characters up to U+0020 at both ends), finite only."""
    body = text.strip("".join(map(chr, range(0x21))))
    hex_match = _HEX.fullmatch(body)
    if hex_match:
        sign, digits = hex_match.groups()
        number = float.fromhex(sign + "0x" + digits.replace("P", "p"))
    elif _DECIMAL.fullmatch(body):
        number = float(body.rstrip("fFdD"))
    else:
        raise ConversionFailed(f"Cannot parse number [{text}]")
    if math.isinf(number):
        raise ConversionFailed(f"Number [{text}] is too large")
    return number


def round_to_long(number: float) -> int:
    """``safeDoubleToLong``: refused outside the long range, else Java's ``Math.round``."""
    # Java compares in double: Long.MAX_VALUE becomes 2**63, which itself passes and saturates.
    if math.isnan(number) or number > float(LONG_MAX) or number < float(LONG_MIN):
        raise ConversionFailed(f"[{number}] out of [long] range")
    floor = math.floor(number)
    rounded = floor + (1 if number - floor >= 0.5 else 0)  # exact: number - floor is representable
    return max(LONG_MIN, min(LONG_MAX, rounded))
