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
take the type the schema gives the stored field (``event.code`` is a keyword: ``"1"``).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
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

from converter.errors import ConfigError
from converter.fields import detection_fields
from converter.pipelines import resolve
from converter.schema.model import Schema, ecs_schema
from converter.targets.base import Target

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
        return self._plan(logsource, [name])[name]

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
                stored.setdefault(target, self._typed(target, value))
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

    def _typed(self, name: str, value: Any) -> Any:
        if self.shape.schema is None:
            return value
        return _coerce(value, self.shape.schema.field(name).type)


_PROJECTORS: dict[tuple[int, str], tuple[ProcessingPipeline, Projector]] = {}


def project(
    event: Event, target: Target, rule: SigmaRule, pipeline: ProcessingPipeline | None
) -> dict[str, Any]:
    """``event`` as ``target`` stores it, derived from the pipeline that produced the query.

    The python target uses no pipeline: its event is the canonical event unchanged.
    """
    if pipeline is None or not target.pipelines:
        return dict(event)
    key = (id(pipeline), target.key)
    if key not in _PROJECTORS:  # the pipeline is kept alive with it, so its id stays unique
        _PROJECTORS[key] = (pipeline, Projector(pipeline, shape_of(target)))
    return _PROJECTORS[key][1].project(event, rule)


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
    return [list(_leaves(detections[f"probe{i}"])) for i in range(count)]


def _leaves(detection: SigmaDetection) -> Iterator[SigmaDetectionItem]:
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from _leaves(item)
        else:
            yield item


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


def text(value: Any) -> str:
    """A scalar as its string form (booleans as JSON writes them)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


# --- Pipeline findings: projection against documents the Elastic Windows integration stored ---

DEFAULT_DOCUMENTS = Path("tests/fixtures/ecs/sysmon_operational_expected.json")
SYSMON_REFERENCE = "sysmon"  # pySigma's sysmon pipeline: category -> Sysmon EventID
# Sysmon writes "-" for an empty value; the integration drops "" and "-" (not compared).
_EMPTY = frozenset({"", "-"})


@dataclass(frozen=True)
class Finding:
    """A field where the pipeline's query and the stored Elastic document disagree."""

    field: str  # the event (Sigma) field
    pipeline: str  # the stored field the pipeline's query looks at
    elastic: str  # where the stored document holds the event's value ("" if nowhere verbatim)
    events: tuple[str, ...]
    impact: str


def canonical_from_xml(xml: str) -> dict[str, Any]:
    """The Sigma-named event of a rendered Windows event (``event.original``)."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(xml)
    event: dict[str, Any] = {}
    for node in root.iter():
        tag = node.tag.rpartition("}")[2]
        if tag == "Provider" and "Name" in node.attrib and "Provider_Name" not in event:
            event["Provider_Name"] = node.attrib["Name"]
        elif tag in ("EventID", "Channel", "Computer") and tag not in event:
            event[tag] = int(node.text) if tag == "EventID" and node.text else node.text
        elif tag == "Data" and "Name" in node.attrib:
            event[node.attrib["Name"]] = node.text or ""
    return event


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested JSON as dotted field names (lists stay values)."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def sysmon_categories(event_id: int) -> list[str]:
    """Sigma categories whose Sysmon EventID condition names ``event_id``."""
    found = []
    for item in resolve([SYSMON_REFERENCE]).items:
        transformation = item.transformation
        if isinstance(transformation, AddConditionTransformation):
            ids = transformation.conditions.get("EventID", [])
            listed = ids if isinstance(ids, list) else [ids]
            found += [
                c.category
                for c in item.rule_conditions
                if isinstance(c, LogsourceCondition) and c.category and event_id in listed
            ]
    return found


def projection_findings(
    documents: Iterable[tuple[str, Mapping[str, Any]]], pipeline_name: str = "ecs_windows"
) -> list[Finding]:
    """Project each document's own event with the pipeline; report every disagreement."""
    projector = Projector(resolve([pipeline_name]), Shape(schema=ecs_schema()))
    seen: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    places: dict[tuple[str, str, str], set[str]] = {}
    for label, document in documents:
        stored = flatten(document)
        event = canonical_from_xml(str(stored.get("event.original", "")))
        for category in sysmon_categories(int(event.get("EventID", 0))):
            logsource = SigmaLogSource(category, "windows")
            rule = _probe_rule(logsource, [("EventID", SigmaNumber(0))])
            projected = projector.project(event, rule)
            for key, where in _compare(projector, logsource, event, projected, stored):
                seen.setdefault(key, {}).setdefault(label, []).append(category)
                places.setdefault(key, set()).update(where)
    return [_finding(key, seen[key], places[key]) for key in sorted(seen)]


