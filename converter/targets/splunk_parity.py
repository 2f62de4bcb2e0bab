"""Splunk SPL, parity profile: pySigma's SplunkBackend plus an exact ``| where`` post-filter.

SPL's ``search`` command cannot say everything a Sigma rule says: it has no single-character
wildcard and cannot escape ``*`` (Search Manual, "Wildcards" and "Backslashes"), it ignores case
except through ``CASE()`` (Search Manual, "Use CASE and TERM to match phrases"), a bare term
matches whole segments of ``_raw`` (Search Manual, "Event segmentation and searching") where a
Sigma keyword matches any substring, and ``f>5`` compares strings when ``f`` is not a number.
pySigma adds three faults of its own: ``|fieldref`` compared case-sensitively (``| where
'a'='b'``), ``| search OR ...`` when a regex comes first under an OR (refused by Splunk), and a
``| regex`` applied un-negated when its group is negated (``not (a and regex)``).

For a rule that uses any of these, the query is ``<search> | where <condition>``:

* the search is pySigma's, made a superset of the rule (``relax``): an atom the search cannot say
  exactly becomes a wider atom (``?`` and a literal ``*`` become ``*``, ``|cased`` is dropped, a
  keyword becomes its longest alphanumeric run as ``*run*``) or, if it has no wider form (regex,
  field reference) or sits under a ``not``, is folded away the way that keeps a superset;
* the ``where`` clause (``converter.targets.splunk_where``) tests, in eval syntax and exactly,
  every top-level conjunct of the condition that the search does not keep as it is.

Every other rule converts as pySigma's SplunkBackend converts it, except that presence (``|exists``,
``null``, a bare ``*``) also asks for the empty value: ``f IN ("*", "")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from sigma.backends.splunk.splunk import SplunkBackend
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.deferred import DeferredQueryExpression
from sigma.conversion.state import ConversionState
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCompareExpression,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from converter.schema.model import Schema
from converter.targets.base import QuotedFieldGuard, WarningCollector
from converter.targets.splunk_where import PostFilter

Node = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression
Relaxed = Node | bool  # True: matches every event; False: matches none


# --- which rules need the post-filter ---------------------------------------------------------


def _atoms(node: Node, negated: bool = False) -> Iterator[tuple[Node, Any, bool]]:
    """(atom, one of its values, whether an odd number of ``not`` is above it)."""
    if isinstance(node, ConditionItem):
        for arg in _args(node):
            yield from _atoms(arg, negated != isinstance(node, ConditionNOT))
    elif isinstance(node, ConditionValueExpression):
        yield node, node.value, negated
    else:
        for value in _values(node.value):
            yield node, value, negated


def kept(atom: Node, value: Any, negated: bool) -> bool:
    """Whether the search says this atom exactly, so the superset keeps it as it is."""
    if isinstance(atom, ConditionValueExpression):
        return False  # a keyword is a substring of a value, not a segment of _raw
    if isinstance(value, SigmaString):
        return not (isinstance(value, SigmaCasedString) or _has_question_or_star(value))
    if isinstance(value, SigmaCompareExpression):
        # numeric only when both sides are numbers, else string order (spl-compare-order):
        # a superset of Sigma's numeric comparison, so exact only outside a not
        return not negated
    return not isinstance(value, SigmaRegularExpression | SigmaFieldReference)


def needs_post_filter(node: Node) -> bool:
    """Whether pySigma's search alone would not mean what the condition means."""
    return any(_needs(atom, value, negated) for atom, value, negated in _atoms(node))


def _needs(atom: Node, value: Any, negated: bool) -> bool:
    if isinstance(atom, ConditionFieldEqualsValueExpression) and isinstance(
        value, SigmaRegularExpression
    ):
        return not _deferred_regex_exact(atom)
    return not kept(atom, value, negated)  # fieldref: pySigma compares case-sensitively


def _deferred_regex_exact(atom: ConditionFieldEqualsValueExpression) -> bool:
    """pySigma's '| regex f="..."' (or 'f!=' for a not directly above the atom) is exact when
    only ANDs lead from there to the root. Under an OR, pySigma's rex/eval/search can come out
    as '| search OR ...' (refused by Splunk); under a not of a group, the regex leaves the group
    and is applied un-negated (``not (a and regex)`` becomes ``not a | regex``)."""
    chain = atom.parent_chain_condition_classes()  # nearest operator first
    if chain[:1] == [ConditionNOT]:
        chain = chain[1:]
    return all(kind is ConditionAND for kind in chain)


