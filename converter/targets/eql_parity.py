"""The EQL parity profile: queries that mean what the Sigma rule means on the schema.

pySigma's EqlBackend (the stock profile) writes every value with ``:``/``like~``, escapes literal
``*``/``?`` as ``\\*`` (a lexer error), uses ``regex~`` for case-sensitive ``|re``, ignores
``|cased`` in lists and compares numbers, ip and text fields as strings, which Elasticsearch
refuses. This backend renders each value for the field's type in the schema
(converter.schema.model) with the operator whose documented meaning is Sigma's. Sources
(https://www.elastic.co/docs/reference/query-languages/eql/eql-syntax, "SYNTAX"):

* ``:`` is case-insensitive equality with ``*``/``?`` wildcards over the whole value, list form an
  OR; ``==``/``in`` are case-sensitive without wildcards; ``like`` is the case-sensitive wildcard
  match (SYNTAX "Comparison operators", "Pattern comparison keywords", "Lookup operators").
  ``:`` pairs each character with its one other case (Elasticsearch AutomatonQueries), so a
  value with a letter Python's IGNORECASE folds with several forms (sigmas, long s, dotted i)
  becomes a ``regex`` listing every form.
* Wildcards cannot be escaped (Elasticsearch ``StringUtils.toLikePattern``; SYNTAX "Wildcards"),
  so a value with a literal ``*`` or ``?`` becomes a ``regex`` (Lucene RegExp, whole value,
  converter.targets.regex) folded for case where Sigma ignores it.
* ``|re`` becomes ``regex`` over the whole value (SYNTAX "regex"; query-dsl/regexp-syntax), its
  case folded exactly as Python's ``re.IGNORECASE`` where the rule says ``i``/``(?i)``.
* Numbers on numeric fields, addresses and ``cidrMatch`` on ip fields (eql-function-ref
  ``cidrMatch``), booleans on boolean fields; a value a field's type cannot hold is dropped with a
  warning (the field cannot index it, mapping-reference/ip.md, number.md).
* Text fields: "EQL searches do not support text fields" (SYNTAX "Text fields are not supported");
  a keyword multi-field is used where the schema has one, else the rule is unsupported.
* A multi-field (``process.executable.caseless``) is queried through its parent, which holds the
  original value (mapping-reference/multi-fields.md): ``:`` already ignores case.
* Negation: SYNTAX defines ``not`` as true when its condition is false and null comparisons as
  matching nothing ("Optional fields"), so under a ``not`` each predicate is made two-valued with
  an explicit presence test, ``(field != null and predicate)`` ("Check if a field exists").
* Fields the schema does not know are marked optional (``?field``, SYNTAX "Optional fields").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from sigma.conditions import (
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
)
from sigma.conversion.state import ConversionState
from sigma.types import (
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaRegularExpression,
    SigmaString,
)

from converter.schema.model import Schema, ecs_schema
from converter.targets.eql import ElasticEqlBackend
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

_IDENT = re.compile(r"[A-Za-z_@][A-Za-z0-9_]*")
# EqlBase.g4 keywords: a field-name segment spelled like one must be back-quoted.
_KEYWORDS = frozenset(
    {
        "and",
        "any",
        "by",
        "false",
        "in",
        "join",
        "like",
        "maxspan",
        "not",
        "null",
        "of",
        "or",
        "regex",
        "runs",
        "sample",
        "sequence",
        "true",
        "until",
        "where",
        "with",
    }
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_COMPARE = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
# Value group -> (operator for one value, operator for a list): SYNTAX "Lookup operators".
_OPERATORS = {
    ":": (":", ":"),
    "in": ("==", "in"),
    "like": ("like", "like"),
    "regex": ("regex", "regex"),
}


def eql_string(text: str) -> str:
    """A double-quoted EQL string (SYNTAX "Escape characters in a string"); other control
    characters as ``\\u{XX}`` ("You can escape Unicode characters ...")."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):02x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def eql_field(name: str, optional: bool) -> str:
    """A field reference: back-quoted segments where SYNTAX "Escape a field name" asks."""
    segments = [
        s if _IDENT.fullmatch(s) and s not in _KEYWORDS else "`" + s.replace("`", "``") + "`"
        for s in name.split(".")
    ]
    return ("?" if optional else "") + ".".join(segments)


