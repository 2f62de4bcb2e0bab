"""A Sigma condition as an SPL eval expression, for the parity profile's ``| where`` post-filter.

The expression is exact Sigma semantics (DESIGN.md "Semantic decisions") in the terms the
Search Reference documents for ``where`` and its evaluation functions:

* ``where`` keeps a result when its eval expression is true; eval compares case-sensitively
  (Search Reference, "where"), so values are tested with ``match(<field>, "<PCRE>")``:
  ``(?i)`` unless ``|cased``, anchored with ``^`` and ``\\z`` because ``match`` finds a match
  against any substring (Evaluation functions, "match"), ``(?s)`` so that a wildcard crosses
  line breaks as Sigma's does. One field's OR-ed values share one ``match``.
* Field names are single-quoted (eval reads ``'name'`` as a field, ``"text"`` as a string,
  Search Reference "eval"); regexes are written into double-quoted eval strings, where the SPL
  string layer removes one level of backslashes first (Search Manual, "SPL and regular
  expressions"), so every backslash is doubled and every quote escaped.
* A missing field makes ``match``/``cidrmatch``/comparisons null, not false, and ``NOT null``
  is null; under a ``not`` each such atom is therefore guarded with ``isnotnull(...) AND``, so
  that an absent field makes the atom false as Sigma says (Evaluation functions, "isnotnull").
* ``|fieldref`` compares ``lower()`` of both fields (Evaluation functions, "lower"); starts/ends
  with and contains use ``like()``, whose ``%`` and ``_`` in the other field's value are
  wildcards too (over-match, warned).
* Keywords are matched in ``_raw`` with ``match(_raw, ...)``, accepting a JSON event's escaped
  spelling of ``"`` and ``\\``; ``_raw`` also holds field names and text between values, so a
  keyword may over-match (warned, in the direction the enclosing ``not``s give).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sigma.conditions import (
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
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
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from converter.fields import cased_item
from converter.results import Direction

Warn = Callable[[str, Direction, str], None]
Node = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression

# Precedence levels of eval (Search Manual, "Boolean expressions": NOT, then AND, then OR).
OR, AND, NOT, ATOM = 1, 2, 3, 4
# PCRE metacharacters outside a character class (escaped as pySigma's to_regex escapes them).
_PCRE_SPECIAL = frozenset(".*+?^$[](){}\\|")
_COMPARE = {
    CompareOperators.LT: "<",
    CompareOperators.LTE: "<=",
    CompareOperators.GT: ">",
    CompareOperators.GTE: ">=",
    CompareOperators.NEQ: "!=",
}
_KEYWORD_CAUSE = "keyword matched in _raw"
_KEYWORD_MESSAGE = (
    "Sigma keywords match any one value of the event; SPL matches them in _raw, which also holds "
    "field names and the text between values"
)
_FIELDREF_CAUSE = "fieldref like() wildcards"


def unsupported(reason: str) -> SigmaFeatureNotSupportedByBackendError:
    return SigmaFeatureNotSupportedByBackendError(reason)


def field_name(name: str) -> str:
    """A field in eval: single-quoted (the quote has no documented escape in a name)."""
    if "'" in name:
        raise unsupported(f"field name {name!r} contains a single quote, which eval cannot quote")
    return "'" + name.replace("\\", "\\\\") + "'"


def string(text: str) -> str:
    """An eval string literal: backslashes doubled (so ``\\t`` and the SPL layer leave them
    alone) and double quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class PostFilter:
    """Compiles one condition tree; reports approximations through ``warn``."""

    warn: Warn
    _warned: set[tuple[str, Direction]] = dataclasses.field(default_factory=set)

    def expression(self, node: Node) -> str:
        return self._node(node, negations=0)[0]

    def _note(self, cause: str, direction: Direction, message: str) -> None:
        if (cause, direction) not in self._warned:
            self._warned.add((cause, direction))
            self.warn(cause, direction, message)

    def _node(self, node: Node, negations: int) -> tuple[str, int]:
        if isinstance(node, ConditionNOT):
            text, level = self._node(_args(node)[0], negations + 1)
            return "NOT " + _group(text, level, NOT), NOT
        if isinstance(node, ConditionOR):
            return self._or(_args(node), negations)
        if isinstance(node, ConditionItem):  # AND (identifiers are resolved by pySigma)
            args = [self._node(arg, negations) for arg in _args(node)]
            return " AND ".join(_group(text, level, AND) for text, level in args), AND
        if isinstance(node, ConditionValueExpression):
            return self._keyword(node.value, negations)
        return self._field(node, negations)

    def _or(self, args: list[Node], negations: int) -> tuple[str, int]:
        """OR of the arguments; string atoms of one field (and case mode) share one match()."""
        groups: dict[tuple[str, bool], list[Any]] = {}
        for arg in args:
            key = _string_key(arg)
            if key is not None:
                groups.setdefault(key, []).extend(_values(arg.value))  # type: ignore[union-attr]
        texts: list[tuple[str, int]] = []
        for arg in args:
            key = _string_key(arg)
            if key is None:
                texts.append(self._node(arg, negations))
            elif key in groups:  # the group's place is that of its first value
                texts.append(_match_values(key[0], groups.pop(key), negations))
        if len(texts) == 1:
            return texts[0]
        return " OR ".join(_group(text, level, OR) for text, level in texts), OR

    def _field(self, node: ConditionFieldEqualsValueExpression, negations: int) -> tuple[str, int]:
        field, value = node.field, node.value
        if _string_key(node) is not None:
            return _match_values(field, _values(value), negations)
        if isinstance(value, SigmaExpansion):
            atoms = [ConditionFieldEqualsValueExpression(field, v) for v in value.values]
            return self._or(atoms, negations)  # type: ignore[arg-type]
        if isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists):
            return f"isnull({field_name(field)})", ATOM
        if isinstance(value, SigmaExists):
            return f"isnotnull({field_name(field)})", ATOM
        if isinstance(value, SigmaFieldReference):
            return self._fieldref(node, value, negations)
        operand, test = _value_test(field, value)
        return _guard([operand], test, negations)

    def _fieldref(
        self,
        node: ConditionFieldEqualsValueExpression,
        ref: SigmaFieldReference,
        negations: int,
    ) -> tuple[str, int]:
        mine, theirs = field_name(node.field), field_name(ref.field)
        if not cased_item(node):
            mine, theirs = f"lower({mine})", f"lower({theirs})"
        if ref.starts_with or ref.ends_with:
            self._note(
                _FIELDREF_CAUSE,
                _direction(negations),
                "like() reads % and _ in the referenced field's value as wildcards",
            )
            pattern = ".".join(
                [*(['"%"'] if ref.ends_with else []), theirs, *(['"%"'] if ref.starts_with else [])]
            )
            test = f"like({mine}, {pattern})"
        else:
            test = f"{mine}=={theirs}"
        return _guard([field_name(node.field), field_name(ref.field)], test, negations)

    def _keyword(self, value: Any, negations: int) -> tuple[str, int]:
        values = _values(value)
        self._note(_KEYWORD_CAUSE, _direction(negations), _KEYWORD_MESSAGE)
        tests = [f"match(_raw, {string(_keyword_regex(v))})" for v in values]
        return (tests[0], ATOM) if len(tests) == 1 else (" OR ".join(tests), OR)


