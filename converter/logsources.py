"""Which events a rule sees: its logsource as the EventID/Channel conditions pySigma adds.

A SIEM query runs only on the index or source of its logsource, so in backtests over mixed events
a rule is tested only on the events of its logsource (DESIGN.md "Semantic decisions"). What a
logsource means is taken from the installed pySigma pipelines, never from a table of our own: the
rule's logsource is put on a stub rule, each pipeline chain below is applied to it, and the
conditions the chain added (EventID, Channel, and whatever else it adds) are the selector. Each
chain is one way the logsource is logged; an event belongs to the logsource when any chain's
conditions all hold. A logsource for which no chain adds anything maps to nothing known and sees
every event.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sigma.pipelines.sysmon.sysmon import sysmon_pipeline
from sigma.pipelines.windows.windows import windows_audit_pipeline, windows_logsource_pipeline
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaDetectionItem, SigmaLogSource, SigmaRule

from converter.fields import detection_fields

PipelineFactory = Callable[[], ProcessingPipeline]

# Each chain is one way Windows logs a logsource: Sysmon (category -> Sysmon EventID, then the
# Sysmon channel), and Security auditing (process_creation -> 4688, registry -> 4657, then the
# Security channel). windows_logsource_pipeline maps services to channels and the PowerShell
# categories to their EventIDs in both.
DEFAULT_CHAINS: tuple[tuple[PipelineFactory, ...], ...] = (
    (sysmon_pipeline, windows_logsource_pipeline),
    (windows_audit_pipeline, windows_logsource_pipeline),
)

_STUB_FIELD = "sigma_parity_logsource_stub"

# One way of logging: every (field, accepted values) pair must hold.
Alternative = tuple[tuple[str, frozenset[str]], ...]
LogsourceKey = tuple[str, str, str]


@dataclass(frozen=True)
class LogsourceSelector:
    """Whether an event belongs to a logsource: any alternative with all its conditions met.

    No alternatives means the logsource maps to nothing known, so every event belongs to it.
    Values compare case-insensitively as strings: real data writes EventID as a number or a
    string, and some sources write the channel in lower case (`security`).
    """

    alternatives: tuple[Alternative, ...]  # values as the pipelines wrote them

    def __post_init__(self) -> None:
        lowered = tuple(
            tuple((name, frozenset(v.lower() for v in values)) for name, values in alternative)
            for alternative in self.alternatives
        )
        object.__setattr__(self, "_lowered", lowered)

    @property
    def selects_all(self) -> bool:
        return not self.alternatives

    def __call__(self, event: Mapping[str, Any]) -> bool:
        if not self.alternatives:
            return True
        lowered: tuple[Alternative, ...] = self.__dict__["_lowered"]
        return any(_holds(alternative, event) for alternative in lowered)

    def describe(self) -> str:
        """The selector as text for reports, e.g. `EventID=1 and Channel=...; EventID=4688 ...`."""
        if not self.alternatives:
            return "every event"
        return " or ".join(
            "(" + " and ".join(f"{name} in {sorted(values)}" for name, values in alt) + ")"
            for alt in self.alternatives
        )


def _holds(alternative: Alternative, event: Mapping[str, Any]) -> bool:
    for name, accepted in alternative:
        value = event.get(name)
        if isinstance(value, list):
            if not any(v is not None and _text(v) in accepted for v in value):
                return False
        elif value is None or _text(value) not in accepted:
            return False
    return True


def _text(value: Any) -> str:
    return str(value).lower()


class LogsourceFilter:
    """Selectors for logsources, derived from pipeline chains and cached per logsource."""

    def __init__(self, chains: Sequence[Sequence[PipelineFactory]] = DEFAULT_CHAINS):
        self._chains = tuple(tuple(chain) for chain in chains)
        self._cache: dict[LogsourceKey, LogsourceSelector] = {}

    @classmethod
    def for_rule(cls, rule: Any) -> LogsourceSelector:
        """The selector of a rule as parsed, before any pipeline ran on it (pipelines rewrite the
        logsource); rules without a logsource, such as correlations, see every event."""
        return _default().select(getattr(rule, "logsource", None))

    def select(self, logsource: SigmaLogSource | None) -> LogsourceSelector:
        if logsource is None:
            return LogsourceSelector(())
        key = _key(logsource)
        if key not in self._cache:
            self._cache[key] = LogsourceSelector(self._alternatives(key))
        return self._cache[key]

    def _alternatives(self, key: LogsourceKey) -> tuple[Alternative, ...]:
        found: list[Alternative] = []
        for chain in self._chains:
            alternative = _added_conditions(key, chain)
            # A field the chain required twice with disjoint values makes the way impossible.
            possible = all(values for _name, values in alternative)
            if alternative and possible and alternative not in found:
                found.append(alternative)
        return tuple(found)


_DEFAULT: list[LogsourceFilter] = []


def _default() -> LogsourceFilter:
    if not _DEFAULT:
        _DEFAULT.append(LogsourceFilter())
    return _DEFAULT[0]


def _key(logsource: SigmaLogSource) -> LogsourceKey:
    return (
        (logsource.category or "").lower(),
        (logsource.product or "").lower(),
        (logsource.service or "").lower(),
    )


def _added_conditions(key: LogsourceKey, chain: Sequence[PipelineFactory]) -> Alternative:
    """The conditions a chain adds to a stub rule of this logsource, as (field, values) pairs.

    The chain is built afresh each time, from private copies: a pipeline keeps state from the
    rules it processed, and pySigma's pipeline factories share their processing items, which
    anyone resolving the same pipeline re-attaches to their own pipeline object.
    """
    rule = _stub(key)
    original = set(rule.detection.detections)
    pipeline = copy.deepcopy(chain[0]())
    for factory in chain[1:]:
        pipeline = pipeline + copy.deepcopy(factory())
    pipeline.apply(rule)
    accepted: dict[str, frozenset[str]] = {}
    for name, detection in rule.detection.detections.items():
        if name not in original:
            for item in detection.detection_items:
                _merge(accepted, item)
    return tuple(sorted(accepted.items()))


def _merge(accepted: dict[str, frozenset[str]], item: Any) -> None:
    """Add one added detection item; two conditions on one field must both hold."""
    if not isinstance(item, SigmaDetectionItem) or item.field is None:
        raise ValueError(f"a logsource pipeline added an unexpected condition: {item!r}")
    values = frozenset(str(value) for value in item.value)
    field = str(item.field)
    accepted[field] = accepted[field] & values if field in accepted else values


def _stub(key: LogsourceKey) -> Any:
    category, product, service = key
    logsource = {
        name: value
        for name, value in (("category", category), ("product", product), ("service", service))
        if value
    }
    return SigmaRule.from_dict(
        {
            "title": "logsource stub",
            "logsource": logsource,
            "detection": {"stub": {_STUB_FIELD: "x"}, "condition": "stub"},
        }
    )


# --- the rule's vocabulary ---------------------------------------------------------------------
# A process_creation (or registry) rule sees Security audit events too, but those name their fields
# the audit way (NewProcessName, not Image). What the rule means for such an event is what it
# means once the event is read in the rule's own field names, by the inverse of the mapping that
# pySigma's windows-audit pipeline applies to such rules; the targets' platforms store the event
# as it is, so only the oracle and the python target (Sigma field names) read this view.

_AUDIT_PIPELINE = "windows-audit"
_AUDIT_CHANNEL = "security"


def sigma_view(rule: Any, event: Mapping[str, Any]) -> Mapping[str, Any]:
    """``event`` with each field the rule references but the event lacks filled from the audit
    field windows-audit maps it to (Security events only); other events as they are."""
    if str(event.get("Channel", "")).lower() != _AUDIT_CHANNEL:
        return event
    logsource = getattr(rule, "logsource", None)
    if logsource is None:
        return event
    view: dict[str, Any] | None = None
    for name in detection_fields(rule):
        if event.get(name) is not None:
            continue
        alias = _audit_alias(_logsource_triple(logsource), name)
        if alias is not None and event.get(alias) is not None:
            view = view if view is not None else dict(event)
            view[name] = event[alias]
    return view if view is not None else event


@cache
def _audit_alias(logsource: tuple[str | None, str | None, str | None], name: str) -> str | None:
    """The field windows-audit renames ``name`` to for this logsource; None if it keeps or
    refuses it (the pipeline fails detection items the audit log does not have)."""
    try:
        mapped = _audit_projector().targets(SigmaLogSource(*logsource), name)
    except Exception:
        return None
    others = [m for m in mapped if m != name]
    return others[0] if others else None


@cache
def _audit_projector() -> Any:
    # Imported here: projection imports this module's neighbours, not the other way round.
    from converter.pipelines import resolve
    from converter.projection import Projector

    return Projector(resolve([_AUDIT_PIPELINE]))


def _logsource_triple(logsource: SigmaLogSource) -> tuple[str | None, str | None, str | None]:
    return (logsource.category, logsource.product, logsource.service)
