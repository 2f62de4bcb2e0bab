"""Which of a rule's fields a field-mapping pipeline left as they were.

A field the pipeline did not rename is usually one the target's schema does not have, so the query
would silently never match on it; the JSON report says so as an under-match warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule

from converter.results import ConversionWarning
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


def unmapped_warnings(
    original: set[str], processed: SigmaRule, target: Target
) -> list[ConversionWarning]:
    """Warnings for the rule's own fields that its target's pipeline left as they were."""
    kept = original & detection_fields(processed)
    unmapped = sorted(f for f in kept if not _is_schema(f))
    if not unmapped:
        return []
    return [
        ConversionWarning(
            "unmapped-field",
            "under-match",
            f"field {', '.join(unmapped)} passed through the {target.key} pipeline unmapped; "
            "the query matches only if the index has a field of exactly that name",
        )
    ]


def _is_schema(name: str) -> bool:
    """True for names already in the target schema's dotted form (ECS), e.g. process.name."""
    return ecs_schema().has(name)
