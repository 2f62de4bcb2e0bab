"""Projection: a canonical fixture event in the shape the target platform stores it.

Fixture events use the field names Sigma rules use (DESIGN.md, "Fixture format"). Each target
queries other names: Splunk ``EventCode`` and ``source``, ECS ``event.code``, ``process.executable``
and ``winlog.event_data.*``. The projection is derived from the same processing pipeline that
produced the query, never from a second table: pySigma itself applies that pipeline to a probe
rule with the rule's logsource and one detection item per event field, so every field mapping,
field-name prefix, value transformation and their rule and field-name conditions act exactly as
they did for the query. Splunk's ``source`` and other fields the pipeline only adds as logsource
conditions are derived from the event's ``Channel`` by pairing each added condition with the
Channel that pySigma's ``windows-logsources`` pipeline adds for the same service.

Rules of DESIGN.md: ``null`` means absent; when two event fields map to one target field, the one
the rule references wins (then the first in event order); a one-to-many mapping fills every
target field; Splunk's ``_raw`` is the event as one line of JSON with sorted keys. ECS names that
are multi-fields (``process.executable.caseless``) are stored under their parent field, and values
take the type the schema gives the stored field (``event.code`` is a keyword: ``"1"``). A target
that is a field-name pattern (ecs_zeek_beats: ``zeek.*.cipher``) names every schema field it
matches, as query_string's ``fields`` wildcards do (converter.targets.parity_values.pattern_fields):
the value is stored under each of them whose type can index it (all of them if none can), and
under the pattern itself only when it matches no schema field.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sigma.processing.conditions import IncludeFieldCondition, LogsourceCondition
from sigma.processing.pipeline import ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    MapStringTransformation,
    SetValueTransformation,
)
from sigma.rule import (
    SigmaDetection,
    SigmaDetectionItem,
    SigmaDetections,
    SigmaLogSource,
    SigmaRule,
)
from sigma.types import SigmaBool, SigmaNumber, SigmaString, SigmaType

from converter.engines import dsl_values
from converter.fields import detection_fields, leaf_items
from converter.pipelines import resolve
from converter.schema.model import FieldSpec, Schema, ecs_schema
from converter.targets.base import Target
from converter.targets.parity_values import pattern_fields

# ECS multi-field names: "caseless" (Elastic Agent data streams, see converter/schema/ecs.py) and
# "text" (ECS field reference, "Multi-fields"). Such a field is indexed from its parent's value.
MULTI_FIELD_NAMES = frozenset({"caseless", "text"})
CHANNEL = "Channel"
# The pipeline that names each Windows service's channels (pysigma-pipeline-windows).
CHANNEL_REFERENCE = "windows-logsources"

Event = Mapping[str, Any]


@dataclass(frozen=True)
class Shape:
    """How a platform stores an event besides the field names the pipeline gives."""

    raw: bool = False  # Splunk: keep the whole event as JSON in _raw
    schema: Schema | None = None  # Elastic: stored parent of multi-fields, types per schema


def shape_of(target: Target, schema: Schema | None = None) -> Shape:
    """Splunk keeps _raw; the ECS targets store multi-fields under their parent."""
    if target.engine == "spl":
        return Shape(raw=True)
    if target.maps_fields:
        return Shape(schema=schema or ecs_schema())
    return Shape()


@dataclass
class Projector:
    """Projects events for one pipeline; field plans are cached per logsource."""

    pipeline: ProcessingPipeline
    shape: Shape = field(default_factory=Shape)
    _plans: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = field(default_factory=dict)
    _values: dict[tuple[tuple[str, ...], str, Any], Any] = field(default_factory=dict)

    _constant_cache: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A private copy: probing must not disturb the state of the pipeline the Converter uses.
        self.pipeline = copy.deepcopy(self.pipeline)
        self._channel_fields = channel_fields(self.pipeline)
        self._value_fields = _value_fields(self.pipeline)

    def targets(self, logsource: SigmaLogSource, name: str) -> tuple[str, ...]:
        """The stored fields the pipeline maps event field ``name`` to for this logsource."""
        planned = self._plan(logsource, [name])[name]
        return tuple(dict.fromkeys(f for target in planned for f in self._expand(target)))

    def project(self, event: Event, rule: SigmaRule) -> dict[str, Any]:
        """The event as the platform stores it, for a rule as loaded (before processing)."""
        present = {k: v for k, v in event.items() if v is not None}
        plan = self._plan(rule.logsource, list(present))
        referenced = detection_fields(rule)
        order = sorted(present, key=lambda name: name not in referenced)  # stable: event order
        stored: dict[str, Any] = {}
        for name in order:
            for target in plan[name]:
                value = self._value(rule.logsource, name, target, present[name])
                for field_name in self._holding(target, value):
                    stored.setdefault(field_name, self._typed(field_name, value))
        channel = present.get(CHANNEL)
        if isinstance(channel, str):
            for name, prefix in self._channel_fields.items():
                stored.setdefault(name, prefix + channel)
        for name, value in self._constants(rule).items():
            stored.setdefault(name, value)
        if self.shape.raw:
            stored["_raw"] = json.dumps(present, sort_keys=True, ensure_ascii=False, default=str)
        return stored

    def _constants(self, rule: SigmaRule) -> dict[str, Any]:
        """Fields the pipeline adds as constants for the rule's logsource (ecs_zeek_beats:
        ``event.dataset: zeek.dns``): the event belongs to that logsource, so the platform stores
        it there. Read from what the pipeline adds to a probe rule, so templated and
        logsource-rewriting pipelines resolve as for the query; Channel-derived fields are left
        to the Channel."""
        key = _logsource_key(rule.logsource)
        if key not in self._constant_cache:
            probe = _probe_rule(rule.logsource, [(_PROBE_FIELD, SigmaString("x"))])
            self.pipeline.apply(probe)
            found: dict[str, Any] = {}
            for item in _added_items(probe):
                value = _constant(item)
                if item.field and item.field not in self._skip_constants() and value is not None:
                    found.setdefault(self._stored(item.field), value)
            self._constant_cache[key] = found
        return self._constant_cache[key]

    def _skip_constants(self) -> set[str]:
        return {CHANNEL, *self._channel_fields}

    def _plan(self, logsource: SigmaLogSource, names: list[str]) -> dict[str, tuple[str, ...]]:
        key = _logsource_key(logsource)
        known = self._plans.setdefault(key, {})
        missing = [name for name in names if name not in known]
        if missing:
            probe = _probe_rule(logsource, [(name, SigmaString("x")) for name in missing])
            self.pipeline.apply(probe)
            for name, items in zip(missing, _probe_items(probe), strict=True):
                known[name] = tuple(dict.fromkeys(self._stored(i.field or name) for i in items))
        return known

    def _value(self, logsource: SigmaLogSource, name: str, target: str, value: Any) -> Any:
        """The value after the pipeline's value transformations (e.g. Initiated true -> egress)."""
        if target not in self._value_fields and "*" not in self._value_fields:
            return value
        if isinstance(value, list):
            return [self._value(logsource, name, target, v) for v in value]
        key = (_logsource_key(logsource), name, _hashable(value))
        if key not in self._values:
            self._values[key] = self._probe_value(logsource, name, value)
        return self._values[key]

    def _probe_value(self, logsource: SigmaLogSource, name: str, value: Any) -> Any:
        sigma_value = _sigma_value(value)
        if sigma_value is None:
            return value
        probe = _probe_rule(logsource, [(name, sigma_value)])
        self.pipeline.apply(probe)
        items = _probe_items(probe)[0]
        after = items[0].value[0] if items and items[0].value else sigma_value
        unchanged = type(after) is type(sigma_value) and after == sigma_value
        return value if unchanged else _plain(after)

    def _stored(self, name: str) -> str:
        """The field an index stores a value under: a multi-field's parent."""
        if self.shape.schema is not None:
            parent, _, last = name.rpartition(".")
            if parent and last in MULTI_FIELD_NAMES:
                return parent
        return name

    def _expand(self, target: str) -> tuple[str, ...]:
        """The schema fields a field-name pattern names (their stored parents), else ``target``."""
        if self.shape.schema is None or "*" not in target:
            return (target,)
        names = pattern_fields(self.shape.schema, target)
        return tuple(dict.fromkeys(self._stored(n) for n in names)) or (target,)

    def _holding(self, target: str, value: Any) -> tuple[str, ...]:
        """The fields ``target`` names that can index ``value`` (all of them if none can)."""
        names = self._expand(target)
        schema = self.shape.schema
        if len(names) < 2 or schema is None:
            return names
        return tuple(n for n in names if _holds(schema.field(n), value)) or names

    def _typed(self, name: str, value: Any) -> Any:
        if self.shape.schema is None:
            return value
        return _coerce(value, self.shape.schema.field(name).type)


