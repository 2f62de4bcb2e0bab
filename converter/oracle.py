"""The reference Sigma evaluator (the oracle): what a rule itself means, one event at a time.

``check`` compares every target's verdict with this one. It compiles pySigma's parsed condition
tree straight into closures, once per rule, eql-style: one ``_compile_<node>`` function per node
kind and one value-test builder per Sigma value type, dispatched by type (MRO lookup, so
``SigmaCasedString`` and ``SigmaTimestampPart`` find their own entries before their bases).
It deliberately shares no code with the python target (converter.targets.python and
converter.pyruntime): that target emits text calling glob helpers, this compiles pySigma's own
``SigmaString.to_regex()`` patterns, so each checks the other.

Events are canonical flat mappings of the field names the rule uses; values are str, int, float,
bool, None or lists of those. The meaning is DESIGN.md "Semantic decisions" (research/SEMANTICS.md
section 1):

* String values ignore case (``re.IGNORECASE``) unless ``|cased``; ``*`` and ``?`` are wildcards
  over the whole value (newlines included).
* ``|re`` searches anywhere, case-sensitive unless ``|i``; ``|m`` and ``|s`` as in Python ``re``.
* A field is absent when missing, null, or a list without a non-null element. ``null`` and
  ``|exists: false`` mean absent; every other atom is false on an absent field, so ``not
  selection`` is true on an event without the field.
* Values are matched through their string forms (``4688``, ``true``), so ``EventID: 4688``
  matches ``"4688"``; a rule number also equals a numeric event value of the same amount.
* A list value matches when any element does.
* A keyword (value without a field) matches when ``*keyword*`` matches the string form of any
  value of the event (values nested in lists or mappings included).
* ``|gt`` ``|gte`` ``|lt`` ``|lte`` compare numerically; a value that is not a decimal number
  never matches. ``|neq`` is pySigma 1.5.1's negation of the item (``not``), so it is true on
  an event without the field.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaQueryExpression,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
)

from converter.errors import ConverterError
from converter.fields import cased_item

Event = Mapping[str, Any]
Predicate = Callable[[Event], bool]
ValueTest = Callable[[Any], bool]  # one scalar event value -> matches?
_T = TypeVar("_T")

_SCALARS = (str, int, float)  # bool is an int
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_COMPARE: dict[CompareOperators, Callable[[Any, Any], bool]] = {
    CompareOperators.LT: operator.lt,
    CompareOperators.LTE: operator.le,
    CompareOperators.GT: operator.gt,
    CompareOperators.GTE: operator.ge,
    CompareOperators.NEQ: operator.ne,
}


class OracleError(ConverterError):
    """The oracle cannot compile this rule (a malformed or unknown construct)."""


class NotEvaluable(OracleError):
    """The rule has a meaning, but one event cannot decide it (needs a pipeline or time)."""


class CorrelationNotEvaluable(NotEvaluable):
    """Correlation rules relate many events: there is no per-event verdict."""


@dataclass(frozen=True)
class Oracle:
    """A rule compiled once; ``matches`` is true when any of its conditions matches."""

    rule_id: str | None
    title: str
    conditions: tuple[Predicate, ...]

    @classmethod
    def from_rule(cls, rule: SigmaRule | SigmaCorrelationRule) -> Oracle:
        predicates = _compile_conditions(rule)
        return cls(str(rule.id) if rule.id else None, rule.title or "", predicates)

    def matches(self, event: Event) -> bool:
        return any(condition(event) for condition in self.conditions)


def compile_rule(rule: SigmaRule | SigmaCorrelationRule) -> Predicate:
    """The rule as one predicate over canonical events."""
    return Oracle.from_rule(rule).matches


def _compile_conditions(rule: SigmaRule | SigmaCorrelationRule) -> tuple[Predicate, ...]:
    """One predicate per condition; errors are re-raised naming the rule (and its file)."""
    if isinstance(rule, SigmaCorrelationRule):
        raise CorrelationNotEvaluable(
            f"{_describe(rule)}: correlation rules relate many events; no per-event verdict",
            _path(rule),
        )
    if rule.errors:
        raise OracleError(f"{_describe(rule)}: {_one_line(rule.errors[0])}", _path(rule))
    try:
        return tuple(compile_condition(c.parsed) for c in rule.detection.parsed_condition)
    except OracleError as e:
        raise type(e)(f"{_describe(rule)}: {e.message}", _path(rule)) from e
    except SigmaError as e:  # the condition is parsed on first access (e.g. an unknown name)
        raise OracleError(f"{_describe(rule)}: {_one_line(e)}", _path(rule)) from e


def _describe(rule: Any) -> str:
    title = f" ({rule.title})" if getattr(rule, "title", None) else ""
    return f"rule {rule.id or '<no id>'}{title}"


def _path(rule: Any) -> Path | None:
    source = getattr(rule, "source", None)
    path = getattr(source, "path", None)
    return Path(path) if path is not None else None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


# --- condition nodes -------------------------------------------------------------------------


def compile_condition(node: Any) -> Predicate:
    """A predicate for one node of pySigma's postprocessed condition tree."""
    if node is None:  # every detection of the condition was empty
        raise OracleError("the condition resolves to no detection items")
    compiler = _lookup(_NODE_COMPILERS, node, "condition node")
    return compiler(node)


