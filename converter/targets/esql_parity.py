"""The ES|QL parity profile: queries that mean what the Sigma rule means on the schema.

pySigma's ESQLBackend (the stock profile) compares every string case-sensitively, escapes literal
``*``/``?`` as ``\\*`` (a lexer error), leaves backslashes in LIKE patterns single (so ``\\A``
means ``A``), and writes numbers against keyword fields and ``"-"`` against ip fields, which the
analyzer refuses. This backend renders each value for the field's type in the schema. Sources
(https://www.elastic.co/docs/reference/query-languages/esql/, "ESQL"):

* Every comparison, LIKE and RLIKE is case-sensitive (functions-operators/operators); Sigma's
  case-insensitive values compare ``TO_LOWER(field)`` with the lower-cased value
  (functions-operators/string-functions ``TO_LOWER``), the idiom Elasticsearch pushes down as a
  case-insensitive query (elastic/elasticsearch PR #128393). Values without letters skip it.
  TO_LOWER (Java String.toLowerCase) and that pushed-down query keep apart letters Python's
  IGNORECASE joins (final and medial sigma, long s, dotted i, micro sign): such values are an
  ``RLIKE`` listing every case form of each letter instead.
* ``LIKE``: ``*``/``?`` wildcards over the whole value, ``\\`` escapes the next character, after
  string unescaping (operators ``LIKE``: ``"foo \\\\* bar"``), so literal ``* ? \\`` are escaped.
* ``RLIKE``: Lucene RegExp over the whole value (operators ``RLIKE``; query-dsl/regexp-syntax), the
  ``|re`` pattern translated by converter.targets.regex with its case folded as Python folds it.
* Strings allow only the escapes ``\\t \\n \\r \\" \\\\`` (esql-syntax "String literals").
* Numbers on numeric fields, ``TO_STRING(field) LIKE`` for patterns on them (type-conversion
  functions); addresses (implicit casting of string literals, esql-implicit-casting) and
  ``CIDR_MATCH`` on ip fields (ip-functions); a value the field's type cannot hold is dropped with
  a warning.
* Nulls: ``WHERE`` keeps rows whose condition is true; a predicate on a missing field is null and
  ``NOT null`` is null (esql-null-values), so under a ``not`` each predicate becomes
  ``(field IS NOT NULL AND predicate)``, false rather than null on a missing field.
* Multi-valued fields make comparisons and single-value functions null (esql-multivalued-fields):
  predicates on fields ECS documents as arrays carry an under-match warning.
* A multi-field (``.caseless``) is queried through its parent (converter.targets.parity_values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from sigma.conditions import ConditionFieldEqualsValueExpression
from sigma.conversion.state import ConversionState
from sigma.types import (
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaFieldReference,
    SigmaRegularExpression,
    SigmaString,
)

from converter.engines.esql.build import RESERVED  # the model lexer's own reserved words
from converter.fields import cased_item
from converter.schema.model import Schema, ecs_schema
from converter.targets.esql import ElasticEsqlBackend
from converter.targets.parity_values import (
    FieldPatterns,
    Kind,
    Network,
    ParityWarnings,
    Part,
    Resolved,
    ValueLists,
    as_number,
    cidr_regex,
    ipv4_prefix_cidr,
    is_ip,
    is_wildcard,
    literal_regex,
    literal_wildcards,
    negated,
    parts_of,
    prefix_warning,
    regex_body,
    resolve,
    uneven_case,
    unsupported,
    value_text,
)

_NAME = re.compile(r"[a-z][a-z0-9_]*|[_@][a-z0-9_]+", re.IGNORECASE)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_COMPARE = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
# ECS fields documented as arrays ("Note: this field should contain an array of values", ECS
# field reference https://www.elastic.co/docs/reference/ecs/ecs-field-reference).
MULTI_VALUED = frozenset(
    {
        "event.category",
        "event.type",
        "process.args",
        "host.ip",
        "host.mac",
        "dns.resolved_ip",
        "dns.answers.name",
        "dns.answers.data",
        "dns.answers.type",
        "file.attributes",
        "tags",
        "related.ip",
        "related.user",
        "related.hash",
        "related.hosts",
    }
)


def esql_string(text: str) -> str:
    """A double-quoted ES|QL string with the only escapes the lexer knows."""
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def esql_field(name: str) -> str:
    """A qualified name; back-quoted segments where esql-syntax "Identifiers" asks."""
    return ".".join(
        s if _NAME.fullmatch(s) and s.lower() not in RESERVED else "`" + s.replace("`", "``") + "`"
        for s in name.split(".")
    )


def like_pattern(parts: Sequence[Part], lower: bool) -> str:
    """A LIKE pattern: literal ``* ? \\`` escaped with ``\\``."""
    out = []
    for part in parts:
        if isinstance(part, str):
            text = part.lower() if lower else part
            out.append("".join("\\" + c if c in "*?\\" else c for c in text))
        else:
            out.append("*" if is_wildcard(part, "*") else "?")
    return "".join(out)


def _has_case(parts: Sequence[Part]) -> bool:
    return any(isinstance(p, str) and p.lower() != p.upper() for p in parts)


class EsqlParityBackend(FieldPatterns, ParityWarnings, ValueLists, ElasticEsqlBackend):
    """ElasticEsqlBackend whose predicates follow the field types of the schema."""

    target_name: ClassVar[str] = "ES|QL"

    def __init__(self, *args: Any, schema: Schema | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema or ecs_schema()

    # --- fields --------------------------------------------------------------------------------

    def _resolve(self, cond: ConditionFieldEqualsValueExpression, name: str) -> Resolved:
        field = resolve(self.schema, name, self.target_name)
        if field.name in MULTI_VALUED:
            self._once(
                "T16 multi-valued field",
                "under-match",
                f"{field.name} holds arrays: ES|QL predicates on multi-valued fields are null",
            )
        return field

    def _two_valued(self, cond: Any, fields: Sequence[Resolved], expr: str) -> str:
        """Under an odd number of ``not``: false, not null, where a field has no value."""
        if not negated(cond) or expr == "false":
            return expr
        present = " and ".join(f"{esql_field(f.name)} is not null" for f in fields)
        return f"({present} and {expr})"

    # --- value lists ---------------------------------------------------------------------------

    def _values(self, cond: ConditionFieldEqualsValueExpression, values: Sequence[Any]) -> str:
        field = self._resolve(cond, cond.field)
        render = self._renderers().get(field.kind)
        if render is None:
            raise unsupported(f"{field.name} is a {field.spec.type} field: not compared to values")
        clauses = render(cond, field, values)
        if not clauses:
            return "false"
        expr = clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"
        return self._two_valued(cond, [field], expr)

    def _renderers(self) -> dict[Kind, Callable[..., list[str]]]:
        return {
            Kind.STRING: self._strings,
            Kind.TEXT: self._strings,  # esql-limitations: text fields behave like keyword fields
            Kind.NUMERIC: self._numbers,
            Kind.IP: self._addresses,
            Kind.BOOLEAN: self._booleans,
        }

    def _strings(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        """``==``/``in`` and ``like``, on ``TO_LOWER(field)`` where Sigma ignores the case of a
        letter in the value."""
        name = esql_field(field.name)
        equal: dict[str, list[str]] = {}
        like: dict[str, list[str]] = {}
        rlike: list[str] = []
        for value in values:
            parts = parts_of(value)
            lower = not isinstance(value, SigmaCasedString) and _has_case(parts)
            if isinstance(value, SigmaCasedString) and field.spec.normalizer:
                self.warn_extra(cond, "T1 |cased on a normalized field", f"{field.name}")
            operand = f"TO_LOWER({name})" if lower else name
            if lower and uneven_case(parts):
                # TO_LOWER keeps apart forms re.IGNORECASE joins (final and medial sigma): RLIKE
                # with every form
                rlike.append(f"{name} rlike {esql_string(literal_regex(parts, fold_case=True))}")
            elif all(isinstance(p, str) for p in parts):
                text = "".join(p for p in parts if isinstance(p, str))
                equal.setdefault(operand, []).append(esql_string(text.lower() if lower else text))
            else:
                like.setdefault(operand, []).append(esql_string(like_pattern(parts, lower)))
        clauses = [_equal_list(op, items) for op, items in equal.items()]
        return (
            clauses + [f"{op} like {p}" for op, patterns in like.items() for p in patterns] + rlike
        )

    def _numbers(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        """Numbers by ``==``/``in``; patterns over ``TO_STRING(field)``, the number's text."""
        name, numbers, patterns = esql_field(field.name), [], []
        for value in values:
            number = as_number(value_text(value))
            parts = parts_of(value)
            if number is not None:
                numbers.append(str(number))
            elif any(not isinstance(p, str) for p in parts) and not literal_wildcards(parts):
                patterns.append(f"TO_STRING({name}) like {esql_string(like_pattern(parts, False))}")
            else:
                self.warn_missed(cond, "T18 value a numeric field cannot hold", f"{name}: {value}")
        return ([_equal_list(name, numbers)] if numbers else []) + patterns

    def _addresses(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        """Addresses by ``==``/``in``; whole-octet IPv4 prefixes (``10.*``) by CIDR_MATCH."""
        name, addresses, networks = esql_field(field.name), [], []
        for value in values:
            text = value_text(value)
            network = ipv4_prefix_cidr(parts_of(value)) if isinstance(value, SigmaString) else None
            if network is not None:
                networks.append(esql_string(network))
                self.warn_missed(cond, *prefix_warning(field.name, value))
            elif text is not None and is_ip(text):
                addresses.append(esql_string(text))
            else:
                self.warn_missed(cond, "T15 value an ip field cannot hold", f"{name}: {value}")
        clauses = [_equal_list(name, addresses)] if addresses else []
        return clauses + ([f"CIDR_MATCH({name}, {', '.join(networks)})"] if networks else [])

    def _booleans(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        texts = {str(value_text(v)).lower() for v in values}
        for text in sorted(texts - {"true", "false"}):
            self.warn_missed(cond, "T18 value a boolean field cannot hold", f"{field.name}: {text}")
        return [f"{esql_field(field.name)} == {b}" for b in sorted(texts & {"true", "false"})]

    # --- other value types ---------------------------------------------------------------------

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaRegularExpression)
        field = self._resolve(cond, cond.field)
        if field.kind not in (Kind.STRING, Kind.TEXT):
            raise unsupported(
                f"|re on {field.name}, a {field.spec.type} field: RLIKE needs strings"
            )
        body = regex_body(self, cond, cond.value)
        return self._two_valued(
            cond, [field], f"{esql_field(field.name)} rlike {esql_string(body)}"
        )

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaCIDRExpression)
        return self._networks(cond, [cond.value.network])

    def _networks(self, cond: ConditionFieldEqualsValueExpression, networks: list[Network]) -> str:
        """CIDR_MATCH on ip fields; on string fields the exact RLIKE of the IPv4 texts."""
        field = self._resolve(cond, cond.field)
        name = esql_field(field.name)
        if field.kind == Kind.IP:
            blocks = ", ".join(esql_string(str(n)) for n in networks)
            return self._two_valued(cond, [field], f"CIDR_MATCH({name}, {blocks})")
        if field.kind not in (Kind.STRING, Kind.TEXT):
            raise unsupported(f"|cidr on {field.name}, a {field.spec.type} field")
        clauses = []
        for network in networks:
            body = cidr_regex(network)
            if body is None:  # IPv6 text has many spellings: no pattern covers them all
                self.warn_missed(cond, "T15 IPv6 network on a string field", str(network))
            else:
                clauses.append(f"{name} rlike {esql_string(body)}")
        if not clauses:
            return "false"
        expr = clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"
        return self._two_valued(cond, [field], expr)

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaCompareExpression)
        field = self._resolve(cond, cond.field)
        op, limit = _COMPARE[cond.value.op.name], cond.value.number.number
        if field.kind == Kind.NUMERIC or not field.known:
            operand = esql_field(field.name)
        elif field.kind in (Kind.STRING, Kind.TEXT):
            operand = f"TO_DOUBLE({esql_field(field.name)})"  # type-conversion-functions
        else:
            raise unsupported(f"{op} on {field.name}, a {field.spec.type} field")
        return self._two_valued(cond, [field], f"{operand} {op} {limit}")

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """``a|fieldref: b``: equality (or STARTS_WITH/ENDS_WITH) of the two values, lower-cased
        unless ``|cased``."""
        assert isinstance(cond.value, SigmaFieldReference)
        ref = cond.value
        if ref.starts_with and ref.ends_with:
            raise unsupported("|fieldref|contains: ES|QL has no substring test between fields")
        fields = [self._resolve(cond, cond.field), self._resolve(cond, ref.field)]
        for field in fields:
            if not field.known:  # e.g. ecs_windows skips the prefix once the reference is mapped
                self.warn_missed(
                    cond,
                    "unmapped-field",
                    f"{field.name} (field reference) is not in the schema: the comparison holds "
                    "only if the index has a field of exactly that name",
                )
        cased = cased_item(cond)
        mine, theirs = (
            esql_field(f.name) if cased else f"TO_LOWER({esql_field(f.name)})" for f in fields
        )
        if ref.starts_with:
            expr = f"STARTS_WITH({mine}, {theirs})"
        elif ref.ends_with:
            expr = f"ENDS_WITH({mine}, {theirs})"
        else:
            expr = f"{mine} == {theirs}"
        return self._two_valued(cond, fields, expr)

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{esql_field(self._resolve(cond, cond.field).name)} is null"

    def convert_condition_field_eq_val_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaExists)
        test = "is not null" if cond.value.exists else "is null"
        return f"{esql_field(self._resolve(cond, cond.field).name)} {test}"


def _equal_list(operand: str, items: Sequence[str]) -> str:
    return f"{operand} == {items[0]}" if len(items) == 1 else f"{operand} in ({', '.join(items)})"
