"""Projection of canonical events into each platform's stored shape (DESIGN.md "Fixture format").

Expected values come from the design contract and the platforms' documentation: Splunk's Windows
add-on sets ``source`` to ``WinEventLog:<channel>`` and keeps EventCode; ECS stores event.code as a
keyword and process.pid as a long; ``.caseless`` is a multi-field indexed from its parent.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    AddFieldnamePrefixTransformation,
    FieldMappingTransformation,
)
from sigma.rule import SigmaLogSource, SigmaRule

from converter import findings as pipeline_findings
from converter.fields import detection_fields, unmapped_warnings
from converter.pipelines import resolve
from converter.projection import Projector, Shape, project, shape_of
from converter.schema.model import FieldSpec, Schema
from converter.targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "tests/fixtures/ecs/sysmon_operational_expected.json"
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def rule(
    category: str | None = None, service: str | None = None, field: str = "EventID"
) -> SigmaRule:
    logsource: dict[str, Any] = {"product": "windows"}
    logsource.update({k: v for k, v in (("category", category), ("service", service)) if v})
    doc = {"title": "t", "logsource": logsource, "detection": {"s": {field: 1}, "condition": "s"}}
    parsed = SigmaCollection.from_dicts([doc]).rules[0]
    assert isinstance(parsed, SigmaRule)
    return parsed


def projected(target: str, event: dict[str, Any], sigma_rule: SigmaRule) -> dict[str, Any]:
    spec = TARGETS[target].pipelines.get("windows")
    return project(event, TARGETS[target], sigma_rule, resolve([spec]) if spec else None)


CASES = {
    "python-unchanged": (
        "python",
        {"EventID": 1, "Image": "C:\\a.exe"},
        rule("process_creation"),
        {"EventID": 1, "Image": "C:\\a.exe"},
    ),
    "splunk-eventcode": (
        "splunk",
        {"EventID": 4688},
        rule(service="security"),
        {"EventCode": 4688},
    ),
    "splunk-source-from-channel": (
        "splunk",
        {"Channel": "Security"},
        rule(service="security"),
        {"Channel": "Security", "source": "WinEventLog:Security"},
    ),
    "splunk-fields-pass-through": (
        "splunk",
        {"CommandLine": "x"},
        rule("process_creation"),
        {"CommandLine": "x"},
    ),
    "ecs-event-code-keyword": (
        "lucene",
        {"EventID": 1},
        rule("process_creation"),
        {"event.code": "1"},
    ),
    "ecs-caseless-stored-in-parent": (
        "kql",
        {"Image": "C:\\a.exe"},
        rule("process_creation"),
        {"process.executable": "C:\\a.exe"},
    ),
    "ecs-pid-long": ("eql", {"ProcessId": "4242"}, rule("process_creation"), {"process.pid": 4242}),
    "ecs-channel": (
        "esql",
        {"Channel": SYSMON},
        rule(service="sysmon"),
        {"winlog.channel": SYSMON},
    ),
    "ecs-event-data-prefix": (
        "lucene",
        {"IntegrityLevel": "High"},
        rule("process_creation"),
        {"winlog.event_data.IntegrityLevel": "High"},
    ),
    "ecs-category-mapping": (
        "lucene",
        {"OriginalFileName": "x.dll"},
        rule("image_load"),
        {"file.pe.original_file_name": "x.dll"},
    ),
    "null-is-absent": (
        "lucene",
        {"CommandLine": None, "EventID": 1},
        rule("process_creation"),
        {"event.code": "1"},
    ),
    "initiated-true-egress": (
        "lucene",
        {"Initiated": True},
        rule("network_connection"),
        {"network.direction": "egress"},
    ),
    "referenced-field-wins": (
        "lucene",
        {"Image": "a", "SourceImage": "b"},
        rule("process_access", field="SourceImage"),
        {"process.executable": "b"},
    ),
    "unreferenced-first-wins": (
        "lucene",
        {"Image": "a", "SourceImage": "b"},
        rule("process_access", field="Image"),
        {"process.executable": "a"},
    ),
}


@pytest.mark.parametrize(
    ("target", "event", "sigma_rule", "expected"), CASES.values(), ids=list(CASES)
)
def test_projection(
    target: str, event: dict[str, Any], sigma_rule: SigmaRule, expected: dict[str, Any]
) -> None:
    result = projected(target, event, sigma_rule)
    result.pop("_raw", None)
    assert result == expected


def test_splunk_raw_is_sorted_one_line_json() -> None:
    event = {"Image": "C:\\a.exe", "EventID": 1, "CommandLine": None}
    raw = projected("splunk", event, rule("process_creation"))["_raw"]
    assert raw == '{"EventID": 1, "Image": "C:\\\\a.exe"}'
    assert "\n" not in raw


def test_one_to_many_mapping_fills_every_target() -> None:
    pipeline = ProcessingPipeline(
        items=[ProcessingItem(FieldMappingTransformation({"User": ["user.name", "user.id"]}))]
    )
    result = Projector(pipeline).project({"User": "bob"}, rule("process_creation"))
    assert result == {"user.name": "bob", "user.id": "bob"}


# --- field-name patterns (ecs_zeek_beats maps Sigma fields to zeek.*.<name>) ---
# DESIGN.md: "a one-to-many mapping fills every target field"; a pattern names the schema fields
# it matches as query_string's `fields` wildcards do (`*` any run of characters, dots included).
# A field whose type cannot parse the value would make Elasticsearch refuse (or, with
# ignore_malformed, skip) it (mapping-reference/number, ignore_malformed): such fields are left
# out unless no matched field can hold the value.

PATTERN_SCHEMA = Schema(
    {
        name: FieldSpec(name, type_)
        for name, type_ in {
            "zeek.kerberos.cipher": "keyword",
            "zeek.ssl.cipher": "keyword",
            "zeek.ssl.version": "keyword",
            "zeek.x509.version": "integer",
            "zeek.a.port": "long",
            "zeek.b.port": "long",
            "proc.exe": "keyword",
            "proc.exe.caseless": "keyword",
        }.items()
    },
    "pattern test schema",
)

PATTERNS = {
    "every-match": (
        "zeek.*.cipher",
        "AES",
        {"zeek.kerberos.cipher": "AES", "zeek.ssl.cipher": "AES"},
    ),
    "star-spans-dots": (
        "zeek*cipher",
        "AES",
        {"zeek.kerberos.cipher": "AES", "zeek.ssl.cipher": "AES"},
    ),
    "no-match-keeps-literal": ("zeek.*.nothing", "v", {"zeek.*.nothing": "v"}),
    "type-cannot-hold": ("zeek.*.version", "TLSv12", {"zeek.ssl.version": "TLSv12"}),
    "every-type-holds": ("zeek.*.version", 3, {"zeek.ssl.version": "3", "zeek.x509.version": 3}),
    "none-can-hold": ("zeek.*.port", "x", {"zeek.a.port": "x", "zeek.b.port": "x"}),
    "multi-field-parent-once": ("proc.e*", "C:\\A.EXE", {"proc.exe": "C:\\A.EXE"}),
}


@pytest.mark.parametrize(("pattern", "value", "expected"), PATTERNS.values(), ids=list(PATTERNS))
def test_field_name_pattern_fills_matching_schema_fields(
    pattern: str, value: Any, expected: dict[str, Any]
) -> None:
    pipeline = ProcessingPipeline(
        items=[ProcessingItem(FieldMappingTransformation({"F": pattern}))]
    )
    projector = Projector(pipeline, Shape(schema=PATTERN_SCHEMA))
    assert projector.project({"F": value}, rule("process_creation")) == expected


def test_field_name_pattern_without_schema_is_kept() -> None:
    """A platform without a schema (Splunk's shape) stores the name the pipeline gives."""
    pipeline = ProcessingPipeline(items=[ProcessingItem(FieldMappingTransformation({"F": "a.*"}))])
    assert Projector(pipeline).project({"F": "v"}, rule("process_creation")) == {"a.*": "v"}


def test_zeek_pattern_through_ecs_zeek_beats() -> None:
    """ecs_zeek_beats maps cipher to zeek.*.cipher; ECS (Filebeat zeek module fields) has three."""
    doc: dict[str, Any] = {"title": "t", "logsource": {"product": "zeek", "service": "kerberos"}}
    doc["detection"] = {"s": {"cipher": "x"}, "condition": "s"}
    zeek_rule = SigmaCollection.from_dicts([doc]).rules[0]
    assert isinstance(zeek_rule, SigmaRule)
    stored = project(
        {"cipher": "aes256-cts"}, TARGETS["eql"], zeek_rule, resolve(["ecs_zeek_beats"])
    )
    assert "zeek.*.cipher" not in stored
    for name in ("zeek.kerberos.cipher", "zeek.ssh.algorithm.cipher", "zeek.ssl.cipher"):
        assert stored[name] == "aes256-cts"


def test_project_uses_the_given_schema() -> None:
    pipeline = ProcessingPipeline(
        items=[ProcessingItem(FieldMappingTransformation({"F": "zeek.*.port"}))]
    )
    stored = project(
        {"F": "1"}, TARGETS["lucene"], rule("process_creation"), pipeline, PATTERN_SCHEMA
    )
    assert stored == {"zeek.a.port": 1, "zeek.b.port": 1}


# --- unmapped-field warnings (converter.fields.unmapped_warnings) ---
# A field the pipeline left unmapped is a field no stored event has: its test answers as on an
# event without it. Sigma: an absent field makes `f: value` false and `f: null` true (DESIGN.md
# "Semantic decisions": null = field absent, absent field = atom false, so `not selection` is
# true); `not` inverts. False where Sigma may be true: under-match; true: over-match.

A, B = {"A": "x"}, {"B": "y"}
UNMAPPED = {
    "plain": ({"sel": A}, "sel", {"under-match": "A"}),
    "negated": (
        {"sel": A, "filter": B},
        "sel and not filter",
        {"under-match": "A", "over-match": "B"},
    ),
    "double-negation": (
        {"sel": A, "filter": B, "keep": {"C": "z"}},
        "sel and not (filter and not keep)",
        {"under-match": "A, C", "over-match": "B"},
    ),
    "both-directions": (
        {"sel": A, "filter": {"A": "y"}},
        "sel and not filter",
        {"under-match": "A", "over-match": "A"},
    ),
    "one-detection-twice": ({"sel": A}, "sel or not sel", {"under-match": "A", "over-match": "A"}),
    "null": ({"sel": {"A": None}}, "sel", {"over-match": "A"}),
    "negated-null": (
        {"sel": {"A": None}, "other": B},
        "other and not sel",
        {"under-match": "A, B"},
    ),
    "exists-false": ({"sel": {"A|exists": False}}, "sel", {"over-match": "A"}),
    "exists-true-negated": ({"sel": {"A|exists": True}}, "not sel", {"over-match": "A"}),
    "selector": ({"sel1": A, "sel2": B}, "not 1 of sel*", {"over-match": "A, B"}),
    "schema-field": ({"sel": {"process.name": "x"}}, "not sel", {}),
}


def linux_rule(detections: dict[str, Any], condition: str) -> SigmaRule:
    """A rule whose fields no pipeline maps (no ECS pipeline covers Linux process creation)."""
    doc: dict[str, Any] = {"title": "t"}
    doc["logsource"] = {"product": "linux", "category": "process_creation"}
    parsed = SigmaCollection.from_dicts(
        [{**doc, "detection": {**detections, "condition": condition}}]
    )
    sigma_rule = parsed.rules[0]
    assert isinstance(sigma_rule, SigmaRule)
    return sigma_rule


@pytest.mark.parametrize(
    ("detections", "condition", "expected"), UNMAPPED.values(), ids=list(UNMAPPED)
)
def test_unmapped_field_direction(
    detections: dict[str, Any], condition: str, expected: dict[str, str]
) -> None:
    sigma_rule = linux_rule(detections, condition)
    warnings = unmapped_warnings(detection_fields(sigma_rule), sigma_rule, TARGETS["eql"])
    assert all(w.cause == "unmapped-field" for w in warnings)
    found = {w.direction: w.message.removeprefix("field ").split(" passed")[0] for w in warnings}
    assert found == expected


# esql-null-values (T8): in the stock ES|QL query `NOT f == "x"` is null on a row without f, so
# WHERE drops it; `f IS NULL` stays two-valued. Parity ES|QL adds presence tests (two-valued).
NOT_A = ({"sel": A, "filter": B}, "sel and not filter")
NULL_A = ({"sel": {"A": None}, "other": B}, "other and not sel")
BY_PROFILE = {
    "esql-stock-negated": ("esql", "stock", *NOT_A, {"under-match": "A, B"}),
    "esql-parity-negated": ("esql", "parity", *NOT_A, {"under-match": "A", "over-match": "B"}),
    "esql-stock-null": ("esql", "stock", {"sel": {"A": None}}, "sel", {"over-match": "A"}),
    "esql-stock-negated-null": ("esql", "stock", *NULL_A, {"under-match": "A, B"}),
    "eql-stock-negated": ("eql", "stock", *NOT_A, {"under-match": "A", "over-match": "B"}),
    "lucene-stock-negated": ("lucene", "stock", *NOT_A, {"under-match": "A", "over-match": "B"}),
}


@pytest.mark.parametrize(
    ("target", "profile", "detections", "condition", "expected"),
    BY_PROFILE.values(),
    ids=list(BY_PROFILE),
)
def test_unmapped_field_direction_by_target(
    target: str, profile: str, detections: dict[str, Any], condition: str, expected: dict[str, str]
) -> None:
    sigma_rule = linux_rule(detections, condition)
    fields = detection_fields(sigma_rule)
    warnings = unmapped_warnings(fields, sigma_rule, TARGETS[target], profile)
    found = {w.direction: w.message.removeprefix("field ").split(" passed")[0] for w in warnings}
    assert found == expected


def test_probing_leaves_the_callers_pipeline_alone() -> None:
    pipeline = resolve(["ecs_windows"])
    before = copy.copy(pipeline.applied)
    Projector(pipeline).project({"Image": "x"}, rule("process_creation"))
    assert pipeline.applied == before


# --- (a) every field name the pipelines can emit is produced by projection ---


def _logsource(item: ProcessingItem) -> SigmaLogSource:
    for condition in item.rule_conditions:
        if isinstance(condition, LogsourceCondition):
            return SigmaLogSource(condition.category, condition.product, condition.service)
    return SigmaLogSource(None, "windows", None)


def _channels() -> dict[str, list[str]]:
    """service -> channels, from pySigma's windows-logsources pipeline (the reference)."""
    found: dict[str, list[str]] = {}
    for item in resolve(["windows-logsources"]).items:
        t = item.transformation
        if isinstance(t, AddConditionTransformation) and "Channel" in t.conditions:
            values = t.conditions["Channel"]
            found[_logsource(item).service or ""] = values if isinstance(values, list) else [values]
    return found


def _emitted(target: str) -> list[tuple[str, SigmaLogSource, dict[str, Any], str, Any]]:
    """(id, logsource, event, stored field, expected value or None) per name the pipeline emits."""
    cases = []
    channels = _channels()
    for item in resolve([TARGETS[target].pipelines["windows"]]).items:
        t, logsource = item.transformation, _logsource(item)
        if isinstance(t, FieldMappingTransformation):
            for source, mapped in t.mapping.items():
                for name in mapped if isinstance(mapped, list) else [mapped]:
                    stored = name.removesuffix(".caseless") if TARGETS[target].maps_fields else name
                    cases.append(
                        (f"{item.identifier}:{source}", logsource, {source: "v"}, stored, None)
                    )
        elif isinstance(t, AddFieldnamePrefixTransformation):
            cases.append(
                (item.identifier, logsource, {"NotMapped": "v"}, t.prefix + "NotMapped", None)
            )
        elif isinstance(t, AddConditionTransformation):
            for channel in channels.get(logsource.service or "", []):
                for name, values in t.conditions.items():
                    wanted = values if isinstance(values, list) else [values]
                    cases.append(
                        (
                            f"{item.identifier}:{channel}",
                            logsource,
                            {"Channel": channel},
                            name,
                            wanted,
                        )
                    )
    return cases


EMITTED = [(target, *case) for target in ("splunk", "lucene") for case in _emitted(target)]


@pytest.mark.parametrize(
    ("target", "case_id", "logsource", "event", "stored", "wanted"),
    EMITTED,
    ids=[f"{c[0]}-{c[1]}" for c in EMITTED],
)
def test_every_emitted_field_is_projected(
    target: str,
    case_id: str,
    logsource: SigmaLogSource,
    event: dict[str, Any],
    stored: str,
    wanted: Any,
) -> None:
    spec = TARGETS[target].pipelines["windows"]
    projector = Projector(resolve([spec]), shape_of(TARGETS[target]))
    sigma_rule = rule(logsource.category, logsource.service)
    sigma_rule.logsource = logsource
    result = projector.project(event, sigma_rule)
    assert stored in result, f"{case_id}: projection never produces {stored}"
    if wanted is not None:
        assert result[stored] in wanted


def test_enumeration_covers_both_pipelines() -> None:
    # splunk_windows: 39 services with a channel, EventID; ecs_windows: the same plus ~90 names.
    assert sum(1 for c in EMITTED if c[0] == "splunk") >= 40
    assert sum(1 for c in EMITTED if c[0] == "lucene") >= 120


# --- (b) projection against documents the Elastic Windows integration stored ---


def _documents() -> list[tuple[str, dict[str, Any]]]:
    return pipeline_findings.load_documents(DOCUMENTS)


AGREED = {  # Sigma field -> ECS field the integration stores it in (its field docs and fixtures)
    "EventID": "event.code",
    "Channel": "winlog.channel",
    "Provider_Name": "winlog.provider_name",
    "Image": "process.executable",
    "ProcessGuid": "process.entity_id",
    "ProcessId": "process.pid",
    "ImageLoaded": "file.path",
    "TargetFilename": "file.path",
    "TargetObject": "registry.path",
    "QueryName": "dns.question.name",
    "Destination": "process.executable",
}


@pytest.mark.parametrize("name", [name for name, _ in _documents()])
def test_stored_documents_agree_on_core_fields(name: str) -> None:
    document = dict(_documents())[name]
    stored = pipeline_findings.flatten(document)
    event = pipeline_findings.canonical_from_xml(stored["event.original"])
    category = pipeline_findings.sysmon_categories(event["EventID"])[0]
    result = Projector(resolve(["ecs_windows"]), shape_of(TARGETS["lucene"])).project(
        event, rule(category)
    )
    checked = [f for f in AGREED if f in event]
    assert len(checked) >= 4
    for field in checked:
        assert str(result[AGREED[field]]) == str(stored[AGREED[field]]), field


def test_at_least_five_stored_sysmon_documents() -> None:
    assert len(_documents()) >= 5


def test_findings_doc_is_current() -> None:
    findings = pipeline_findings.projection_findings(_documents())
    source = f"`{DOCUMENTS.relative_to(ROOT).as_posix()}`"
    expected = pipeline_findings.findings_markdown(findings, source)
    assert (ROOT / "docs/parity-findings.md").read_text(encoding="utf-8") == expected


def test_a_wrong_mapping_becomes_a_finding() -> None:
    """Negative control: a document that stores Image elsewhere yields a finding for Image."""
    name, document = _documents()[0]
    moved = json.loads(json.dumps(document))
    moved["process"]["executable"] = "C:\\elsewhere.exe"
    findings = pipeline_findings.projection_findings([(name, moved)])
    assert any(f.field == "Image" and f.pipeline == "process.executable" for f in findings)


def test_bad_documents_file_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "docs.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(pipeline_findings.ConfigError, match=r"docs\.json"):
        pipeline_findings.load_documents(bad)
