"""Native Python predicate: one Python expression over ``event`` per rule.

The expression calls the helpers of :mod:`converter.pyruntime` (``_match``, ``_regex``, ...),
whose source the ``module`` format embeds, so a rendered module needs only the standard library.
Rule values reach the expression only as constants written by :func:`repr` (field names, globs,
regular expressions, numbers), never as spliced text, so no rule can inject code.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
)

from converter.fields import cased_item
from converter.targets.base import Format, Target

Literal = str | int | float | bool
ConditionLeaf = ConditionFieldEqualsValueExpression | ConditionValueExpression


def py_literal(value: Literal) -> str:
    """The Python source of a rule constant; only plain str, int, float and bool are accepted."""
    if isinstance(value, str):
        return str.__repr__(value)
    if isinstance(value, bool):
        return bool.__repr__(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        return float.__repr__(value)
    raise TypeError(f"not a rule constant: {value!r}")


def pyrepr(value: Any) -> str:
    """Jinja filter: the Python literal of a str, int, None or list of str.

    Anything else raises ValueError (which the renderer reports as a template error): the
    module template must never turn an unexpected object into source text.
    """
    if value is None:
        return "None"
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return py_literal(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "[" + ", ".join(py_literal(item) for item in value) + "]"
    raise ValueError(f"pyrepr: refusing to render a {type(value).__name__} as Python source")


def unsupported(message: str, cond: Any = None) -> SigmaFeatureNotSupportedByBackendError:
    return SigmaFeatureNotSupportedByBackendError(message, source=getattr(cond, "source", None))


def glob(value: SigmaString) -> str:
    """The runtime's glob for a Sigma string: ``*``, ``?`` wildcards; ``\\`` escapes literals."""
    names = [f"%{part.name}%" for part in value.s if isinstance(part, Placeholder)]
    if names:
        raise unsupported(f"unresolved placeholder {', '.join(names)} (|expand needs a pipeline)")
    return value.convert(
        escape_char="\\", wildcard_multi="*", wildcard_single="?", add_escaped="\\"
    )


def contains(value: SigmaString) -> SigmaString:
    """The value with ``*`` on both ends (keywords match anywhere in a value)."""
    star = SpecialChars.WILDCARD_MULTI
    if not value.startswith(star):
        value = star + value
    return value if value.endswith(star) else value + star


def regex_flags(value: SigmaRegularExpression) -> str:
    letters = SigmaRegularExpression.sigma_to_re_flag
    return "".join(sorted(letters[flag] for flag in value.flags))