def _compare(
    projector: Projector,
    logsource: SigmaLogSource,
    event: Event,
    projected: Mapping[str, Any],
    stored: Mapping[str, Any],
) -> Iterator[tuple[tuple[str, str, str], list[str]]]:
    """((field, stored field, kind), where Elastic keeps the value) for each disagreement."""
    for name, value in event.items():
        if value is None or text(value) in _EMPTY:
            continue
        for target in projector.targets(logsource, name):
            if target not in stored:
                yield (name, target, "absent"), _locate(value, stored)
            elif not _agrees(projected[target], stored[target]):
                yield (name, target, "differs"), [f"{target} = {text(stored[target])}"]


def _agrees(projected: Any, stored: Any) -> bool:
    stored_values = stored if isinstance(stored, list) else [stored]
    return text(projected) in {text(v) for v in stored_values}


def _locate(value: Any, stored: Mapping[str, Any]) -> list[str]:
    """The stored fields holding the value verbatim (event.original aside)."""
    wanted = text(value)
    return [n for n, held in stored.items() if n != "event.original" and _agrees(wanted, held)]


def _finding(key: tuple[str, str, str], hits: dict[str, list[str]], places: set[str]) -> Finding:
    name, target, kind = key
    if kind == "absent":
        impact = f"no stored event has {target}: a rule on {name} never matches (under-match)"
    else:
        impact = f"{target} stores another value than {name}: rules miss these events (under-match)"
    events = tuple(f"{label} [{', '.join(categories)}]" for label, categories in hits.items())
    return Finding(name, target, ", ".join(sorted(places)), events, impact)


def findings_markdown(findings: list[Finding], source: str) -> str:
    """docs/parity-findings.md: one table row per finding."""
    lines = [
        "# Pipeline findings: ecs_windows against Elastic's stored Sysmon events",
        "",
        f"Generated by `python -m converter.projection` from {source}.",
        "Each Sysmon event's own record (`event.original`) is projected with ecs_windows for",
        "every Sigma category of its EventID (pySigma's sysmon pipeline) and compared with the",
        'fields the Windows integration stored. Values `""` and `-` are not compared (the',
        "integration drops them).",
        "",
        "| field | pipeline says | Elastic stores | events | impact |",
        "|---|---|---|---|---|",
    ]
    for f in findings:
        where = f.elastic or "nowhere verbatim"
        cells = (f.field, f.pipeline, where, ", ".join(f.events), f.impact)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def load_documents(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(name, stored document) pairs of a tests/fixtures/ecs file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [(str(d["name"]), dict(d["document"])) for d in data["documents"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"cannot read stored ECS documents: {e}", path) from e


def main(argv: list[str] | None = None) -> int:
    """Print docs/parity-findings.md for the stored documents in the given files."""
    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv)] or [DEFAULT_DOCUMENTS]
    documents = [doc for path in paths for doc in load_documents(path)]
    source = ", ".join(f"`{path.as_posix()}`" for path in paths)
    sys.stdout.write(findings_markdown(projection_findings(documents), source))
    return 0


# A field name no pipeline maps: the probe item that lets the pipeline run for a logsource.
_PROBE_FIELD = "sigma_parity_projection_probe"


def _added_items(rule: SigmaRule) -> Iterator[SigmaDetectionItem]:
    """The detection items a pipeline added to a probe rule (AddCondition adds detections)."""
    for name, detection in rule.detection.detections.items():
        if not name.startswith("probe"):
            yield from _leaves(detection)


def _constant(item: SigmaDetectionItem) -> Any:
    """The one plain value of an added condition (first of a list), None for patterns."""
    value = item.value[0] if item.value else None
    if isinstance(value, SigmaString) and not value.contains_special():
        return value.to_plain()
    return value.number if isinstance(value, SigmaNumber) else None


if __name__ == "__main__":
    raise SystemExit(main())
