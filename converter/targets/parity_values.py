"""What the EQL and ES|QL parity backends share: fields resolved against the schema, Sigma values
taken apart, negation depth, and warnings whose direction follows it.

Both languages match on what the index mapping made of a value (research/SEMANTICS.md §0), so a
value is rendered for the *field type* of the field the query names. That field is the schema's,
with one substitution: a multi-field such as ``process.executable.caseless`` is queried through its
parent, which holds the original value ("Multi-fields": the same value indexed a second way,
https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/multi-fields). The
parity backends ignore case with their own operators, so the lowercase normalizer is not needed,
and its effect on patterns is an open point of both engine models (eql.normalizer_patterns,
esql-normalizer).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import (
    SigmaBool,
    SigmaCIDRExpression,
    SigmaExpansion,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from converter.results import ConversionWarning
from converter.schema.model import FieldSpec, Schema
from converter.targets.base import WarningCollector
from converter.targets.regex import Untranslatable, folds_unevenly, literal_to_lucene, translate

Part = str | SpecialChars
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Multi-fields the ECS/Agent mappings add beside a keyword parent (converter.schema.ecs).
_MULTI_FIELD_SUFFIXES = ("caseless",)
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_IPV4_PREFIX = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){1,3}")


class Kind(Enum):
    """How a field compares values: the families of mapping types the backends render for."""

    STRING = "string"  # keyword, constant_keyword, wildcard, and fields the schema does not know
    TEXT = "text"
    NUMERIC = "numeric"
    IP = "ip"
    BOOLEAN = "boolean"
    OTHER = "other"


@dataclass(frozen=True)
class Resolved:
    """The field a query names for a rule field, and its mapping."""

    name: str
    spec: FieldSpec
    known: bool  # False: the schema does not map it (taken as keyword, DESIGN.md)

    @property
    def kind(self) -> Kind:
        spec = self.spec
        if spec.is_keyword:
            return Kind.STRING
        if spec.is_text:
            return Kind.TEXT
        if spec.is_numeric:
            return Kind.NUMERIC
        return {"ip": Kind.IP, "boolean": Kind.BOOLEAN}.get(spec.type, Kind.OTHER)


def unsupported(reason: str) -> SigmaFeatureNotSupportedByBackendError:
    return SigmaFeatureNotSupportedByBackendError(reason)


def resolve(schema: Schema, name: str, language: str) -> Resolved:
    """The field to query for ``name``: a multi-field's parent; a text field's keyword
    multi-field where the schema has one (it holds the whole value, unanalysed)."""
    if "*" in name:
        raise unsupported(f"{name} is a field-name pattern: {language} compares named fields")
    parent, _, last = name.rpartition(".")
    if parent and last in _MULTI_FIELD_SUFFIXES:
        # A multi-field exists only under a mapped parent; its type is keyword (or wildcard).
        spec = schema.field(parent) if schema.has(parent) else FieldSpec(parent, "keyword")
        return Resolved(parent, spec, True)
    resolved = Resolved(name, schema.field(name), schema.has(name))
    if resolved.kind == Kind.TEXT:
        for sub in schema.names():
            spec = schema.field(sub)
            if sub.rpartition(".")[0] == name and spec.is_keyword and not spec.normalizer:
                return Resolved(sub, spec, True)
    return resolved


def pattern_fields(schema: Schema, pattern: str) -> list[str]:
    """The schema's fields a field-name pattern (``zeek.*.path``, from ecs_zeek_beats) names:
    what query_string searches for it (``fields`` wildcards, query-dsl-query-string-query)."""
    names = re.compile(".*".join(re.escape(p) for p in pattern.split("*")), re.DOTALL)
    return [n for n in schema.names() if names.fullmatch(n)]


class FieldPatterns:
    """Mixin: a condition on a field-name pattern becomes the OR of the same condition on each
    field of the schema the pattern names; neither EQL nor ES|QL has field-name wildcards."""

    schema: Schema
    target_name: ClassVar[str]
    conversion_warnings: list[ConversionWarning]

    def convert_condition_field_eq_val(
        self, cond: ConditionFieldEqualsValueExpression, state: Any
    ) -> Any:
        convert = super().convert_condition_field_eq_val  # type: ignore[misc]
        if "*" not in cond.field:
            return convert(cond, state)
        names = pattern_fields(self.schema, cond.field)
        if not names:
            raise unsupported(f"{cond.field} names no field of the schema")
        out, skipped = [], []
        if not hasattr(self, "conversion_warnings"):
            self.conversion_warnings = []
        for name in names:
            leaf = ConditionFieldEqualsValueExpression(name, cond.value)
            leaf.parent = cond.parent  # same enclosing nots: same polarity
            before = list(self.conversion_warnings)
            expr = convert(leaf, state)
            if expr == "false":  # a field whose type cannot hold the value: not one the rule's
                skipped += self.conversion_warnings[len(before) :]  # field stands for, if any is
                self.conversion_warnings = before
            else:
                out.append(expr)
        if not out:
            self.conversion_warnings += skipped
            return "false"
        return out[0] if len(out) == 1 else "(" + " or ".join(out) + ")"


def negated(cond: ConditionFieldEqualsValueExpression) -> bool:
    """Whether an odd number of ``not`` encloses the condition."""
    return sum(isinstance(p, ConditionNOT) for p in cond.parent_chain()) % 2 == 1


def group_key(args: Sequence[Any]) -> str | None:
    """The one field of an OR of plain values (strings, numbers, booleans) or of networks,
    else None."""
    if len(args) < 2 or not all(isinstance(a, ConditionFieldEqualsValueExpression) for a in args):
        return None
    fields = {a.field for a in args}
    if any("*" in f for f in fields):
        return None  # each value goes through FieldPatterns
    plain = all(isinstance(a.value, SigmaString | SigmaNumber | SigmaBool) for a in args)
    networks = all(isinstance(a.value, SigmaCIDRExpression) for a in args)
    return str(fields.pop()) if len(fields) == 1 and (plain or networks) else None


def list_values(values: Sequence[Any]) -> list[Any]:
    """The values of an expansion (windash, base64offset), which are plain Sigma strings."""
    for value in values:
        if not isinstance(value, SigmaString | SigmaNumber | SigmaBool):
            raise unsupported(f"expansion value of type {type(value).__name__}")
    return list(values)


def parts_of(value: Any) -> list[Part]:
    """A value as literal text and wildcards; numbers and booleans as their string forms."""
    if isinstance(value, SigmaNumber):
        return [str(value.number)]
    if isinstance(value, SigmaBool):
        return ["true" if value.boolean else "false"]
    if not isinstance(value, SigmaString):
        raise unsupported(f"value of type {type(value).__name__} in a value list")
    if value.contains_placeholder():
        raise unsupported("unresolved placeholder in a value")
    return [p for p in value.s if isinstance(p, str | SpecialChars)]


def value_text(value: Any) -> str | None:
    """The text of a value without wildcards, else None."""
    parts = parts_of(value)
    if any(isinstance(p, SpecialChars) for p in parts):
        return None
    return "".join(p for p in parts if isinstance(p, str))


def literal_wildcards(parts: Sequence[Part]) -> bool:
    """Whether the value holds an escaped, literal ``*`` or ``?``."""
    return any(isinstance(p, str) and ("*" in p or "?" in p) for p in parts)


def is_wildcard(part: Part, which: str) -> bool:
    multi = part == SpecialChars.WILDCARD_MULTI
    return multi if which == "*" else part == SpecialChars.WILDCARD_SINGLE


def uneven_case(parts: Sequence[Part]) -> bool:
    """Whether folding the value's case per character (Java's Character.toLowerCase in
    Elasticsearch's case-insensitive queries, String.toLowerCase in ES|QL's TO_LOWER) misses
    case forms ``re.IGNORECASE`` matches (converter.targets.regex.folds_unevenly)."""
    return any(isinstance(p, str) and folds_unevenly(p) for p in parts)


def literal_regex(parts: Sequence[Part], fold_case: bool) -> str:
    """A Lucene RegExp body matching exactly what the wildcard value matches (literal * and ?)."""
    value = SigmaString("")
    value.s = tuple(parts)  # type: ignore[assignment]  # pySigma types .s as a list
    try:
        return literal_to_lucene(value, fold_case=fold_case)
    except Untranslatable as e:
        raise unsupported(str(e)) from e


def as_number(text: str | None) -> int | float | None:
    """The number whose string form is exactly ``text`` (Sigma matches numbers by their text)."""
    if text is None:
        return None
    if _INT.fullmatch(text) and str(int(text)) == text:
        return int(text)
    if _FLOAT.fullmatch(text) and str(float(text)) == text:
        return float(text)
    return None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def ipv4_prefix_cidr(parts: Sequence[Part]) -> str | None:
    """``10.*``, ``192.168.*``: whole IPv4 octets then ``*``, as the network whose addresses are
    exactly those written with that prefix."""
    if len(parts) != 2 or not is_wildcard(parts[1], "*") or not isinstance(parts[0], str):
        return None
    if not _IPV4_PREFIX.fullmatch(parts[0]):
        return None
    octets = parts[0].rstrip(".").split(".")
    return ".".join(octets + ["0"] * (4 - len(octets))) + f"/{8 * len(octets)}"


def prefix_warning(field: str, value: Any) -> tuple[str, str]:
    """The cause and message for a prefix matched as a network: exact over the addresses an ip
    field indexes, but Sigma's pattern also matches text that is no address (``127.``), which
    an ip field cannot hold (mapping-reference/ip.md; ignore_malformed)."""
    return (
        "T15 ip field holds only addresses",
        f"{field}: {value} as a network; text that is no address cannot be indexed there",
    )


def cidr_regex(network: Network) -> str | None:
    """A Lucene RegExp body matching exactly the dotted-decimal texts Python's ip_address parses
    to an address of an IPv4 ``network`` (no leading zeros); None for IPv6, whose text has many
    spellings."""
    if network.version != 4:
        return None
    first, last = network.network_address.packed, network.broadcast_address.packed
    octets = [
        _group([_range(lo, hi)]) if lo == hi else f"({_range(lo, hi)})"
        for lo, hi in zip(first, last, strict=True)
    ]
    return "\\.".join(octets)


def _range(low: int, high: int) -> str:
    """Decimal numbers low..high (0-255) without leading zeros, as a union."""
    options = []
    for width in (1, 2, 3):
        start, end = max(low, 10 ** (width - 1) if width > 1 else 0), min(high, 10**width - 1)
        if start <= end:
            options += _same_width(str(start), str(end))
    return "|".join(options)


def _same_width(low: str, high: str) -> list[str]:
    """Numbers of one width from low to high, digit by digit."""
    if low == high:
        return [low]
    if len(low) == 1:
        return [f"[{low}-{high}]"]
    rest = len(low) - 1
    if low[0] == high[0]:
        return [low[0] + _group(_same_width(low[1:], high[1:]))]
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return [f"[{low[0]}-{high[0]}]" + "[0-9]" * rest]
    options = [low[0] + _group(_same_width(low[1:], "9" * rest))]
    inner = (int(low[0]) + 1, int(high[0]) - 1)
    if inner[0] <= inner[1]:
        digits = str(inner[0]) if inner[0] == inner[1] else f"[{inner[0]}-{inner[1]}]"
        options.append(digits + "[0-9]" * rest)
    options.append(high[0] + _group(_same_width("0" * rest, high[1:])))
    return options


def _group(options: list[str]) -> str:
    return options[0] if len(options) == 1 else "(" + "|".join(options) + ")"


class ParityWarnings(WarningCollector):
    """Warnings whose direction is stated for a condition outside any ``not`` and flipped by an
    odd number of enclosing ``not``s; each cause and message is declared once per rule."""

    def warn_missed(self, cond: ConditionFieldEqualsValueExpression, cause: str, text: str) -> None:
        """The predicate matches less than the rule's value would."""
        self._once(cause, "over-match" if negated(cond) else "under-match", text)

    def warn_extra(self, cond: ConditionFieldEqualsValueExpression, cause: str, text: str) -> None:
        """The predicate matches more than the rule's value would."""
        self._once(cause, "under-match" if negated(cond) else "over-match", text)

    def _once(self, cause: str, direction: Any, text: str) -> None:
        known = getattr(self, "conversion_warnings", [])
        if not any((w.cause, w.direction, w.message) == (cause, direction, text) for w in known):
            self.warn(cause, direction, text)