# --- atoms ----------------------------------------------------------------------------------------


def _args(node: ConditionItem) -> list[Node]:
    return [arg for arg in node.args if isinstance(arg, Node)]


def _values(value: Any) -> list[Any]:
    return list(value.values) if isinstance(value, SigmaExpansion) else [value]


def _string_key(node: Node) -> tuple[str, bool] | None:
    """(field, cased) for an atom whose values are all strings, numbers or booleans."""
    if not isinstance(node, ConditionFieldEqualsValueExpression):
        return None
    values = _values(node.value)
    if not values or not all(isinstance(v, SigmaString | SigmaNumber | SigmaBool) for v in values):
        return None
    cased = {isinstance(v, SigmaCasedString) for v in values}
    return (node.field, cased.pop()) if len(cased) == 1 else None


def _match_values(field: str, values: list[Any], negations: int) -> tuple[str, int]:
    bodies = [_value_regex(value) for value in values]
    body = bodies[0] if len(bodies) == 1 else "(?:" + "|".join(bodies) + ")"
    flags = ("" if isinstance(values[0], SigmaCasedString) else "i") + (
        "s" if any(_has_wildcard(v) for v in values) else ""
    )
    regex = (f"(?{flags})" if flags else "") + "^" + body + "\\z"
    name = field_name(field)
    return _guard([name], f"match({name}, {string(regex)})", negations)