class PythonPredicateBackend(TextQueryBackend):
    """Sigma rules as Python boolean expressions over a mapping named ``event``.

    Mostly a token table. Python's own precedence (``not`` > ``and`` > ``or``) is Sigma's, so
    grouping follows pySigma's default rules. Methods are overridden only where the base class
    would splice a value as text (numbers, booleans, CIDR, comparisons, field references,
    regex flags, value lists) or cannot express the case (keyword value expansions, ``|cased``
    keywords), and to turn what a per-event predicate cannot say into a clean "unsupported".
    """

    name: ClassVar[str] = "Python predicate"
    formats: ClassVar[dict[str, str]] = {"default": "Python expressions over `event`"}
    requires_pipeline: ClassVar[bool] = False

    precedence: ClassVar[tuple[type[ConditionNOT], type[ConditionAND], type[ConditionOR]]] = (
        ConditionNOT,
        ConditionAND,
        ConditionOR,
    )  # Python binds not > and > or, as Sigma does
    group_expression: ClassVar[str] = "({expr})"
    or_token: ClassVar[str] = "or"
    and_token: ClassVar[str] = "and"
    not_token: ClassVar[str] = "not"
    eq_token: ClassVar[str] = " == "  # unused: every comparison is a runtime call

    eq_expression: ClassVar[str] = "_match(event, {field}, {value})"  # glob, number or bool
    case_sensitive_match_expression: ClassVar[str] = "_match_cased(event, {field}, {value})"
    re_expression: ClassVar[str] = "_regex(event, {field}, {regex}, {flags})"
    cidr_expression: ClassVar[str] = "_cidr(event, {field}, {value})"
    compare_op_expression: ClassVar[str] = "_compare(event, {field}, {operator}, {value})"
    compare_operators: ClassVar[dict[CompareOperators, str]] = {
        CompareOperators.LT: "<",
        CompareOperators.LTE: "<=",
        CompareOperators.GT: ">",
        CompareOperators.GTE: ">=",
        CompareOperators.NEQ: "!=",
    }  # runtime operator keys, written into the query with repr()
    field_equals_field_expression: ClassVar[str] = (
        "_fieldref(event, {field1}, {field2}, {mode}, {cased})"
    )
    field_null_expression: ClassVar[str] = "_absent(event, {field})"  # null == absent
    field_exists_expression: ClassVar[str] = "_exists(event, {field})"
    field_not_exists_expression: ClassVar[str] = "_absent(event, {field})"

    convert_or_as_in: ClassVar[bool] = True  # value lists become one call over a tuple
    convert_and_as_in: ClassVar[bool] = True
    in_expressions_allow_wildcards: ClassVar[bool] = True
    field_in_list_expression: ClassVar[str] = "{op}(event, {field}, ({list}))"
    or_in_operator: ClassVar[str] = "_match_any"
    and_in_operator: ClassVar[str] = "_match_all"
    list_separator: ClassVar[str] = ", "

    unbound_value_str_expression: ClassVar[str] = "_keyword(event, {value})"
    unbound_cased_str_expression: ClassVar[str] = "_keyword(event, {value}, True)"
    unbound_value_re_expression: ClassVar[str] = "_keyword_regex(event, {value}, {flags})"

    empty_or_expression: ClassVar[str] = "False"
    empty_and_expression: ClassVar[str] = "True"

    def compare_precedence(self, outer: Any, inner: Any) -> bool:
        """Leaves and value lists converted as one call are atoms: they need no parentheses.
        (The base class treats a leaf holding a value expansion, and any OR, as needing them.)"""
        if isinstance(inner, (ConditionFieldEqualsValueExpression, ConditionValueExpression)):
            return True
        as_call = isinstance(inner, (ConditionOR, ConditionAND)) and (
            self.decide_convert_condition_as_in_expression(inner, ConversionState())
        )
        return as_call or super().compare_precedence(outer, inner)

    # --- constants: everything from the rule goes through py_literal -------------------------

    def escape_and_quote_field(self, field_name: str) -> str:
        """Field names are Python string constants."""
        return py_literal(field_name)

    def convert_value_str(self, s: SigmaString, state: ConversionState) -> str:
        """Strings become the runtime's glob patterns, written with repr()."""
        return py_literal(glob(s))

    def convert_value_re(self, r: SigmaRegularExpression, state: ConversionState) -> str:
        """Regular expressions are passed verbatim (flags separately) and compiled by Python re.

        pySigma keeps a non-string ``|re`` value (``|re: 5``) as is, without a placeholder
        check of its own; its text is the pattern, as the other backends write it."""
        if isinstance(r.regexp, SigmaString) and r.contains_placeholder():
            raise unsupported("unresolved placeholder in a regular expression")
        return py_literal(str(r.regexp))

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """The base class writes ``field<eq_token>number``; here the number is a call argument."""
        assert isinstance(cond.value, SigmaNumber)
        field = self.escape_and_quote_field(cond.field)
        return self.eq_expression.format(field=field, value=py_literal(cond.value.number))

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """As for numbers: a boolean constant matched by its string form (true/false)."""
        assert isinstance(cond.value, SigmaBool)
        field = self.escape_and_quote_field(cond.field)
        return self.eq_expression.format(field=field, value=py_literal(cond.value.boolean))

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Flags go to the runtime as a string of letters, not as an inline ``(?ims)`` prefix."""
        assert isinstance(cond.value, SigmaRegularExpression)
        return self.re_expression.format(
            field=self.escape_and_quote_field(cond.field),
            regex=self.convert_value_re(cond.value, state),
            flags=py_literal(regex_flags(cond.value)),
        )

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """The base class splices the field and network unquoted; here both are constants."""
        assert isinstance(cond.value, SigmaCIDRExpression)
        return self.cidr_expression.format(
            field=self.escape_and_quote_field(cond.field),
            value=py_literal(str(cond.value.network)),
        )

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Operator and number as constants; timestamp parts are not supported."""
        value = cond.value
        assert isinstance(value, SigmaCompareExpression)
        if isinstance(value.number, SigmaTimestampPart):
            raise unsupported("timestamp part modifiers (|minute, |hour, ...)", cond)
        return self.compare_op_expression.format(
            field=self.escape_and_quote_field(cond.field),
            operator=py_literal(self.compare_operators[value.op]),
            value=py_literal(value.number.number),
        )

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """One runtime call with a match mode; ``|cased`` is read from the detection item,
        because pySigma's field reference value does not carry it."""
        value = cond.value
        assert isinstance(value, SigmaFieldReference)
        modes = {(False, False): "equals", (True, False): "startswith"}
        modes |= {(False, True): "endswith", (True, True): "contains"}
        cased = cased_item(cond)
        return self.field_equals_field_expression.format(
            field1=self.escape_and_quote_field(cond.field),
            field2=self.escape_and_quote_field(value.field),
            mode=py_literal(modes[(value.starts_with, value.ends_with)]),
            cased=py_literal(cased),
        )

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        """The base class writes numbers with str(); here every value goes through repr()."""
        args = [arg for arg in cond.args if isinstance(arg, ConditionFieldEqualsValueExpression)]
        values = [self.convert_value_constant(arg.value, state) for arg in args]
        operator = self.or_in_operator if isinstance(cond, ConditionOR) else self.and_in_operator
        return self.field_in_list_expression.format(
            op=operator,
            field=self.escape_and_quote_field(args[0].field),
            list=self.list_separator.join(values) + ("," if len(values) == 1 else ""),
        )

    def convert_value_constant(self, value: Any, state: ConversionState) -> str:
        if isinstance(value, SigmaNumber):
            return py_literal(value.number)
        return self.convert_value_str(value, state)

    def decide_convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> bool:
        """Value lists of ``|cased`` strings stay separate calls (the list helpers ignore case)."""
        cased = any(isinstance(getattr(a, "value", None), SigmaCasedString) for a in cond.args)
        return not cased and super().decide_convert_condition_as_in_expression(cond, state)

    def convert_condition_field_eq_expansion(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        """Expanded values (windash, base64offset) as one grouped OR: the base class leaves the
        OR bare, which a parent ``not`` would bind to its first operand only."""
        expansion = cond.value
        assert isinstance(expansion, SigmaExpansion)
        values: list[Any] = [
            ConditionFieldEqualsValueExpression(cond.field, v) for v in expansion.values
        ]
        return self.group_or(ConditionOR(values, cond.source), state)

    def group_or(self, cond: ConditionOR, state: ConversionState) -> str:
        if self.decide_convert_condition_as_in_expression(cond, state):
            return self.convert_condition_as_in_expression(cond, state)
        return self.group_expression.format(expr=self.convert_condition_or(cond, state))

    # --- keywords ------------------------------------------------------------------------------

    def convert_condition_val(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        """Adds keyword value expansions (``'|windash'`` lists), which the base class rejects."""
        if isinstance(cond.value, SigmaExpansion):
            values: list[Any] = [ConditionValueExpression(v) for v in cond.value.values]
            return self.group_or(ConditionOR(values, cond.source), state)
        return super().convert_condition_val(cond, state)

    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        """A keyword is matched as ``*keyword*``; ``|cased`` keywords keep their case."""
        value = cond.value
        assert isinstance(value, SigmaString)
        pattern = py_literal(glob(contains(value)))
        if isinstance(value, SigmaCasedString):
            return self.unbound_cased_str_expression.format(value=pattern)
        return self.unbound_value_str_expression.format(value=pattern)

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        """A number keyword is its string form, matched like a string keyword."""
        assert isinstance(cond.value, SigmaNumber)
        pattern = py_literal("*" + str(cond.value.number) + "*")
        return self.unbound_value_str_expression.format(value=pattern)

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        """As for field regexes: the flags are a separate constant."""
        assert isinstance(cond.value, SigmaRegularExpression)
        return self.unbound_value_re_expression.format(
            value=self.convert_value_re(cond.value, state),
            flags=py_literal(regex_flags(cond.value)),
        )

    # --- what a per-event predicate cannot express ----------------------------------------------

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        raise unsupported("timestamp part modifiers (|minute, |hour, ...)", cond)

    def convert_condition_field_eq_query_expr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        raise unsupported("pipeline query expressions (target-specific query text)", cond)

    def convert_condition_query_expr(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        raise unsupported("pipeline query expressions (target-specific query text)", cond)

    def convert_correlation_rule(
        self, rule: SigmaCorrelationRule, *args: Any, **kwargs: Any
    ) -> list[Any]:
        raise unsupported("correlation rules: a per-event predicate keeps no state", rule)


TARGET = Target(
    key="python",
    engine="python",
    language="Python predicate (standard library)",
    backend_class=PythonPredicateBackend,
    pipelines={},
    default_format="module",
    formats={
        "module": Format(
            "module",
            "py",
            "standalone Python module: one predicate per rule and a RULES registry",
            "python/module.py.j2",
        )
    },
)
