"""The parity profile of the ``lucene`` target: query_string queries that mean what the rule means.

pySigma's LuceneBackend (the stock profile) writes Sigma values as wildcard terms and regexes as
given. Elasticsearch's query_string reads those differently from Sigma (docs/engines.md, Lucene
and Query DSL sections; research/SEMANTICS.md §8); this subclass changes what it must:

* Case (T1): keyword and wildcard fields compare case-sensitively. A value goes to a multi-field
  with a lowercase normalizer where the schema has one (the normalizer applies to wildcard and
  prefix patterns, ES PR #53127); otherwise a value with cased letters becomes a Lucene regexp
  listing both cases of each letter (converter.targets.regex). The normalizer lowercases per
  code point (Java Character.toLowerCase), which keeps apart letters Python's IGNORECASE joins
  (final and medial sigma, long s, dotted and dotless i, micro sign and mu): values with such a
  letter get the regexp on the parent field instead. ``|cased`` values go to a field that keeps
  case (the parent of a ``.caseless`` multi-field).
* Text fields (T15): analysed into lower-cased tokens; ``*run*`` of token characters is exact,
  anything else is approximated by the tokens it implies (over-match warning).
* Regexes (T6/T7): translated to Lucene RegExp (whole-value anchoring, dialect, case folding).
* Negation (T10): query_string has no precedence; ``a OR NOT b`` is read as ``+a -b``. Every
  negation that is not a clause of an AND is written ``(*:* AND NOT x)``; groups are always
  parenthesised (pySigma's ``parenthesize``).
* Ranges (T11): an unquoted term starting with ``<``/``>`` is a range even when escaped, so such
  values are quoted (literal) or written as a regexp (pattern).
* Whitespace (tab, CR, LF, U+3000, not only the space pySigma escapes) ends a term unless
  escaped: every such character is escaped with ``\\`` (QueryParser.jj); a term that is a whole
  ``AND``/``OR``/``NOT`` gets its first letter escaped (those words are operators).

Where the query cannot mean exactly the rule, it says so with a warning whose direction is seen
from the whole query; what it cannot approximate raises SigmaFeatureNotSupportedByBackendError.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import (
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExpansion,
    SigmaRegularExpression,
    SigmaString,
)

from converter.schema.ecs import NUMERIC_TYPES
from converter.schema.model import Schema, ecs_schema
from converter.targets import lucene_kql_fields as fields
from converter.targets.lucene_kql_fields import WILD
from converter.targets.lucene_ranges import (
    comparison_bounds,
    integer_regexp,
    ipv4_prefix,
    ipv4_regexp,
)
from converter.targets.regex import Untranslatable, literal_to_lucene, translate
from converter.targets.regex_superset import NotParsable, requirement

MATCH_ALL = "*:*"  # query_string: all fields, any value (match_all)


@dataclass(frozen=True)
class Clause:
    """``field:value`` (field set, for value lists) or a whole expression (field None)."""

    field: str | None
    value: str

    @property
    def text(self) -> str:
        return self.value if self.field is None else f"{self.field}:{self.value}"


def unsupported(reason: str) -> SigmaFeatureNotSupportedByBackendError:
    return SigmaFeatureNotSupportedByBackendError(reason)


class LuceneParityBackend(fields.DistinctWarnings, LuceneBackend):
    """LuceneBackend with the parity overrides; values are rendered per field type."""

    name: ClassVar[str] = "Elasticsearch Lucene (parity)"
    # pySigma escapes the space only; the classic QueryParser also ends a term at tab, CR, LF
    # and U+3000 (QueryParser.jj _WHITESPACE), and ``\`` + any character is that character.
    add_escaped: ClassVar[str] = LuceneBackend.add_escaped + "\t\n\r\u3000"

    def __init__(self, *args: Any, schema: Schema | None = None, **kwargs: Any) -> None:
        """`schema`: the field types to convert for (default: the built-in ECS schema)."""
        super().__init__(*args, **kwargs)
        self.schema = schema or ecs_schema()
        self._state = ConversionState()  # pySigma's value escaping does not read it

    # Negation (T10)

    def _negative(self, cond: fields.Node, expr: Any, grouped: bool) -> str:
        """A negative clause stands alone only inside an AND (``a AND NOT b`` is ``+a -b``);
        anywhere else it subtracts from an explicit match-all, in parentheses unless its parent
        puts them there (``grouped``) or it is the whole query."""
        parent = fields.logical_parent(cond)
        if isinstance(parent, ConditionAND):
            return str(expr)
        if grouped or parent is None:
            return f"{MATCH_ALL} AND {expr}"
        return f"({MATCH_ALL} AND {expr})"

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        """NOT nodes are grouped by every parent (pySigma's parenthesize)."""
        expr = super().convert_condition_not(cond, state)
        if isinstance(expr, str) and expr.startswith(self.not_token + self.token_separator):
            return self._negative(cond, expr, grouped=True)
        return expr  # NOT null: `_exists_:f`, a positive clause

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """LuceneBackend groups null leaves inside AND and OR (its compare_precedence)."""
        expr = super().convert_condition_field_eq_val_null(cond, state)
        return self._negative(cond, expr, grouped=True)

    def convert_condition_field_not_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        expr = super().convert_condition_field_not_exists(cond, state)
        return self._negative(cond, expr, grouped=False)

    # Strings

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """One value on one field, rendered for the field's type (see the module docstring)."""
        if fields.from_logsource(cond):
            return self._term(cond.field, _string(cond)).text
        return self._string(cond.field, _string(cond), fields.negated(cond)).text

    convert_condition_field_eq_val_str_case_sensitive = convert_condition_field_eq_val_str

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        """`field:(a OR b)` when every value renders as a term of one field; else the OR of the
        values' own expressions."""
        args = [a for a in cond.args if isinstance(a, ConditionFieldEqualsValueExpression)]
        flipped = fields.negated(cond)
        clauses = [self._value(a, flipped) for a in args]
        names = {c.field for c in clauses}
        if len(names) == 1 and None not in names:
            values = self.list_separator.join(c.value for c in clauses)
            return f"{clauses[0].field}:({values})"
        return self.list_separator.join(c.text for c in clauses)

    def _value(self, cond: ConditionFieldEqualsValueExpression, flipped: bool) -> Clause:
        if isinstance(cond.value, SigmaString) and fields.from_logsource(cond):
            return self._term(cond.field, cond.value)
        if isinstance(cond.value, SigmaString):
            return self._string(cond.field, cond.value, flipped)
        return self._clause(cond.field, str(cond.value))  # a number: every type takes its text

    def _clause(self, field: str, value: str) -> Clause:
        return Clause(self.escape_and_quote_field(field), value)

    def _string(self, field: str, value: SigmaString, flipped: bool) -> Clause:
        if value.contains_placeholder():
            raise unsupported(f"unresolved placeholder in the value of {field}")
        spec = self.schema.field(field)
        if value.s == [WILD]:
            return self._clause(field, "*")  # exists, on every field type
        if spec.is_text:
            cased = isinstance(value, SigmaCasedString)
            child = fields.keyword_child(self.schema, field, cased)
            return (
                self._text(field, value, flipped)
                if child is None
                else self._string(child, value, flipped)
            )
        if not spec.is_keyword:
            return self._typed(field, value, flipped)
        if isinstance(value, SigmaCasedString):
            return self._cased(field, value, flipped)
        variant = fields.caseless_variant(self.schema, field)
        if not fields.string_has_case(value):
            return self._term(variant or field, value)
        if variant is not None and fields.folds_unevenly(value):
            return self._uneven(field, variant, value, flipped)
        if variant is not None:
            return self._term(variant, value)
        return self._folded(field, value, flipped)

    def _uneven(self, field: str, variant: str, value: SigmaString, flipped: bool) -> Clause:
        """A letter the lowercase normalizer folds differently from ``re.IGNORECASE`` (U+03C2
        and U+03C3 stay apart; LowerCaseFilter is Java's per-code-point Character.toLowerCase):
        the case-folded regexp on the field that keeps case; without one, the normalized
        field, which finds a subset."""
        cased = fields.cased_variant(self.schema, field)
        if cased is not None and cased != variant:
            return self._folded(cased, value, flipped)
        direction = fields.direction(matches_more=False, flipped=flipped)
        message = f"{variant} lowercases per character: other case forms of {value} missed"
        self.warn("T1 non-ASCII case folding", direction, message)
        return self._term(variant, value)

    def _cased(self, field: str, value: SigmaString, flipped: bool) -> Clause:
        """``|cased``: a field that keeps case; else the case-insensitive field, a superset."""
        target = fields.cased_variant(self.schema, field)
        if target is not None or not fields.string_has_case(value):
            return self._term(target or field, value)
        direction = fields.direction(matches_more=True, flipped=flipped)
        self.warn("T1 |cased", direction, f"{field} ignores case; |cased matched without case")
        return self._term(field, value)

    def _folded(self, field: str, value: SigmaString, flipped: bool) -> Clause:
        """A regexp with every case form of each letter (Python's IGNORECASE equivalence); too
        long a regexp falls back to the exact-case term, a subset."""
        try:
            return self._regexp(field, literal_to_lucene(value, fold_case=True))
        except Untranslatable as e:
            direction = fields.direction(matches_more=False, flipped=flipped)
            self.warn("T1 case", direction, f"{field} matched case-sensitively: {e}")
            return self._term(field, value)

    def _regexp(self, field: str, body: str) -> Clause:
        return self._clause(field, _regexp_term(body))

    def _term(self, field: str, value: SigmaString) -> Clause:
        """The value as a query_string term on a keyword field (pySigma's escaping), except a
        leading ``<``/``>``, which query_string reads as a range even when escaped (T11)."""
        first = value.s[0] if value.s else ""
        if isinstance(first, str) and first[:1] in ("<", ">"):
            if not value.contains_special():  # str() would re-escape a literal * or ?
                return self._clause(
                    field, _phrase("".join(p for p in value.s if isinstance(p, str)))
                )
            return self._regexp(field, literal_to_lucene(value, fold_case=False))
        text = self.convert_value_str(value, self._state)
        # A whole term AND, OR or NOT is an operator (QueryParser.jj: <AND>, <OR>, <NOT>);
        # ``\\`` + any character is that character, so an escaped first letter is a term.
        return self._clause(field, "\\" + text if text in ("AND", "OR", "NOT") else text)

    def _typed(self, field: str, value: SigmaString, flipped: bool) -> Clause:
        """Numeric, ip, boolean and date fields compare parsed values. Whole-octet IPv4 prefixes
        on ip fields are CIDRs; other patterns and unparsable values find nothing (query_string
        is lenient), a subset of the rule's matches."""
        kind = self.schema.field(field).type
        network = ipv4_prefix(value) if kind == "ip" else None
        if network is not None:
            return self._clause(field, network.replace("/", "\\/"))
        if not value.contains_special() and _parses(kind, str(value)):
            return self._term(field, value)
        direction = fields.direction(matches_more=False, flipped=flipped)
        self.warn("T15 field type", direction, f"{field} is {kind}: {value} never matches there")
        return self._term(field, value)

    # Text fields (T15)

    def _text(self, field: str, value: SigmaString, flipped: bool) -> Clause:
        try:
            plan = fields.token_patterns(value, self.schema.field(field).analyzer)
        except fields.UnknownAnalyzer as e:
            raise unsupported(f"{field} is analysed text with the unknown analyzer {e}") from None
        cased = isinstance(value, SigmaCasedString) and fields.string_has_case(value)
        if not plan.exact or cased:
            direction = fields.direction(matches_more=True, flipped=flipped)
            self.warn("T15 text field", direction, f"{field} is analysed text: {plan.summary}")
        if not plan.patterns:
            return Clause(None, self.field_exists_expression.format(field=self._field(field)))
        terms = [self._term(field, fields.sigma_string(p)) for p in plan.patterns]
        if len(terms) == 1:
            return terms[0]
        return Clause(None, "(" + " AND ".join(t.text for t in terms) + ")")

    def _field(self, field: str) -> str:
        return self.escape_and_quote_field(field)

    # Regular expressions (T6, T7)

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Translated to a whole-value Lucene RegExp on a field that keeps case (letters folded
        where the regex ignores case); text fields and patterns without a translation get the
        literals the regex requires, a superset."""
        value = cond.value
        assert isinstance(value, SigmaRegularExpression)
        field, pattern, flags = cond.field, str(value.regexp), value.flags
        spec = self.schema.field(field)
        if spec.is_text:
            field = fields.keyword_child(self.schema, field, cased=True) or field
            spec = self.schema.field(field)
        target = fields.cased_variant(self.schema, field)
        if spec.is_text or not spec.is_keyword or target is None:
            return self._required(cond, f"{field} is {spec.type}: regexps match single tokens")
        try:  # lookaround, \b, backreferences: widened by the translator (an over-match)
            translation = translate(pattern, flags, fold_case=True, approximate=True)
        except Untranslatable as e:
            return self._required(cond, str(e))
        if translation.direction == "either":
            return self._required(cond, "; ".join(translation.inexact))
        if translation.direction is not None:
            more = translation.direction == "over-match"
            reason = "; ".join(translation.inexact)
            self.warn("T7 regex dialect", fields.direction(more, fields.negated(cond)), reason)
        return self._regexp(target, translation.body).text

    def _required(self, cond: ConditionFieldEqualsValueExpression, why: str) -> str:
        """The literals the regex cannot avoid, each matched as 'contains' (an over-match)."""
        value = cond.value
        assert isinstance(value, SigmaRegularExpression)
        try:
            needed = requirement(str(value.regexp), value.flags)
        except NotParsable as e:
            raise unsupported(f"|re {value.regexp}: {e}") from None
        field, flipped = cond.field, fields.negated(cond)
        leaf = partial(self._contains, field, needed.ignores_case, flipped)
        expr = fields.render_need(needed.need, leaf, self.and_token, self.or_token)
        shown = expr or f"{field}:*"
        self.warn("T6/T7 regex", fields.direction(True, flipped), f"|re as {shown}: {why}")
        return expr or self._clause(field, "*").text

    def _contains(self, field: str, ignores_case: bool, flipped: bool, text: str) -> str | None:
        """'contains text' on the field, or None where nothing about the field is certain."""
        value = fields.sigma_string((WILD, text, WILD))
        if ignores_case:
            return self._string(field, value, flipped).text if text.strip() else None
        cased = SigmaCasedString(text)
        cased.s = value.s
        return self._string(field, cased, flipped).text

    # Values that expand into lists (windash, base64offset, ...)

    def convert_condition_field_eq_expansion(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """One parenthesised OR of the values, whose leaves keep the enclosing NOTs visible."""
        assert isinstance(cond.value, SigmaExpansion)
        values = [ConditionFieldEqualsValueExpression(cond.field, v) for v in cond.value.values]
        or_cond = ConditionOR(values, cond.source)  # type: ignore[arg-type]
        or_cond.parent = cond.parent
        for value in values:
            value.parent = or_cond
        if self.decide_convert_condition_as_in_expression(or_cond, state):
            return f"({self.convert_condition_as_in_expression(or_cond, state)})"
        return self.group_expression.format(expr=self.convert_condition_or(or_cond, state))

    # CIDR (T15)

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """An ip field takes CIDR notation in a term. On other types the value is text: an IPv4
        network becomes a regexp of the addresses' dotted-decimal text (as Python's ipaddress
        parses them: no leading zeros). IPv6 text has many spellings: only the network address,
        compressed, is matched (a subset)."""
        network = cond.value.network if isinstance(cond.value, SigmaCIDRExpression) else None
        assert network is not None
        if self.schema.field(cond.field).type == "ip":
            return super().convert_condition_field_eq_val_cidr(cond, state)
        if isinstance(network, ipaddress.IPv4Network):
            return self._regexp(cond.field, ipv4_regexp(network)).text
        address = network.network_address.compressed
        direction = fields.direction(matches_more=False, flipped=fields.negated(cond))
        message = f"{cond.field} is not an ip field: {network} matched as the text {address}"
        self.warn("T15 cidr", direction, message)
        return self._regexp(cond.field, literal_to_lucene(address, fold_case=True)).text

    # Comparisons (T18)

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """Numeric fields take query_string's range; on a keyword field a range compares text
        (``"999" > "1000"``), so the integers in range become a regexp of their decimal text:
        decimals, exponents, signs and leading zeros, which Sigma reads as numbers too, are
        missed (an under-match)."""
        value = cond.value
        assert isinstance(value, SigmaCompareExpression)
        spec = self.schema.field(cond.field)
        if not spec.is_keyword:
            return super().convert_condition_field_compare_op_val(cond, state)
        body = integer_regexp(*comparison_bounds(value))
        if body is None:
            raise unsupported(f"{cond.field}: no integer satisfies {value.op.name} {value.number}")
        direction = fields.direction(matches_more=False, flipped=fields.negated(cond))
        message = f"{cond.field} is {spec.type}: compared as integer text (decimals missed)"
        self.warn("T18 number as text", direction, message)
        return self._regexp(cond.field, body).text

    # Keywords (values without a field)

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Any:
        """``*value*`` over every field as a case-folded regexp: a keyword, wildcard or
        normalized field matches its whole value; text fields match single tokens and typed
        fields nothing, so values found only there are missed (a subset, on an index whose
        fields are the event's: Elasticsearch searches index.query.default_field)."""
        assert isinstance(cond.value, SigmaString)
        value = fields.sigma_string((WILD, *cond.value.s, WILD))
        direction = fields.direction(matches_more=False, flipped=fields.negated(cond))
        self.warn("keyword search", direction, "keywords miss values split into tokens")
        try:
            return _regexp_term(literal_to_lucene(value, fold_case=True))
        except Untranslatable as e:
            raise unsupported(f"keyword {cond.value}: {e}") from None


def _regexp_term(body: str) -> str:
    """``/body/``. The query_string lexer reads ``\\/`` as an escaped slash, so a body ending in
    an escaped backslash would swallow its closing slash: that backslash becomes ``[\\\\]``."""
    trailing = len(body) - len(body.rstrip("\\"))
    if trailing % 2 == 0 and trailing:
        body = body[:-2] + "[\\\\]"
    return f"/{body}/"


def _parses(kind: str, text: str) -> bool:
    """Whether a field of the type takes the text as a value (else query_string finds nothing)."""
    if kind == "ip":
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return False
        return True
    if kind in NUMERIC_TYPES:
        return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None
    if kind == "boolean":
        return text.lower() in ("true", "false")
    return kind == "date"


def _string(cond: ConditionFieldEqualsValueExpression) -> SigmaString:
    assert isinstance(cond.value, SigmaString)
    return cond.value


def _phrase(text: str) -> str:
    """A quoted query_string phrase: one term on keyword fields, ``*``/``?`` literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