def regex_body(
    backend: ParityWarnings,
    cond: ConditionFieldEqualsValueExpression,
    value: SigmaRegularExpression,
) -> str:
    """The Lucene RegExp body for a Sigma ``|re`` value, case folded as Python folds it.
    Constructs Lucene lacks (lookaround, ``\\b``, backreferences) are widened: a superset,
    declared as an over-match; ``\\d``/``\\w`` are ASCII in Lucene: a subset."""
    try:
        translation = translate(str(value.regexp), value.flags, fold_case=True, approximate=True)
    except Untranslatable as e:
        raise unsupported(f"|re on {cond.field}: {e}") from e
    for reason in translation.inexact:
        if translation.direction in ("under-match", "either"):
            backend.warn_missed(cond, "T7 regex dialect", reason)
        if translation.direction in ("over-match", "either"):
            backend.warn_extra(cond, "T7 regex dialect", reason)
    return translation.body


class ValueLists:
    """How the EQL and ES|QL parity backends take values apart: an OR of one field's values, an
    expanded value (windash, base64offset) and a single value all go to ``_values``, CIDR lists to
    ``_networks``; each backend renders them for the field's type."""

    _values: Callable[[ConditionFieldEqualsValueExpression, Sequence[Any]], str]
    _networks: Callable[[ConditionFieldEqualsValueExpression, list[Network]], str]

    def decide_convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> bool:
        return isinstance(cond, ConditionOR) and group_key(cond.args) is not None

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        args = [a for a in cond.args if isinstance(a, ConditionFieldEqualsValueExpression)]
        networks = [a.value.network for a in args if isinstance(a.value, SigmaCIDRExpression)]
        if networks:
            return self._networks(args[0], networks)
        return self._values(args[0], [a.value for a in args])

    def convert_condition_field_eq_expansion(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaExpansion)
        return self._values(cond, list_values(cond.value.values))

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return self._values(cond, [cond.value])

    convert_condition_field_eq_val_str_case_sensitive = convert_condition_field_eq_val_str
    convert_condition_field_eq_val_num = convert_condition_field_eq_val_str
    convert_condition_field_eq_val_bool = convert_condition_field_eq_val_str