def _filtered(node: Node) -> Node:
    """What the post-filter must test: a top-level conjunct the search keeps as it is need not
    be tested again (search AND where = exact AND relaxed AND rest = exact AND rest)."""
    if not isinstance(node, ConditionAND):
        return node
    rest = [arg for arg in _conjuncts(node) if not all(kept(*atom) for atom in _atoms(arg))]
    if not rest:
        return node
    if len(rest) == 1:
        return rest[0]
    return ConditionAND(list[Any](rest))  # parents stay: the post-filter reads |cased through them


def _conjuncts(node: Node) -> list[Node]:
    """The operands of nested ANDs (a pipeline's conditions AND the rule's AND ...)."""
    if isinstance(node, ConditionAND):
        return [conjunct for arg in _args(node) for conjunct in _conjuncts(arg)]
    return [node]


def _values(value: Any) -> list[Any]:
    return list(value.values) if isinstance(value, SigmaExpansion) else [value]


def _has_question_or_star(value: SigmaString) -> bool:
    """A ``?`` wildcard (SPL has none) or a literal ``*`` (SPL cannot escape it)."""
    return any(
        part is SpecialChars.WILDCARD_SINGLE or (isinstance(part, str) and "*" in part)
        for part in value.s
    )


# --- the search: a superset of the condition ----------------------------------------------------


def relax(node: Node, negated: bool = False) -> Relaxed:
    """The condition with every atom the search cannot say exactly replaced so that the result
    matches at least what the condition matches (``negated``: an odd number of ``not`` above)."""
    if isinstance(node, ConditionNOT):
        inner = relax(_args(node)[0], not negated)
        return (not inner) if isinstance(inner, bool) else _rebuild(ConditionNOT, [inner])
    if isinstance(node, ConditionItem):  # AND, OR (identifiers are resolved by pySigma)
        args = [relax(arg, negated) for arg in _args(node)]
        return _combine(ConditionOR if isinstance(node, ConditionOR) else ConditionAND, args)
    if isinstance(node, ConditionValueExpression):
        return False if negated else _relax_keyword(node.value)
    if isinstance(node.value, SigmaExpansion):
        atoms = [ConditionFieldEqualsValueExpression(node.field, v) for v in node.value.values]
        return _combine(ConditionOR, [_relax_atom(atom, node, negated) for atom in atoms])
    return _relax_atom(node, node, negated)


def _args(node: ConditionItem) -> list[Node]:
    return [arg for arg in node.args if isinstance(arg, Node)]


def _relax_atom(
    atom: ConditionFieldEqualsValueExpression,
    origin: ConditionFieldEqualsValueExpression,
    negated: bool,
) -> Relaxed:
    value = atom.value
    if kept(origin, value, negated):
        return ConditionFieldEqualsValueExpression(atom.field, value)
    if negated:  # a narrower atom under a not: dropping it keeps a superset
        return False
    if isinstance(value, SigmaString):
        return ConditionFieldEqualsValueExpression(atom.field, widen(value))
    return True  # regex and field reference: the post-filter decides


def _combine(kind: type[ConditionAND] | type[ConditionOR], args: list[Relaxed]) -> Relaxed:
    """AND/OR of relaxed arguments with True/False folded away."""
    absorbing = kind is ConditionOR  # True absorbs an OR, False an AND
    if absorbing in args:
        return absorbing
    remaining: list[Node] = []
    terms: set[str] = set()  # several keywords can widen to one term: keep it once
    for arg in args:
        if isinstance(arg, ConditionValueExpression):
            if str(arg.value) in terms:
                continue
            terms.add(str(arg.value))
        if not isinstance(arg, bool):
            remaining.append(arg)
    if not remaining:
        return not absorbing
    return remaining[0] if len(remaining) == 1 else _rebuild(kind, remaining)


def _rebuild(kind: type[ConditionItem], args: list[Any]) -> ConditionItem:
    node = kind(args)
    for arg in args:
        arg.parent = node
    return node


def _any_value(value: Any) -> bool:
    """Sigma's bare ``*``: any value, the empty string included."""
    return isinstance(value, SigmaString) and value.s == [SpecialChars.WILDCARD_MULTI]


def widen(value: SigmaString) -> SigmaString:
    """The case-insensitive string with ``?`` and literal ``*`` turned into ``*`` wildcards."""
    parts: list[Any] = []
    for part in value.s:
        if part is SpecialChars.WILDCARD_SINGLE:
            parts.append(SpecialChars.WILDCARD_MULTI)
        elif isinstance(part, str) and "*" in part:
            for n, piece in enumerate(part.split("*")):
                parts += ([SpecialChars.WILDCARD_MULTI] if n else []) + ([piece] if piece else [])
        else:
            parts.append(part)
    wide = SigmaString()
    wide.s = parts
    wide.original = value.original
    return wide