_PROJECTORS: dict[tuple[int, str, int], tuple[ProcessingPipeline, Schema | None, Projector]] = {}


def project(
    event: Event,
    target: Target,
    rule: SigmaRule,
    pipeline: ProcessingPipeline | None,
    schema: Schema | None = None,
) -> dict[str, Any]:
    """``event`` as ``target`` stores it, derived from the pipeline that produced the query;
    Elastic targets store it for ``schema`` (default: the built-in ECS schema).

    The python target uses no pipeline: its event is the canonical event unchanged.
    """
    if pipeline is None or not target.pipelines:
        return dict(event)
    key = (id(pipeline), target.key, id(schema))
    if key not in _PROJECTORS:  # pipeline and schema are kept alive with it: their ids stay unique
        _PROJECTORS[key] = (pipeline, schema, Projector(pipeline, shape_of(target, schema)))
    return _PROJECTORS[key][2].project(event, rule)


def channel_fields(pipeline: ProcessingPipeline) -> dict[str, str]:
    """Fields the pipeline adds per Windows service, as ``prefix + Channel``.

    Each added condition is paired with the Channel that ``windows-logsources`` adds for the same
    service; a field whose every value is one prefix plus that Channel is derived from Channel
    (splunk_windows: ``source = "WinEventLog:" + Channel``; ecs_windows: ``winlog.channel``).
    """
    reference = dict(_service_conditions(_reference_pipeline()))
    prefixes: dict[str, set[str | None]] = {}
    for service, conditions in _service_conditions(pipeline):
        channels = reference.get(service, {}).get(CHANNEL, ())
        for name, values in conditions.items():
            if name == CHANNEL or len(values) != len(channels):
                continue
            for value, channel in zip(values, channels, strict=True):
                ok = value.endswith(channel)
                prefixes.setdefault(name, set()).add(value[: -len(channel)] if ok else None)
    return {n: p.pop() or "" for n, p in prefixes.items() if len(p) == 1 and None not in p}