def _wildcard_text(parts: Sequence[Part]) -> str:
    """The ``:``/``like`` pattern (every backslash literal, SYNTAX "Wildcards")."""
    return "".join(p if isinstance(p, str) else "*" if is_wildcard(p, "*") else "?" for p in parts)


def _one_or_list(field: str, op: str, list_op: str, items: Sequence[str]) -> str:
    if len(items) == 1:
        return f"{field} {op} {items[0]}"
    return f"{field} {list_op} ({', '.join(items)})"


class EqlParityBackend(FieldPatterns, ParityWarnings, ValueLists, ElasticEqlBackend):
    """ElasticEqlBackend whose predicates follow the field types of the schema."""

    target_name: ClassVar[str] = "EQL"

    def __init__(self, *args: Any, schema: Schema | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema or ecs_schema()

    # --- fields --------------------------------------------------------------------------------

    def _resolve(self, name: str) -> Resolved:
        resolved = resolve(self.schema, name, self.target_name)
        if resolved.kind == Kind.TEXT:
            raise unsupported(
                f"{resolved.name} is a text field and has no keyword multi-field in the schema: "
                "EQL does not support text fields (eql-syntax 'Text fields are not supported')"
            )
        return resolved

    def _name(self, field: Resolved) -> str:
        return eql_field(field.name, optional=not field.known)

    def _two_valued(
        self, cond: ConditionFieldEqualsValueExpression, field: Resolved, expr: str
    ) -> str:
        """Under an odd number of ``not``: true only where the field has a value."""
        if not negated(cond) or expr == "false":
            return expr
        return f"({self._name(field)} != null and {expr})"

    # --- value lists ---------------------------------------------------------------------------

    def _values(self, cond: ConditionFieldEqualsValueExpression, values: Sequence[Any]) -> str:
        field = self._resolve(cond.field)
        render = self._renderers().get(field.kind)
        if render is None:
            raise unsupported(f"{field.name} is a {field.spec.type} field: EQL compares no values")
        clauses = render(cond, field, values)
        if not clauses:
            return "false"
        expr = clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"
        return self._two_valued(cond, field, expr)

    def _renderers(self) -> dict[Kind, Callable[..., list[str]]]:
        return {
            Kind.STRING: self._strings,
            Kind.NUMERIC: self._numbers,
            Kind.IP: self._addresses,
            Kind.BOOLEAN: self._booleans,
        }

    def _strings(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        """``:`` (ignores case, wildcards), ``in`` / ``like`` (|cased), ``regex`` (literal * ?)."""
        groups: dict[str, list[str]] = {":": [], "in": [], "like": [], "regex": []}
        for value in values:
            parts = parts_of(value)
            cased = isinstance(value, SigmaCasedString)
            if cased and field.spec.normalizer:
                self.warn_extra(
                    cond, "T1 |cased on a normalized field", f"{field.name} ignores case"
                )
            # ":" folds each character with its Character.toUpperCase/toLowerCase (Elasticsearch
            # AutomatonQueries), which keeps apart forms re.IGNORECASE joins (the three sigmas):
            # those values become a regex with every form.
            if literal_wildcards(parts) or (not cased and uneven_case(parts)):
                groups["regex"].append(eql_string(literal_regex(parts, fold_case=not cased)))
            elif not cased:
                groups[":"].append(eql_string(_wildcard_text(parts)))
            elif all(isinstance(p, str) for p in parts):
                groups["in"].append(eql_string("".join(p for p in parts if isinstance(p, str))))
            else:
                groups["like"].append(eql_string(_wildcard_text(parts)))
        name = self._name(field)
        return [_one_or_list(name, *_OPERATORS[op], items) for op, items in groups.items() if items]

    def _numbers(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        numbers = []
        for value in values:
            number = as_number(value_text(value))
            if number is None:
                self.warn_missed(
                    cond, "T18 value a numeric field cannot hold", f"{field.name}: {value}"
                )
            else:
                numbers.append(str(number))
        return [_one_or_list(self._name(field), "==", "in", numbers)] if numbers else []

    def _addresses(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        """Addresses by ``==``/``in``; whole-octet IPv4 prefixes (``10.*``) by cidrMatch."""
        addresses, networks = [], []
        for value in values:
            text = value_text(value)
            network = ipv4_prefix_cidr(parts_of(value)) if isinstance(value, SigmaString) else None
            if network is not None:
                networks.append(eql_string(network))
                self.warn_missed(cond, *prefix_warning(field.name, value))
            elif text is not None and is_ip(text):
                addresses.append(eql_string(text))
            else:
                self.warn_missed(
                    cond, "T15 value an ip field cannot hold", f"{field.name}: {value}"
                )
        name = self._name(field)
        clauses = [_one_or_list(name, "==", "in", addresses)] if addresses else []
        return clauses + ([f"cidrMatch({name}, {', '.join(networks)})"] if networks else [])

    def _booleans(self, cond: Any, field: Resolved, values: Sequence[Any]) -> list[str]:
        texts = {str(value_text(v)).lower() for v in values}
        for text in sorted(texts - {"true", "false"}):
            self.warn_missed(cond, "T18 value a boolean field cannot hold", f"{field.name}: {text}")
        return [f"{self._name(field)} == {b}" for b in sorted(texts & {"true", "false"})]

    # --- other value types ---------------------------------------------------------------------

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaRegularExpression)
        field = self._resolve(cond.field)
        if field.kind != Kind.STRING:
            raise unsupported(
                f"|re on {field.name}, a {field.spec.type} field: regex needs strings"
            )
        body = regex_body(self, cond, cond.value)
        return self._two_valued(cond, field, f"{self._name(field)} regex {eql_string(body)}")

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaCIDRExpression)
        return self._networks(cond, [cond.value.network])

    def _networks(self, cond: ConditionFieldEqualsValueExpression, networks: list[Network]) -> str:
        """cidrMatch on ip fields; on string fields the exact pattern of the IPv4 addresses'
        texts (Sigma tests a string value that parses as an address in the network)."""
        field = self._resolve(cond.field)
        name = self._name(field)
        if field.kind == Kind.IP:
            blocks = ", ".join(eql_string(str(n)) for n in networks)
            return self._two_valued(cond, field, f"cidrMatch({name}, {blocks})")
        if field.kind != Kind.STRING:
            raise unsupported(f"|cidr on {field.name}, a {field.spec.type} field")
        bodies = []
        for network in networks:
            body = cidr_regex(network)
            if body is None:  # IPv6 text has many spellings: no pattern covers them all
                self.warn_missed(cond, "T15 IPv6 network on a string field", str(network))
            else:
                bodies.append(eql_string(body))
        if not bodies:
            return "false"
        return self._two_valued(cond, field, _one_or_list(name, "regex", "regex", bodies))

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaCompareExpression)
        field = self._resolve(cond.field)
        op, limit = _COMPARE[cond.value.op.name], cond.value.number.number
        if field.kind == Kind.NUMERIC:
            operand = self._name(field)
        elif field.kind == Kind.STRING:
            operand = f"number({self._name(field)})"  # eql-function-ref "number"
        else:
            raise unsupported(
                f"{cond.value.op.name.lower()} on {field.name}, a {field.spec.type} field"
            )
        return self._two_valued(cond, field, f"{operand} {op} {limit}")

    def convert_condition_field_eq_field(self, cond: Any, state: ConversionState) -> str:
        raise unsupported(
            "|fieldref: EQL cannot compare a field to another field "
            "(eql-syntax 'Limitations for comparisons')"
        )

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        """``not f == null`` is ``f != null`` (the stock backend writes the unresolved name)."""
        arg = cond.args[0]
        if isinstance(arg, ConditionFieldEqualsValueExpression) and isinstance(
            arg.value, SigmaNull
        ):
            return f"{self._name(self._resolve(arg.field))} != null"
        return super().convert_condition_not(cond, state)

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        return f"{self._name(self._resolve(cond.field))} == null"

    def convert_condition_field_eq_val_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        assert isinstance(cond.value, SigmaExists)
        op = "!=" if cond.value.exists else "=="
        return f"{self._name(self._resolve(cond.field))} {op} null"
