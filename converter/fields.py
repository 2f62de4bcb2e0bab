"""Which of a rule's fields a field-mapping pipeline left as they were.

A field the pipeline did not rename is usually one the target's schema does not have: the query
tests a field no stored event has, so the test answers as on an event without the field. A plain
test is then false (the query may under-match); under an odd number of ``not`` it is true, and so
is a ``field: null`` test outside a negation (the query may over-match). The JSON report warns per
direction, from where each field occurs in the rule's condition. The exception is the query the
stock ES|QL backend writes: ES|QL's ``NOT`` of a comparison with a missing field is ``null``, and
WHERE drops the row (esql-null-values, trap T8), so only a test for null can be true there; the
parity profile makes ES|QL negation two-valued again (converter.targets.esql_parity).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionItem, ConditionNOT
from sigma.modifiers import SigmaCaseSensitiveModifier
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaExists, SigmaNull

from converter.results import ConversionWarning, Direction
from converter.schema.model import ecs_schema

if TYPE_CHECKING:  # the target registry imports targets that use item_of
    from converter.targets.base import Target


def detection_fields(rule: SigmaRule) -> set[str]:
    """Every field name the rule's detection items test."""
    return {item.field for item in detection_items(rule) if item.field}


def detection_items(rule: SigmaRule) -> Iterator[SigmaDetectionItem]:
    """Every detection item of the rule, nested detections flattened."""
    for detection in rule.detection.detections.values():
        yield from leaf_items(detection)


def leaf_items(detection: SigmaDetection) -> Iterator[SigmaDetectionItem]:
    """The detection items of one detection, nested detections flattened."""
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from leaf_items(item)
        else:
            yield item


def item_of(leaf: Any) -> SigmaDetectionItem | None:
    """The detection item a condition leaf was generated from (walks up past value-list OR/AND
    nodes; a leaf of a value list is found by the identity of its value)."""
    node: Any = leaf.parent
    while node is not None and not isinstance(node, (SigmaDetectionItem, SigmaDetection)):
        node = getattr(node, "parent", None)
    if isinstance(node, SigmaDetection):
        owners = (i for i in node.detection_items if isinstance(i, SigmaDetectionItem))
        return next((i for i in owners if any(v is leaf.value for v in i.value)), None)
    return node


def cased_item(leaf: Any) -> bool:
    """Whether ``|cased`` was applied to a leaf: pySigma's field reference value does not carry
    it, so it is read from the detection item the leaf came from."""
    owner = item_of(leaf)
    return owner is not None and SigmaCaseSensitiveModifier in owner.modifiers


def unmapped_warnings(
    original: set[str], processed: SigmaRule, target: Target, profile: str | None = None
) -> list[ConversionWarning]:
    """Warnings for the rule's own fields that its target's pipeline left as they were: an
    under-match warning for the fields a test of which is false without the field, an over-match
    one for those a test of which is then true (both when a field has tests of both kinds).
    ``profile``: the conversion profile (None: negation taken as two-valued, as in parity)."""
    kept = original & detection_fields(processed)
    unmapped = {f for f in kept if not _is_schema(f)}
    if not unmapped:
        return []
    found: dict[Direction, set[str]] = {"under-match": set(), "over-match": set()}
    three_valued = profile == "stock" and target.engine in _NULL_UNDER_NOT
    for name, true_when_absent in _absent_answers(processed, three_valued):
        if name in unmapped:
            found["over-match" if true_when_absent else "under-match"].add(name)
    found["under-match"] |= unmapped - found["under-match"] - found["over-match"]
    return [
        ConversionWarning(
            "unmapped-field",
            direction,
            f"field {', '.join(sorted(names))} passed through the {target.key} pipeline "
            f"unmapped; {_CONSEQUENCE[direction]}",
        )
        for direction, names in found.items()
        if names
    ]


_CONSEQUENCE: dict[Direction, str] = {
    "under-match": "the query matches only if the index has a field of exactly that name",
    "over-match": "where the index has no field of exactly that name, a negated test of it "
    "(or a test for null) is always true",
}


# Engines whose stock queries answer a comparison with a missing field with null, under NOT too.
_NULL_UNDER_NOT = frozenset({"esql"})


def _absent_answers(rule: SigmaRule, three_valued: bool) -> Iterator[tuple[str, bool]]:
    """(field, whether its test is true on an event without the field) for every field test of
    the rule's condition: ``f: value`` is false then, ``f: null`` and ``f|exists: false`` true;
    each enclosing ``not`` flips the answer, except that a three-valued ``NOT`` of a comparison
    with the missing field stays null (not true)."""
    for condition in rule.detection.parsed_condition:
        yield from _walk(condition.parsed, False, three_valued)


def _walk(node: Any, flipped: bool, three_valued: bool) -> Iterator[tuple[str, bool]]:
    if isinstance(node, ConditionFieldEqualsValueExpression):
        value = node.value
        absent = isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value)
        yield node.field, flipped != absent and (absent or not three_valued)
    elif isinstance(node, ConditionItem):
        inner = flipped != isinstance(node, ConditionNOT)
        for arg in node.args:
            yield from _walk(arg, inner, three_valued)


def _is_schema(name: str) -> bool:
    """True for names already in the target schema's dotted form (ECS), e.g. process.name."""
    return ecs_schema().has(name)
