"""The parity profile of the ``kql`` target: KQL that means what the rule means, or says how not.

Our KQL backend (converter/targets/kql.py) already refuses what KQL cannot say and escapes what
its grammar would misread (operator words, special characters, whitespace). KQL has no regexp
and no case-insensitive option (https://www.elastic.co/docs/reference/query-languages/kql;
Kibana ``functions/is.ts`` builds ``term``/``match``/``wildcard``/``query_string`` queries
without ``case_insensitive``), so on top of it this subclass:

* Case (T1): sends a value to a multi-field with a lowercase normalizer where the schema has one
  (Elasticsearch normalizes term and wildcard input, ES PR #53127); elsewhere a value with cased
  letters matches in its own case only, a subset (under-match warning). ``|cased`` values go to
  a field that keeps case (the parent of a ``.caseless`` multi-field), else ignore case
  (over-match). The normalizer lowercases per code point (Java Character.toLowerCase), which
  keeps apart letters Python's IGNORECASE joins (sigmas, long s, dotted/dotless i, micro sign):
  such a value is listed once per combination of those letters' case forms (under-match
  warning past MAX_CASE_VARIANTS).
* ``?`` (T3): KQL's only wildcard is ``*``, so Sigma's one-character wildcard becomes ``*``
  (over-match).
* Text fields (T15): analysed into lower-cased tokens; ``*run*`` of token characters is exact,
  other values are matched by the tokens they imply (over-match, see lucene_kql_fields).
* Regexes (T6/T7): the literals the regex cannot avoid, as ``*literal*`` patterns (over-match;
  converter/targets/regex_superset.py); refused where case would make that a non-superset.
* Keywords: a field-less pattern, which Kibana sends as query_string over the index's default
  fields: case-sensitive on keyword fields, per token on text (under-match).

Warning directions are seen from the whole query: an odd number of enclosing ``not`` flips them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any, ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.state import ConversionState
from sigma.types import SigmaCasedString, SigmaRegularExpression, SigmaString, SpecialChars

from converter.targets import lucene_kql_fields as fields
from converter.targets import regex
from converter.targets.kql import KibanaKqlBackend, quote, unsupported
from converter.targets.lucene_kql_fields import WILD, Part
from converter.targets.regex_superset import NotParsable, requirement

MAX_CASE_VARIANTS = 16  # values per Sigma value for unevenly folded letters (a short query)


class KqlParityBackend(fields.DistinctWarnings, KibanaKqlBackend):
    """KibanaKqlBackend with the parity overrides."""

    name: ClassVar[str] = "Kibana Query Language (parity)"

    # Field choice (T1)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        field, value = self._field_value(cond)
        return f"{self.escape_and_quote_field(field)}:{value}"

    convert_condition_field_eq_val_str_case_sensitive = convert_condition_field_eq_val_str

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        """`field:(v1 or v2)` on the field the values were sent to (the same for all values
        of one list: it depends on the field and ``|cased`` only)."""
        args = [a for a in cond.args if isinstance(a, ConditionFieldEqualsValueExpression)]
        pairs = [self._field_value(a) for a in args]
        if len({f for f, _ in pairs}) == 1:
            values = self.list_separator.join(v for _, v in pairs)
            return f"{self.escape_and_quote_field(pairs[0][0])}:({values})"
        exprs = [f"{self.escape_and_quote_field(f)}:{v}" for f, v in pairs]
        return "(" + " or ".join(exprs) + ")"

    def _field_value(self, cond: ConditionFieldEqualsValueExpression) -> tuple[str, str]:
        value = cond.value
        if not isinstance(value, SigmaString):
            return cond.field, self.render_value(cond)
        constant = fields.from_logsource(cond)
        flipped = fields.negated(cond)
        field = cond.field if constant else self._target(cond.field, value, flipped)
        if not constant and fields.folds_unevenly(value) and self._folds(field, value):
            return field, self._case_forms(field, value, flipped)
        return field, self._render_string(field, value, False, flipped)

    def _folds(self, field: str, value: SigmaString) -> bool:
        """Whether the field folds the value's case (a normalizer or a text analyzer)."""
        spec = self.schema.field(field)
        return not isinstance(value, SigmaCasedString) and (
            spec.is_text or fields.ignores_case(self.schema, field)
        )

    def _case_forms(self, field: str, value: SigmaString, flipped: bool) -> str:
        """A lowercase normalizer folds per character with Java's Character.toLowerCase, which
        keeps apart forms ``re.IGNORECASE`` joins (final and medial sigma, long s and s): the
        value once per combination of the case forms of those letters (forms the normalizer
        joins repeat, harmlessly). Too many combinations, or a text field, find a subset."""
        forms = self._forms(field, value, flipped)
        if forms is not None:
            return forms
        message = f"{field} lowercases per character: other case forms of {value} missed"
        self.warn("T1 non-ASCII case folding", fields.direction(False, flipped), message)
        return self._render_string(field, value, False, flipped)

    def _forms(self, field: str, value: SigmaString, flipped: bool) -> str | None:
        """``(v1 or v2 ...)`` over the value's case-form combinations; None past the limit or on
        a text field (whose tokens are searched one by one)."""
        variants = _case_variants(value, MAX_CASE_VARIANTS)
        if variants is None or self.schema.field(field).is_text:
            return None
        rendered = [self._render_string(field, v, False, flipped) for v in variants]
        return "(" + " or ".join(dict.fromkeys(rendered)) + ")"

    def _target(self, field: str, value: SigmaString, flipped: bool) -> str:
        """The field a keyword-type value is sent to, warning where case cannot be kept; a
        text field's keyword multi-field where it has one."""
        if self.schema.field(field).is_text:
            cased = isinstance(value, SigmaCasedString)
            field = fields.keyword_child(self.schema, field, cased) or field
        if not self.schema.field(field).is_keyword or value.s == [WILD]:
            return field
        has_case = fields.string_has_case(value)
        if isinstance(value, SigmaCasedString):
            target = fields.cased_variant(self.schema, field)
            if target is None and has_case:
                self.warn("T1 |cased", fields.direction(True, flipped), f"{field} ignores case")
            return target or field
        variant = fields.caseless_variant(self.schema, field)
        if variant is None and has_case:
            message = f"{field} has no case-insensitive variant: values match in the rule's case"
            self.warn("T1 case", fields.direction(False, flipped), message)
        return variant or field

    def _check_case(self, field: str, cased: bool) -> None:
        """Case is decided by _target (a field choice or a warning), never refused here."""

    # Values

    def _render_string(self, field: str, value: SigmaString, cased: bool, negated: bool) -> str:
        if value.contains_placeholder():
            raise unsupported(f"unresolved placeholder in the value of {field}")
        if self.schema.field(field).is_text and value.s != [WILD]:
            return self._text(field, value, negated)
        if SpecialChars.WILDCARD_SINGLE in value.s:
            message = "KQL has no one-character wildcard: Sigma '?' matched as '*'"
            self.warn("T3 '?'", fields.direction(True, negated), message)
            value = _question_as_star(value)
        return super()._render_string(field, value, cased, negated)

    def _text(self, field: str, value: SigmaString, negated: bool) -> str:
        """The tokens the value implies, each a KQL value (see lucene_kql_fields)."""
        try:
            plan = fields.token_patterns(value, self.schema.field(field).analyzer)
        except fields.UnknownAnalyzer as e:
            raise unsupported(f"{field} is analysed text with the unknown analyzer {e}") from None
        cased = isinstance(value, SigmaCasedString) and fields.string_has_case(value)
        if not plan.exact or cased:
            message = f"{field} is analysed text: {plan.summary}"
            self.warn("T15 text field", fields.direction(True, negated), message)
        terms = [self._token(p) for p in plan.patterns] or ["*"]
        return terms[0] if len(terms) == 1 else "(" + " and ".join(terms) + ")"

    def _token(self, pattern: tuple[Part, ...]) -> str:
        if WILD not in pattern:
            return quote("".join(str(p) for p in pattern))  # match_phrase of one token
        return self._pattern(_plain(pattern))

    # Regular expressions (required literals)

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """KQL has no regexp: the literals the regex requires, each as 'contains' (a
        superset), where the field's case handling keeps that a superset."""
        value = cond.value
        assert isinstance(value, SigmaRegularExpression)
        try:
            needed = requirement(str(value.regexp), value.flags)
        except NotParsable as e:
            raise unsupported(f"|re {value.regexp}: {e}") from None
        flipped = fields.negated(cond)
        expr = fields.render_need(
            needed.need,
            lambda text: self._contains(cond.field, text, needed.ignores_case, flipped),
            self.and_token,
            self.or_token,
        )
        shown = expr or f"{cond.field}:*"
        self.warn("T6/T7 regex", fields.direction(True, flipped), f"KQL has no regexp: {shown}")
        return expr or f"{self.escape_and_quote_field(cond.field)}:*"

    def _contains(self, field: str, text: str, ignores_case: bool, flipped: bool) -> str | None:
        """``field:*text*``; None for blank text (it says nothing about the value)."""
        if not text.strip():
            return None
        value = _contains_value(text, cased=not ignores_case)
        if ignores_case:
            target = fields.caseless_variant(self.schema, field) or field
            folds = self.schema.field(target).is_text or target != field
            if not folds and not fields.ignores_case(self.schema, field) and fields.has_case(text):
                raise unsupported(f"|re ignoring case on {field}, which keeps case (no regexp)")
        else:
            target = self._target(field, value, flipped)
        if ignores_case and fields.folds_unevenly(value) and self._folds(target, value):
            # every case form, or nothing certain: the superset must not lose a form
            forms = self._forms(target, value, flipped)
            if forms is None:
                return None
            return f"{self.escape_and_quote_field(target)}:{forms}"
        rendered = self._render_string(target, value, False, flipped)
        return f"{self.escape_and_quote_field(target)}:{rendered}"

    # Keywords

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Any:
        """``*value*`` without a field: Kibana sends it as query_string over the index's default
        fields; keyword fields compare it case-sensitively and text fields per token, so it
        finds a subset of the events. Whitespace (which query_string splits at) and ``?`` (a
        literal in KQL) would also add matches: refused."""
        value = cond.value
        assert isinstance(value, SigmaString)
        parts: list[Part] = [WILD, *value.s, WILD]
        text = "".join(p for p in parts if isinstance(p, str))
        if SpecialChars.WILDCARD_SINGLE in parts or any(c.isspace() for c in text):
            raise unsupported("keyword with whitespace or '?': KQL would widen and narrow it")
        message = "keyword matched case-sensitively on keyword fields and per token on text"
        self.warn("keyword search", fields.direction(False, fields.negated(cond)), message)
        return self._pattern(_plain(_merge_wildcards(parts)))


