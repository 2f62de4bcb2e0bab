"""Kibana Query Language (KQL): our own pySigma backend.

Written from Kibana's kuery grammar and its translation to Elasticsearch queries (elastic/kibana
src/platform/packages/shared/kbn-es-query/src/kuery/: grammar/grammar.peggy, functions/is.ts,
node_types/wildcard.ts) and the KQL reference (elastic/elasticsearch
docs/reference/query-languages/kql.md):

* A quoted value is a literal (no wildcards; only ``\\`` and ``"`` escaped). String literals are
  always quoted, so keywords, spaces and ``null``/``true``/``false`` stay text.
* A pattern is unquoted: ``\\ ( ) : < > " * { }`` get a backslash, so do or/and/not where the
  grammar would read an operator; the grammar trims it. ``*`` is the only wildcard.
* Kibana sends a pattern as a ``wildcard`` query only for a field its data view knows as keyword,
  else as ``query_string`` escaped without whitespace (whitespace splits it): other types, fields
  missing from the data view, and every field of a detection rule (built with ``fields: []``).
* Literals become ``term`` or ``match``/``match_phrase``: exact on keyword, wildcard, ip and
  numeric fields (keyword search analyzer), analysed on text. ``field:*`` is an exists query;
  ``not`` is ``bool.must_not``, so a missing field satisfies it.

What KQL cannot say raises SigmaFeatureNotSupportedByBackendError with the reason. One construct
is approximated instead: whitespace inside a pattern is matched as ``*`` (a superset), with a T14
warning whose direction follows the enclosing ``not``s (``approximate_whitespace``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any, ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import (
    CompareOperators,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExpansion,
    SigmaNumber,
    SigmaString,
    SpecialChars,
)

from converter.pipelines import ECS_PIPELINES
from converter.results import Direction
from converter.schema.ecs import (
    KEYWORD_TYPES,
    MAX_TOKEN_LENGTH,
    NUMERIC_TYPES,
    TEXT_TYPES,
    TOKEN_CHARS,
)
from converter.schema.model import Schema, ecs_schema
from converter.targets.base import Target, WarningCollector, query_format
from converter.targets.elastic import KIBANA_FORMATS, RULE_FORMAT, WINDOWS_INDEXES

_SPECIAL = frozenset('\\():<>"*{}')  # grammar rule SpecialCharacter
_WHITESPACE_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}  # rule EscapedWhitespace
_GAP = "[ \u00a0]"  # raw characters of rule Space left after whitespace escaping
_WILDCARD_MARK = "@kuery-wildcard@"  # Kibana's internal wildcard symbol: values containing it break
_IPV4_PREFIX = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){1,3}")
Part = str | SpecialChars
_LITERAL_TYPES = KEYWORD_TYPES | NUMERIC_TYPES | TEXT_TYPES | {"boolean", "ip"}


def unsupported(reason: str) -> SigmaFeatureNotSupportedByBackendError:
    return SigmaFeatureNotSupportedByBackendError(reason)


def _refusal(reason: str) -> Callable[..., Any]:
    """A conversion method for a construct KQL cannot express."""

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise unsupported(reason)

    refuse.__doc__ = f"Unsupported: {reason}."
    return refuse


def _keyword_pattern(last: bool) -> re.Pattern[str]:
    """Rule Keyword: `or`/`and` between Space, `not` before Space; the end of the value counts
    as Space (a value is followed by ` or `, ` and ` or `)` in our output)."""
    after = f"(?={_GAP}|\\Z)" if last else f"(?={_GAP})"
    return re.compile(f"(?i)(?<={_GAP})(?:or|and){after}|not{after}")


_KEYWORD_IN = _keyword_pattern(last=False)
_KEYWORD_LAST = _keyword_pattern(last=True)


def escape_unquoted(text: str, last: bool = True, wildcards: bool = False) -> str:
    """Escape literal text for an unquoted KQL value or field name (rule UnquotedCharacter):
    special characters and operator words get a backslash, tabs and newlines their escapes."""
    pattern = _KEYWORD_LAST if last else _KEYWORD_IN
    keywords = {m.start() for m in pattern.finditer(text)}
    out = []
    for i, char in enumerate(text):
        if i in keywords and char == "n":
            out.append("\\u006e")  # `\n` would be EscapedWhitespace, a newline
            continue
        if i in keywords or (char in _SPECIAL and not (wildcards and char == "*")):
            out.append("\\")
        out.append(_WHITESPACE_ESCAPES.get(char, char))
    return "".join(out)


def quote(text: str) -> str:
    """A quoted KQL literal (rule QuotedCharacter)."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    for char, escaped in _WHITESPACE_ESCAPES.items():
        body = body.replace(char, escaped)
    return f'"{body}"'