def _value_regex(value: Any) -> str:
    """The whole-value regex of a string, number or boolean (numbers in their string form,
    as Sigma matches them; booleans as JSON writes them)."""
    if isinstance(value, SigmaString):
        _no_placeholders(value)
        return str(value.to_regex().regexp)
    text = str(value.number) if isinstance(value, SigmaNumber) else str(value.boolean).lower()
    return "".join("\\" + c if c in _PCRE_SPECIAL else c for c in text)


def _has_wildcard(value: Any) -> bool:
    return isinstance(value, SigmaString) and any(isinstance(p, SpecialChars) for p in value.s)


def _value_test(field: str, value: Any) -> tuple[str, str]:
    """(the operand that is null when the test cannot be decided, the test)."""
    name = field_name(field)
    if isinstance(value, SigmaRegularExpression):
        return name, f"match({name}, {string(_regex(value))})"
    if isinstance(value, SigmaCIDRExpression):
        return name, f"cidrmatch({string(str(value.network))}, {name})"
    if isinstance(value, SigmaCompareExpression):
        # tonumber(): Sigma compares numbers only; a value that is not one is null here
        number = f"tonumber({name})"
        return number, f"{number}{_COMPARE[value.op]}{value.number.number}"
    raise unsupported(f"{type(value).__name__} values have no eval form in the post-filter")


def _regex(value: SigmaRegularExpression) -> str:
    flags = "".join(sorted(SigmaRegularExpression.sigma_to_re_flag[f] for f in value.flags))
    _no_placeholders(value.regexp)
    return (f"(?{flags})" if flags else "") + str(value.regexp)


def _keyword_regex(value: Any) -> str:
    """An unanchored regex for a keyword in _raw, tolerant of JSON's escaping of the value."""
    if isinstance(value, SigmaRegularExpression):
        return _regex(value)
    if isinstance(value, SigmaNumber | SigmaBool):
        return _value_regex(value)
    if not isinstance(value, SigmaString):
        raise unsupported(f"{type(value).__name__} keywords have no eval form")
    _no_placeholders(value)
    body = "".join(_keyword_part(part) for part in value.s)
    flags = ("" if isinstance(value, SigmaCasedString) else "i") + (
        "s" if _has_wildcard(value) else ""
    )
    return (f"(?{flags})" if flags else "") + body


def _keyword_part(part: Any) -> str:
    if part is SpecialChars.WILDCARD_MULTI:
        return ".*"
    if part is SpecialChars.WILDCARD_SINGLE:
        return "."
    return "".join(_keyword_char(c) for c in str(part))


def _keyword_char(c: str) -> str:
    if c == '"':
        return '\\\\?"'  # JSON writes \"
    if c == "\\":
        return "\\\\\\\\?"  # JSON writes \\
    if ord(c) < 0x20:  # JSON writes control characters as \n, \t, \u00XX
        return f"(?:\\x{ord(c):02x}|\\\\.(?:00{ord(c):02x})?)"
    return "\\" + c if c in _PCRE_SPECIAL else c


def _no_placeholders(value: SigmaString) -> None:
    names = [f"%{part.name}%" for part in value.s if isinstance(part, Placeholder)]
    if names:
        raise unsupported(f"unresolved placeholder {', '.join(names)} (|expand needs a pipeline)")


def _guard(operands: list[str], test: str, negations: int) -> tuple[str, int]:
    """Under a not, a test whose operand is null (a missing field) must be false, not null."""
    if not negations:
        return test, ATOM
    present = " AND ".join(f"isnotnull({operand})" for operand in dict.fromkeys(operands))
    return f"{present} AND {test}", AND


def _group(text: str, level: int, outer: int) -> str:
    return f"({text})" if level < outer else text


def _direction(negations: int) -> Direction:
    return "under-match" if negations % 2 else "over-match"