def _relax_keyword(value: Any) -> Relaxed:
    """``*run*`` for the keyword's longest ASCII alphanumeric run: the run lies inside one
    indexed segment of any event whose text contains the keyword, since no default breaker is
    alphanumeric (segmenters.conf), so the term is a superset; no run: every event."""
    run = _longest_run(value)
    if not run:
        return True
    return ConditionValueExpression(widen_around(run))


def _longest_run(value: Any) -> str:
    if isinstance(value, SigmaNumber | SigmaBool):
        text = str(value.number if isinstance(value, SigmaNumber) else value.boolean).lower()
        parts: list[Any] = [text]
    elif isinstance(value, SigmaString):
        parts = value.s
    else:
        return ""
    runs = [
        run
        for part in parts
        if isinstance(part, str)
        for run in "".join(c if c.isascii() and c.isalnum() else " " for c in part).split()
    ]
    return max(runs, key=len, default="")


def widen_around(run: str) -> SigmaString:
    wide = SigmaString()
    wide.s = [SpecialChars.WILDCARD_MULTI, run, SpecialChars.WILDCARD_MULTI]
    wide.original = f"*{run}*"
    return wide


# --- the backend --------------------------------------------------------------------------------


@dataclass
class WhereExpression(DeferredQueryExpression):
    """``| where <expression>`` after the search (pySigma's deferred-expression mechanism)."""

    expression: str = ""

    def finalize_expression(self) -> str:
        return "where " + self.expression


class SplunkParityBackend(WarningCollector, QuotedFieldGuard, SplunkBackend):
    """SplunkBackend whose queries mean what the rule means, or say where they may not."""

    name: ClassVar[str] = "Splunk SPL (sigma-parity profile)"
    # Sigma's exists, null and a bare '*' are about presence, whatever the value, "" included.
    # Whether f=* finds an empty value is an open point (spl-empty-value, docs/engines.md);
    # IN is an OR of f=value (Search Reference, "search": IN operator), so asking f="" as well
    # is right whichever way it is settled.
    field_exists_expression: ClassVar[str] = '{field} IN ("*", "")'
    field_not_exists_expression: ClassVar[str] = 'NOT {field} IN ("*", "")'
    field_null_expression: ClassVar[str] = 'NOT {field} IN ("*", "")'
    _in_condition: bool = False

    def __init__(self, *args: Any, schema: Schema | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema  # SPL has no index mapping: values are strings, fields untyped

    def convert_condition(self, cond: Any, state: ConversionState) -> Any:
        if self._in_condition:  # a sub-condition: pySigma's conversion
            return super().convert_condition(cond, state)
        self._in_condition = True
        try:
            return self._convert_root(cond, state)
        finally:
            self._in_condition = False

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        if _any_value(cond.value):
            return self._present(cond.field)
        return super().convert_condition_field_eq_val_str(cond, state)

    def convert_condition_field_eq_expansion(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        """pySigma ORs an expansion's values (windash, base64offset) without parentheses, so
        under a NOT (which binds tightest in SPL) only the first value was negated."""
        converted = super().convert_condition_field_eq_expansion(cond, state)
        many = isinstance(cond.value, SigmaExpansion) and len(cond.value.values) > 1
        if many and isinstance(converted, str):
            return self.group_expression.format(expr=converted)
        return converted

    def convert_condition_as_in_expression(self, cond: Any, state: ConversionState) -> Any:
        # pySigma lists only field atoms of one field here (decide_convert_condition_as_in_...)
        atoms = [arg for arg in cond.args if isinstance(arg, ConditionFieldEqualsValueExpression)]
        if isinstance(cond, ConditionOR) and any(_any_value(atom.value) for atom in atoms):
            return self._present(atoms[0].field)  # any value OR others: any value
        return super().convert_condition_as_in_expression(cond, state)

    def _present(self, field: str) -> str:
        return self.field_exists_expression.format(field=self.escape_and_quote_field(field))

    def _convert_root(self, cond: Node, state: ConversionState) -> Any:
        if not needs_post_filter(cond):
            return super().convert_condition(cond, state)
        deferred = WhereExpression(state, PostFilter(self.warn).expression(_filtered(cond)))
        search = relax(cond)
        if isinstance(search, bool):  # only True is possible: a False comes from under a not
            return deferred  # finish_query emits '*' before the where
        return super().convert_condition(search, state)