def _case_variants(value: SigmaString, most: int) -> list[SigmaString] | None:
    """``value`` with each unevenly folded letter replaced by each of its case forms; None when
    that makes more than ``most`` values."""
    choices: list[tuple[Part, ...]] = []
    for part in value.s:
        if not isinstance(part, str):
            choices.append((part,))
            continue
        for c in part:
            choices.append(regex.case_forms(c) if regex.folds_unevenly(c) else (c,))
    if math.prod(len(c) for c in choices) > most:
        return None
    return [fields.sigma_string(_joined(combo)) for combo in itertools.product(*choices)]


def _joined(parts: Iterable[Part]) -> tuple[Part, ...]:
    """Adjacent characters as one string part, as pySigma keeps them."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(part)
    return tuple(out)


def _plain(parts: Iterable[Part]) -> list[str | SpecialChars]:
    """Parts without placeholders (values with placeholders are refused before rendering)."""
    return [p for p in parts if isinstance(p, (str, SpecialChars))]


def _contains_value(text: str, cased: bool) -> SigmaString:
    value = SigmaCasedString(text) if cased else SigmaString(text)
    value.s = [WILD, text, WILD]
    return value


def _question_as_star(value: SigmaString) -> SigmaString:
    parts = [WILD if p == SpecialChars.WILDCARD_SINGLE else p for p in value.s]
    return fields.sigma_string(tuple(_merge_wildcards(parts)))


def _merge_wildcards(parts: list[Part]) -> list[Part]:
    out: list[Part] = []
    for part in parts:
        if not (part == WILD and out and out[-1] == WILD):
            out.append(part)
    return out