@cache
def _reference_pipeline() -> ProcessingPipeline:
    return resolve([CHANNEL_REFERENCE])


def _service_conditions(
    pipeline: ProcessingPipeline,
) -> Iterator[tuple[str, dict[str, tuple[str, ...]]]]:
    """(service, {field: values}) for every AddCondition item bound to a Windows service."""
    for item in pipeline.items:
        transformation = item.transformation
        if not isinstance(transformation, AddConditionTransformation):
            continue
        for condition in item.rule_conditions:
            if isinstance(condition, LogsourceCondition) and condition.service:
                yield (
                    condition.service,
                    {
                        name: tuple(str(v) for v in (vs if isinstance(vs, list) else [vs]))
                        for name, vs in transformation.conditions.items()
                    },
                )


def _value_fields(pipeline: ProcessingPipeline) -> frozenset[str]:
    """Target fields whose values a value-translating item may change ("*": any field).

    Only SetValue and MapString translate a value into the one the platform stores (Initiated
    true -> network.direction egress); case, regex, placeholder and type transformations
    rewrite the query's pattern, not the stored value.
    """
    found: set[str] = set()
    for item in pipeline.items:
        if not isinstance(item.transformation, _STORED_VALUE_TRANSFORMATIONS):
            continue
        includes = [c for c in item.field_name_conditions if isinstance(c, IncludeFieldCondition)]
        if item.field_name_condition_negation or not includes:
            return frozenset({"*"})
        found.update(str(f) for c in includes for f in c.fields)
    return frozenset(found)