def _is_space(char: str) -> bool:
    return char.isspace() or char == "\ufeff"  # JavaScript's String.prototype.trim set


_SPACE_RUN = re.compile(r"[\s\ufeff]+")


def _spaces_as_wildcards(parts: list[Part]) -> list[Part]:
    out: list[Part] = []
    for part in parts:
        pieces: list[Part] = []
        if isinstance(part, str):
            for i, piece in enumerate(_SPACE_RUN.split(part)):
                pieces += ([SpecialChars.WILDCARD_MULTI] if i else []) + ([piece] if piece else [])
        else:
            pieces = [part]
        for piece in pieces:
            if not (piece == SpecialChars.WILDCARD_MULTI and out and out[-1] == piece):
                out.append(piece)
    return out


def _check_field_pattern(pattern: str, schema: Schema) -> None:
    """A pattern on a field-name pattern applies to every field the name matches (the data view's
    fields, or Elasticsearch's for query_string): all of them must take it the same way."""
    names = re.compile(".*".join(re.escape(p) for p in pattern.split("*")))
    for name in schema.names():
        if names.fullmatch(name) and not schema.field(name).is_keyword:
            raise unsupported(f"{pattern} also names {name}, which is {schema.field(name).type}")


def _negated(cond: ConditionFieldEqualsValueExpression) -> bool:
    """Whether an odd number of `not` encloses the condition (a warning's direction flips)."""
    return sum(isinstance(p, ConditionNOT) for p in cond.parent_chain()) % 2 == 1