def _compile_or(node: ConditionOR) -> Predicate:
    parts = tuple(compile_condition(arg) for arg in node.args)
    return lambda event: any(part(event) for part in parts)


def _compile_and(node: ConditionAND) -> Predicate:
    parts = tuple(compile_condition(arg) for arg in node.args)
    return lambda event: all(part(event) for part in parts)


def _compile_not(node: ConditionNOT) -> Predicate:
    (arg,) = node.args
    inner = compile_condition(arg)
    return lambda event: not inner(event)


def _compile_field_eq_val(node: ConditionFieldEqualsValueExpression) -> Predicate:
    """Field atoms: presence tests and field references look at the event; everything else
    is a test of one value, applied to each value the field holds."""
    field, value = node.field, node.value
    if isinstance(value, (SigmaNull, SigmaExists)):
        wanted = isinstance(value, SigmaExists) and value.exists
        return lambda event: _present(event.get(field)) == wanted
    if isinstance(value, SigmaFieldReference):
        return _compile_fieldref(field, value, cased_item(node))
    test = value_test(value)
    return lambda event: any(test(found) for found in _scalars(event.get(field)))


def _compile_keyword(node: ConditionValueExpression) -> Predicate:
    test = keyword_test(node.value)
    return lambda event: any(test(found) for found in _every_scalar(event))


def _compile_fieldref(field: str, ref: SigmaFieldReference, cased: bool) -> Predicate:
    """``field|fieldref: other``: a value of field equals (starts with, ends with, contains)
    a value of other. Case is folded by the same ``re.IGNORECASE`` as every other value."""
    flags = re.DOTALL if cased else re.DOTALL | re.IGNORECASE
    shape = ("{}", "{}.*", ".*{}", ".*{}.*")[ref.starts_with + 2 * ref.ends_with]

    def pattern(theirs: Any) -> re.Pattern[str]:
        return re.compile(shape.format(re.escape(_text(theirs))), flags)

    def predicate(event: Event) -> bool:
        patterns = [pattern(theirs) for theirs in _scalars(event.get(ref.field))]
        mine = [_text(value) for value in _scalars(event.get(field))]
        return any(p.fullmatch(text) for p in patterns for text in mine)

    return predicate


_NODE_COMPILERS: dict[type, Callable[[Any], Predicate]] = {
    ConditionOR: _compile_or,
    ConditionAND: _compile_and,
    ConditionNOT: _compile_not,
    ConditionFieldEqualsValueExpression: _compile_field_eq_val,
    ConditionValueExpression: _compile_keyword,
}


# --- event values ----------------------------------------------------------------------------


def _scalars(value: Any) -> list[Any]:
    """The non-null scalar values a field holds (lists flattened; mappings hold none)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in _scalars(item)]
    return [value] if isinstance(value, _SCALARS) else []


def _every_scalar(value: Any) -> Iterator[Any]:
    """Every non-null scalar inside a value, nested lists and mappings included: a keyword is
    searched in the whole event ("applied to the full log message", spec §Keywords)."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _every_scalar(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _every_scalar(item)
    elif isinstance(value, _SCALARS):
        yield value


def _present(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_present(item) for item in value)
    return value is not None