_STORED_VALUE_TRANSFORMATIONS = (SetValueTransformation, MapStringTransformation)


def _probe_rule(logsource: SigmaLogSource, items: Iterable[tuple[str, SigmaType]]) -> SigmaRule:
    detections = {
        f"probe{i}": SigmaDetection([SigmaDetectionItem(name, [], [value])])
        for i, (name, value) in enumerate(items)
    }
    return SigmaRule(
        title="projection probe",
        logsource=copy.deepcopy(logsource),
        detection=SigmaDetections(detections, ["1 of probe*"]),
    )


def _probe_items(rule: SigmaRule) -> list[list[SigmaDetectionItem]]:
    """Per probe detection (in order), the detection items the pipeline made of its one item."""
    detections = rule.detection.detections
    count = sum(1 for name in detections if name.startswith("probe"))
    return [list(leaf_items(detections[f"probe{i}"])) for i in range(count)]


def _logsource_key(logsource: SigmaLogSource) -> tuple[str, ...]:
    return (logsource.category or "", logsource.product or "", logsource.service or "")


def _sigma_value(value: Any) -> SigmaType | None:
    """The Sigma value a rule would write for ``value`` (wildcards escaped: a literal)."""
    if isinstance(value, bool):
        return SigmaBool(value)
    if isinstance(value, int | float):
        return SigmaNumber(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
        return SigmaString(escaped)
    return None


def _plain(value: SigmaType) -> Any:
    if isinstance(value, SigmaString):
        return "".join(part if isinstance(part, str) else str(part) for part in value.s)
    return value.to_plain()


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else repr(value)


def _coerce(value: Any, type_: str) -> Any:
    """A JSON value as an index of this field type returns it in _source-equivalent form."""
    if isinstance(value, list):
        return [_coerce(v, type_) for v in value]
    if type_ in ("keyword", "constant_keyword", "wildcard", "text", "match_only_text"):
        return text(value)
    if type_ in ("long", "integer", "short", "byte") and isinstance(value, str):
        return int(value) if value.strip().lstrip("-").isdigit() else value
    if type_ == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _holds(spec: FieldSpec, value: Any) -> bool:
    """Whether an index can hold ``value`` in a field of this mapping: any scalar in a string
    field; numeric, ip, date and boolean fields must parse it (converter.engines.dsl_values,
    which Elasticsearch's coercion rules cite); an object field holds no scalar."""
    if spec.type in ("object", "nested"):
        return False
    kind = dsl_values.family(spec)
    if kind in ("keyword", "wildcard", "text"):
        return True
    try:
        for item in value if isinstance(value, list) else [value]:
            dsl_values.parse_typed(item, spec, kind)
    except dsl_values.InputError:
        return False
    return True


def text(value: Any) -> str:
    """A scalar as its string form (booleans as JSON writes them)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


# --- Pipeline findings: projection against documents the Elastic Windows integration stored ---

# A field name no pipeline maps: the probe item that lets the pipeline run for a logsource.
_PROBE_FIELD = "sigma_parity_projection_probe"


def _added_items(rule: SigmaRule) -> Iterator[SigmaDetectionItem]:
    """The detection items a pipeline added to a probe rule (AddCondition adds detections)."""
    for name, detection in rule.detection.detections.items():
        if not name.startswith("probe"):
            yield from leaf_items(detection)


def _constant(item: SigmaDetectionItem) -> Any:
    """The one plain value of an added condition (first of a list), None for patterns."""
    value = item.value[0] if item.value else None
    if isinstance(value, SigmaString) and not value.contains_special():
        return value.to_plain()
    return value.number if isinstance(value, SigmaNumber) else None