class KibanaKqlBackend(WarningCollector, TextQueryBackend):
    """Sigma to KQL; values are rendered per field type (converter.schema.ecs)."""

    name: ClassVar[str] = "Kibana Query Language"
    formats: ClassVar[dict[str, str]] = {"default": "Plain KQL queries"}
    requires_pipeline: ClassVar[bool] = False

    # grammar: OrQuery > AndQuery > NotQuery, so not binds tightest, then and, then or
    precedence: ClassVar[tuple[type[ConditionItem], type[ConditionItem], type[ConditionItem]]] = (
        ConditionNOT,
        ConditionAND,
        ConditionOR,
    )
    group_expression: ClassVar[str] = "({expr})"
    parenthesize = True  # every nested boolean group in parentheses
    token_separator = " "
    or_token: ClassVar[str] = "or"
    and_token: ClassVar[str] = "and"
    not_token: ClassVar[str] = "not"
    eq_token: ClassVar[str] = ":"

    bool_values: ClassVar[dict[bool, str | None]] = {True: "true", False: "false"}

    field_exists_expression: ClassVar[str] = "{field}:*"  # is.ts: lone wildcard -> exists
    field_not_exists_expression: ClassVar[str] = "not {field}:*"
    field_null_expression: ClassVar[str] = "not {field}:*"  # Sigma null = field absent

    compare_op_expression: ClassVar[str] = "{field} {operator} {value}"  # FieldRangeExpression
    compare_operators: ClassVar[dict[CompareOperators, str]] = {
        CompareOperators.LT: "<",
        CompareOperators.LTE: "<=",
        CompareOperators.GT: ">",
        CompareOperators.GTE: ">=",
    }

    convert_or_as_in: ClassVar[bool] = True  # field:(a or b*)  (rule ListOfValues)
    convert_and_as_in: ClassVar[bool] = False
    in_expressions_allow_wildcards: ClassVar[bool] = True
    field_in_list_expression: ClassVar[str] = "{field}{op}({list})"
    or_in_operator: ClassVar[str] = ":"
    list_separator: ClassVar[str] = " or "

    # True only where every query runs against a data view that knows the field types (never a
    # detection rule): then a keyword field's pattern becomes a `wildcard` query that keeps spaces.
    data_view_types: ClassVar[bool] = False
    # Whitespace in a pattern: match it as `*` with an over-match warning (else: refuse).
    approximate_whitespace: ClassVar[bool] = True

    def __init__(self, *args: Any, schema: Schema | None = None, **kwargs: Any) -> None:
        """`schema`: the field types to convert for (default: the built-in ECS schema)."""
        super().__init__(*args, **kwargs)
        self.schema = schema or ecs_schema()

    def _type(self, field: str) -> str:
        return self.schema.field(field).type

    # Fields

    def escape_and_quote_field(self, field_name: str) -> str:
        """Field = Literal in the grammar: escaped like an unquoted value, `*` stays a wildcard."""
        if not field_name or _is_space(field_name[0]) or _is_space(field_name[-1]):
            raise unsupported(f"field name {field_name!r} has surrounding whitespace")
        if _WILDCARD_MARK in field_name:
            raise unsupported(f"field name {field_name!r} contains {_WILDCARD_MARK}")
        return escape_unquoted(field_name, wildcards=True)

    # Values

    def render_value(self, cond: ConditionFieldEqualsValueExpression) -> str:
        """The value of `field:value`, checked against what the field's type makes of it."""
        field, value = cond.field, cond.value
        if isinstance(value, SigmaString):
            cased = isinstance(value, SigmaCasedString)
            return self._render_string(field, value, cased, _negated(cond))
        if isinstance(value, SigmaNumber):
            self._check_literal(field, str(value), cased=False)
            return str(value)
        raise unsupported(f"value {value!r} of type {type(value).__name__} in a value list")

    def _render_string(self, field: str, value: SigmaString, cased: bool, negated: bool) -> str:
        if value.contains_placeholder():
            raise unsupported(f"unresolved placeholder in the value of {field}")
        parts: list[Part] = [p for p in value.s if isinstance(p, (str, SpecialChars))]
        if parts and all(p == SpecialChars.WILDCARD_MULTI for p in parts):
            return "*"  # a lone wildcard is the exists query on any field type
        if not value.contains_special():
            text = "".join(str(p) for p in parts)
            self._check_literal(field, text, cased)
            return self._typed_literal(field, text)
        self._check_pattern(field, parts, cased)
        if self._type(field) == "ip":
            return quote(self._ip_prefix(field, parts))
        return self._pattern(self._pattern_spaces(field, parts, negated))

    def _typed_literal(self, field: str, text: str) -> str:
        kind = self._type(field)
        if kind in NUMERIC_TYPES or kind == "boolean":
            return text.lower()
        return quote(text)

    def _pattern(self, parts: list[Part]) -> str:
        out = []
        for i, part in enumerate(parts):
            if part == SpecialChars.WILDCARD_MULTI:
                out.append("*")
            else:
                out.append(escape_unquoted(str(part), last=i == len(parts) - 1))
        return "".join(out)

    # What each field type makes of a value

    def _check_case(self, field: str, cased: bool) -> None:
        """`|cased` needs a field that keeps case. The reverse (Sigma ignores case, a keyword field
        without normalizer does not, T1) is the schema's business, not a KQL construct."""
        if cased and (self.schema.field(field).normalizer or self._type(field) in TEXT_TYPES):
            raise unsupported(f"|cased on {field}, which ignores case (normalizer or analyzer)")

    def _check_literal(self, field: str, text: str, cased: bool) -> None:
        kind = self._type(field)
        self._check_case(field, cased)
        if "*" in field:
            raise unsupported(
                f"literal on the field pattern {field}: a detection rule (no data view) sends it "
                "as match on the pattern itself, which names no field"
            )
        if kind in TEXT_TYPES:
            raise unsupported(f"{field} is analysed text: KQL matches its tokens, not the value")
        if kind in NUMERIC_TYPES and not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise unsupported(f"{field} is {kind}: {text!r} is not a number")
        if kind == "boolean" and text.lower() not in ("true", "false"):
            raise unsupported(f"{field} is boolean: {text!r} is neither true nor false")
        if kind == "ip":
            self._check_ip(field, text)
        if kind not in _LITERAL_TYPES:
            raise unsupported(f"{field} is {kind}: KQL does not compare it as a string")

    def _check_ip(self, field: str, text: str) -> None:
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise unsupported(f"{field} is an ip field: {text!r} is not an IP address") from None

    def _check_pattern(self, field: str, parts: list[Part], cased: bool) -> None:
        kind = self._type(field)
        text = "".join(p for p in parts if isinstance(p, str))
        self._check_case(field, cased)
        if SpecialChars.WILDCARD_SINGLE in parts:
            raise unsupported("KQL has no single-character wildcard (Sigma '?')")
        if _WILDCARD_MARK in text:
            raise unsupported(f"value contains Kibana's internal marker {_WILDCARD_MARK}")
        if kind in TEXT_TYPES:
            self._check_text_pattern(field, parts)
        elif kind not in KEYWORD_TYPES and kind != "ip":
            raise unsupported(f"{field} is {kind}: Elasticsearch has no wildcard query on it")
        if "*" in field:
            _check_field_pattern(field, self.schema)

    def _pattern_spaces(self, field: str, parts: list[Part], negated: bool) -> list[Part]:
        """Whitespace in a pattern: Kibana hands the pattern to query_string unescaped (for every
        field of a detection rule, and for non-keyword fields everywhere), which splits it. Each
        whitespace run becomes `*` instead: a pattern that matches more, never less."""
        if not any(isinstance(p, str) and _SPACE_RUN.search(p) for p in parts):
            return parts
        keyword = self._type(field) == "keyword" and "*" not in field
        if self.data_view_types and keyword:
            self._check_trimmed(field, parts)
            return parts
        if not self.approximate_whitespace:
            raise unsupported(
                f"whitespace in the wildcard pattern on {field}: Kibana hands such patterns to "
                "query_string unescaped, which splits them at whitespace"
            )
        direction: Direction = "under-match" if negated else "over-match"
        self.warn("T14", direction, f"whitespace in a {field} pattern matched as '*'")
        return _spaces_as_wildcards(parts)

    def _check_trimmed(self, field: str, parts: list[Part]) -> None:
        first, last = parts[0], parts[-1]
        if (isinstance(first, str) and _is_space(first[0])) or (
            isinstance(last, str) and _is_space(last[-1])
        ):
            raise unsupported(f"the KQL grammar trims whitespace at the ends of a {field} pattern")

    def _check_text_pattern(self, field: str, parts: list[Part]) -> None:
        """On a text field only `*token*` is exact: the pattern then matches a token containing it,
        and a value contains it exactly when one of its tokens does (both lower-cased)."""
        name = self.schema.field(field).analyzer
        if name not in TOKEN_CHARS:
            raise unsupported(f"{field} is analysed text with the unknown analyzer {name}")
        chars, longest = TOKEN_CHARS[name], MAX_TOKEN_LENGTH[name]
        middle = parts[1] if len(parts) == 3 else None
        exact = (
            parts[0] == parts[-1] == SpecialChars.WILDCARD_MULTI
            and isinstance(middle, str)
            and re.fullmatch(f"[{chars}]*[A-Za-z0-9][{chars}]*", middle) is not None
            and (longest is None or len(middle) <= longest)
        )
        if not exact:
            raise unsupported(
                f"{field} is analysed text: a pattern matches single tokens, so only 'contains' "
                f"of one token ([{chars}]) is exact"
            )

    def _ip_prefix(self, field: str, parts: list[Part]) -> str:
        """`startswith` of whole IPv4 octets ("10.", "192.168.") on an ip field, as the CIDR
        network it names: exactly the addresses whose text starts with that prefix."""
        head = parts[0]
        if len(parts) != 2 or parts[1] != SpecialChars.WILDCARD_MULTI or not isinstance(head, str):
            raise unsupported(f"{field} is an ip field: only whole-octet IPv4 prefixes convert")
        if not _IPV4_PREFIX.fullmatch(head):
            raise unsupported(f"{field} is an ip field: {head!r} is not a whole-octet IPv4 prefix")
        octets = head.rstrip(".").split(".")
        network = ".".join(octets + ["0"] * (4 - len(octets)))
        return f"{network}/{8 * len(octets)}"

    # Conditions

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Values are rendered from the field type (quoted literal, pattern, CIDR, number)."""
        return f"{self.escape_and_quote_field(cond.field)}:{self.render_value(cond)}"

    convert_condition_field_eq_val_str_case_sensitive = convert_condition_field_eq_val_str
    convert_condition_field_eq_val_num = convert_condition_field_eq_val_str

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Booleans stay unquoted literals; only keyword and boolean fields compare them exactly."""
        kind = self._type(cond.field)
        if kind != "boolean" and kind not in KEYWORD_TYPES:
            raise unsupported(f"boolean value on {cond.field}, which is {kind}")
        return str(super().convert_condition_field_eq_val_bool(cond, state))

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        """`field:(v1 or v2)`, each value rendered for the field's type."""
        args = [a for a in cond.args if isinstance(a, ConditionFieldEqualsValueExpression)]
        field = args[0].field
        values = self.list_separator.join(self.render_value(a) for a in args)
        return f"{self.escape_and_quote_field(field)}:({values})"

    def convert_condition_field_eq_expansion(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """Expanded values (windash, base64offset, ...) as one `field:(...)` list, like Lucene;
        always one group, so a `not` in front negates all of it."""
        assert isinstance(cond.value, SigmaExpansion)
        values = [ConditionFieldEqualsValueExpression(cond.field, v) for v in cond.value.values]
        or_cond = ConditionOR(values, cond.source)  # type: ignore[arg-type]
        or_cond.parent = cond.parent  # keeps the enclosing `not`s visible to render_value
        for value in values:
            value.parent = or_cond
        if self.decide_convert_condition_as_in_expression(or_cond, state):
            return self.convert_condition_as_in_expression(or_cond, state)
        return self.group_expression.format(expr=self.convert_condition_or(or_cond, state))

    def convert_condition_group(self, cond: Any, state: ConversionState) -> Any:
        """A value list `field:(a or b)` is a single KQL term already: no second parentheses."""
        lists = isinstance(cond, (ConditionOR, ConditionAND))
        if lists and self.decide_convert_condition_as_in_expression(cond, state):
            return self.convert_condition(cond, state)
        return super().convert_condition_group(cond, state)

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        """`not` needs a sub-query after it, so `not not f:*` does not parse: negating a null or
        not-exists test (rendered `not f:*`) gives the exists test `f:*`."""
        arg = cond.args[0]
        if isinstance(arg, ConditionFieldEqualsValueExpression):
            expr = self.convert_condition(arg, state)
            prefix = self.not_token + self.token_separator
            if isinstance(expr, str) and expr.startswith(prefix):
                return expr[len(prefix) :]
            return prefix + str(expr)
        return super().convert_condition_not(cond, state)

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """CIDR in a quoted value: Kibana sends it as match(_phrase), which an ip field answers
        with its term query, and that accepts CIDR notation. Other types compare text."""
        assert isinstance(cond.value, SigmaCIDRExpression)
        if self._type(cond.field) != "ip":
            raise unsupported(f"cidr on {cond.field}, which is not an ip field")
        network = quote(str(cond.value.network))
        return f"{self.escape_and_quote_field(cond.field)}:{network}"

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Range syntax `field > 5`; on a non-numeric field it would compare strings."""
        assert isinstance(cond.value, SigmaCompareExpression)
        kind = self._type(cond.field)
        if kind not in NUMERIC_TYPES:
            raise unsupported(f"{cond.field} is {kind}: a KQL range on it compares strings")
        return str(super().convert_condition_field_compare_op_val(cond, state))

    # Not expressible

    convert_condition_field_eq_val_re = _refusal("KQL has no regular expressions")
    convert_condition_field_eq_val_re_contains = convert_condition_field_eq_val_re
    convert_condition_val_re = convert_condition_field_eq_val_re
    convert_condition_field_eq_field = _refusal("KQL cannot compare two fields (fieldref)")
    convert_condition_field_eq_val_timestamp_part = _refusal("KQL has no timestamp parts")
    convert_condition_field_eq_query_expr = _refusal("pipeline query expressions are not KQL")
    convert_condition_query_expr = convert_condition_field_eq_query_expr
    convert_correlation_rule = _refusal("correlation rules need aggregations KQL does not have")

    # Keywords: a field-less KQL value is multi_match (whole terms on keyword fields, analysed
    # tokens on text) or, with `*`, query_string over index.query.default_field, which each
    # index sets for itself; neither is Sigma's substring match over every field of the event.
    convert_condition_val_str = _refusal("keywords (values without a field) have no KQL equivalent")
    convert_condition_val_num = convert_condition_val_str


def _parity_class() -> type[KibanaKqlBackend]:
    from converter.targets.kql_parity import KqlParityBackend  # it subclasses this module's

    return KqlParityBackend


TARGET = Target(
    key="kql",
    takes_schema=True,
    engine="kql",
    language="Kibana Query Language (KQL)",
    backend_class=KibanaKqlBackend,
    parity_class=_parity_class(),
    pipelines=ECS_PIPELINES,
    maps_fields=True,
    index_patterns=WINDOWS_INDEXES,
    formats={"default": query_format("kql"), **KIBANA_FORMATS("kql"), **RULE_FORMAT("kql")},
)
