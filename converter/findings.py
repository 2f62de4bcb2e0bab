"""Pipeline findings: project Elastic's own stored Sysmon documents and compare.

Each stored document (Elastic Agent's Windows integration, test fixtures in tests/fixtures/ecs/)
carries the original event as XML; rebuilding the canonical event from it and projecting it with
ecs_windows must give the values Elastic stores. Every disagreement is a finding about the
pipeline (a field a rule queries where Elastic does not store it), reported in docs/parity.md.

    python -m converter.findings > docs/parity-findings.md
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigma.processing.conditions import LogsourceCondition
from sigma.processing.transformations import AddConditionTransformation
from sigma.rule import SigmaLogSource
from sigma.types import SigmaNumber

from converter.errors import ConfigError
from converter.pipelines import resolve
from converter.projection import Event, Projector, Shape, _probe_rule, text
from converter.schema.model import ecs_schema

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
        f"Generated by `python -m converter.findings` from {source}.",
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


if __name__ == "__main__":
    raise SystemExit(main())