def _text(value: Any) -> str:
    """The string form a value is matched by: booleans as JSON writes them, numbers by str()."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_number(value: Any) -> int | float | None:
    """The numeric value of an event value, or None (booleans and non-decimal text are not)."""
    if _is_number(value):
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
        return None
    text = value.strip()
    return int(text) if text.lstrip("+-").isdigit() else float(text)


# --- value tests: field values ---------------------------------------------------------------


def value_test(value: Any) -> ValueTest:
    """The test one scalar event value must pass to match a rule value."""
    return _lookup(_VALUE_TESTS, value, "value type")(value)


def _string_test(value: SigmaString) -> ValueTest:
    compiled = _wildcard_regex(value)  # SigmaCasedString too
    return lambda found: compiled.fullmatch(_text(found)) is not None


def _number_test(value: SigmaNumber) -> ValueTest:
    number, text = value.number, str(value.number)

    def test(found: Any) -> bool:
        return bool(found == number) if _is_number(found) else _text(found) == text

    return test


def _bool_test(value: SigmaBool) -> ValueTest:
    text = _text(value.boolean)
    return lambda found: _text(found).lower() == text


def _regex_test(value: SigmaRegularExpression) -> ValueTest:
    compiled = _user_regex(value)
    return lambda found: compiled.search(_text(found)) is not None


def _cidr_test(value: SigmaCIDRExpression) -> ValueTest:
    network = value.network

    def test(found: Any) -> bool:
        try:
            return isinstance(found, str) and ipaddress.ip_address(found) in network
        except ValueError:  # not an IP address
            return False

    return test


def _compare_test(value: SigmaCompareExpression) -> ValueTest:
    if isinstance(value.number, SigmaTimestampPart):
        _timestamp_part(value.number)
    compare, limit = _COMPARE[value.op], value.number.number

    def test(found: Any) -> bool:
        number = _as_number(found)
        return number is not None and compare(number, limit)

    return test


def _expansion_test(value: SigmaExpansion) -> ValueTest:
    """windash / base64offset variants: any of them (OR, whatever links the value list)."""
    tests = tuple(value_test(v) for v in value.values)
    return lambda found: any(test(found) for test in tests)


def _query_expression(value: Any) -> ValueTest:
    raise NotEvaluable("a pipeline query expression is target query text, not a Sigma value")


def _timestamp_part(value: Any) -> ValueTest:
    raise NotEvaluable("timestamp-part modifiers (|minute, |hour, ...) need the event time")


_VALUE_TESTS: dict[type, Callable[[Any], ValueTest]] = {
    SigmaString: _string_test,
    SigmaTimestampPart: _timestamp_part,  # before SigmaNumber, its base, in the MRO
    SigmaNumber: _number_test,
    SigmaBool: _bool_test,
    SigmaRegularExpression: _regex_test,
    SigmaCIDRExpression: _cidr_test,
    SigmaCompareExpression: _compare_test,
    SigmaExpansion: _expansion_test,
    SigmaQueryExpression: _query_expression,
}  # SigmaNull, SigmaExists and SigmaFieldReference are field atoms, never value tests


# --- value tests: keywords (full-text search over every value of the event) ------------------


def keyword_test(value: Any) -> ValueTest:
    """The test some value of the event must pass to match a keyword."""
    return _lookup(_KEYWORD_TESTS, value, "keyword type")(value)


def _keyword_string(value: SigmaString) -> ValueTest:
    # Searching for the whole-value pattern anywhere is matching *value* (DOTALL makes the
    # implied leading and trailing .* cross newlines too).
    compiled = _wildcard_regex(value)
    return lambda found: compiled.search(_text(found)) is not None


def _keyword_number(value: SigmaNumber) -> ValueTest:
    return _keyword_string(SigmaString(str(value.number)))


def _keyword_bool(value: SigmaBool) -> ValueTest:
    return _keyword_string(SigmaString(_text(value.boolean)))


def _keyword_expansion(value: SigmaExpansion) -> ValueTest:
    tests = tuple(keyword_test(v) for v in value.values)
    return lambda found: any(test(found) for test in tests)


_KEYWORD_TESTS: dict[type, Callable[[Any], ValueTest]] = {
    SigmaString: _keyword_string,
    SigmaTimestampPart: _timestamp_part,
    SigmaNumber: _keyword_number,
    SigmaBool: _keyword_bool,
    SigmaRegularExpression: _regex_test,  # a regex already searches anywhere
    SigmaExpansion: _keyword_expansion,
    SigmaQueryExpression: _query_expression,
}


# --- patterns ----------------------------------------------------------------------------------


def _wildcard_regex(value: SigmaString) -> re.Pattern[str]:
    """pySigma's own translation of a Sigma string (wildcards, escapes) into a regex, so that
    wildcard semantics have a single definition; ``|cased`` keeps the case."""
    _check_placeholders(value)
    cased = isinstance(value, SigmaCasedString)
    flags = re.DOTALL if cased else re.DOTALL | re.IGNORECASE
    return re.compile(str(value.to_regex().regexp), flags)


def _user_regex(value: SigmaRegularExpression) -> re.Pattern[str]:
    _check_placeholders(value.regexp)
    flags = 0
    for flag in value.flags:
        flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
    try:
        return re.compile(str(value.regexp), flags)
    except re.error as e:  # pySigma validated it already; a pipeline may have changed it
        raise OracleError(f"invalid regular expression {str(value.regexp)!r}: {e}") from e


def _check_placeholders(value: SigmaString) -> None:
    if not isinstance(value, SigmaString):  # |re: 5 keeps the number; it has no placeholders
        return
    names = [f"%{part.name}%" for part in value.s if isinstance(part, Placeholder)]
    if names:
        raise NotEvaluable(
            f"unresolved placeholder {', '.join(names)}: |expand needs a pipeline that sets it"
        )


def _lookup(table: dict[type, _T], obj: Any, what: str) -> _T:
    """The table entry for the most specific class of obj (MRO order)."""
    for cls in type(obj).__mro__:
        if cls in table:
            return table[cls]
    raise OracleError(f"unsupported {what}: {type(obj).__name__}")
