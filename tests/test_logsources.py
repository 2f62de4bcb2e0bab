"""Logsource selection: which events a rule sees, as pySigma's sysmon and windows pipelines say.

Expected EventIDs and channels are those the pipelines document: sysmon_pipeline maps
process_creation to Sysmon EventID 1 and file_event to 11; windows_audit_pipeline maps
process_creation to Security 4688 and registry_set to 4657 with OperationType "Existing registry
value modified"; windows_logsource_pipeline maps services to channels (sigma.pipelines.common).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sigma.pipelines.sysmon.sysmon import sysmon_generic_logsource_eventid_mapping
from sigma.rule import SigmaLogSource, SigmaRule

from converter.logsources import LogsourceFilter
from converter.regression import load_regression

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def rule(**logsource: str) -> SigmaRule:
    return SigmaRule.from_dict(
        {
            "title": "t",
            "logsource": logsource,
            "detection": {"sel": {"Image|endswith": "\\cmd.exe"}, "condition": "sel"},
        }
    )


def event(event_id: Any, channel: str, **fields: Any) -> dict[str, Any]:
    return {"EventID": event_id, "Channel": channel, "Image": "C:\\cmd.exe", **fields}


PROCESS_CREATION = {"category": "process_creation", "product": "windows"}
CASES: dict[str, tuple[dict[str, str], dict[str, Any], bool]] = {
    "process_creation sees Sysmon 1": (PROCESS_CREATION, event(1, SYSMON), True),
    "process_creation sees Security 4688": (PROCESS_CREATION, event(4688, "Security"), True),
    "process_creation ignores Sysmon 11 with Image": (PROCESS_CREATION, event(11, SYSMON), False),
    "process_creation ignores Sysmon 1 on another channel": (
        PROCESS_CREATION,
        event(1, "Security"),
        False,
    ),
    "EventID as a string": (PROCESS_CREATION, event("4688", "Security"), True),
    "channel in lower case": (PROCESS_CREATION, event(4688, "security"), True),
    "list value matches when any element does": (
        PROCESS_CREATION,
        event([4624, 4688], "Security"),
        True,
    ),
    "event without EventID": (PROCESS_CREATION, {"Channel": SYSMON, "Image": "x"}, False),
    "file_event sees Sysmon 11": (
        {"category": "file_event", "product": "windows"},
        event(11, SYSMON),
        True,
    ),
    "file_event has no Security counterpart": (
        {"category": "file_event", "product": "windows"},
        event(4688, "Security"),
        False,
    ),
    "service security sees any Security event": (
        {"product": "windows", "service": "security"},
        event(4624, "Security"),
        True,
    ),
    "service security ignores Sysmon": (
        {"product": "windows", "service": "security"},
        event(1, SYSMON),
        False,
    ),
    "ps_script sees PowerShellCore 4104": (
        {"category": "ps_script", "product": "windows"},
        event(4104, "PowerShellCore/Operational"),
        True,
    ),
    "registry_set 4657 needs the operation type": (
        {"category": "registry_set", "product": "windows"},
        event(4657, "Security", OperationType="New registry value created"),
        False,
    ),
    "registry_set 4657 modified value": (
        {"category": "registry_set", "product": "windows"},
        event(4657, "Security", OperationType="Existing registry value modified"),
        True,
    ),
    "unmapped windows category sees all": (
        {"category": "antivirus", "product": "windows"},
        event(1116, "Microsoft-Windows-Windows Defender/Operational"),
        True,
    ),
    "linux sees all": (
        {"category": "process_creation", "product": "linux"},
        event(1, SYSMON),
        True,
    ),
    "product-less category sees all": ({"category": "webserver"}, {"cs-uri-query": "x"}, True),
}


@pytest.mark.parametrize(("logsource", "evt", "sees"), list(CASES.values()), ids=list(CASES))
def test_rule_sees(logsource: dict[str, str], evt: dict[str, Any], sees: bool) -> None:
    assert LogsourceFilter.for_rule(rule(**logsource))(evt) is sees


def test_unmapped_logsource_says_so() -> None:
    selector = LogsourceFilter.for_rule(rule(product="linux", category="process_creation"))
    assert selector.selects_all
    assert selector.describe() == "every event"


def test_rule_without_logsource_sees_all() -> None:
    assert LogsourceFilter.for_rule(object())({"EventID": 1})


@pytest.mark.parametrize("category", sorted(sysmon_generic_logsource_eventid_mapping))
def test_every_sysmon_category(category: str) -> None:
    """Each category of the sysmon pipeline's published table selects its EventIDs on Sysmon
    (values as the pipeline spells them; events are matched case-insensitively)."""
    ids = sysmon_generic_logsource_eventid_mapping[category]
    expected = (
        ("Channel", frozenset({SYSMON})),
        ("EventID", frozenset(str(i) for i in (ids if isinstance(ids, list) else [ids]))),
    )
    selector = LogsourceFilter().select(SigmaLogSource(category=category, product="windows"))
    assert expected in selector.alternatives


def test_selectors_are_cached_per_logsource() -> None:
    source = LogsourceFilter()
    first = source.select(SigmaLogSource(category="process_creation", product="windows"))
    assert source.select(SigmaLogSource(category="Process_Creation", product="Windows")) is first


@pytest.mark.shared
def test_regression_events_belong_to_their_rules_logsource(shared: Path) -> None:
    """SigmaHQ recorded each regression event for the rule its info.yml names, so the rule's
    logsource, as the pipelines map it, must select every one of them (measured: 222 of 222)."""
    data = load_regression(shared / "sigmahq")
    wanted = {rule_id for entry in data.entries for rule_id in entry.rule_ids}
    rules: dict[str, SigmaRule] = {}
    for path in (shared / "sigmahq" / "rules").rglob("*.yml"):
        text = path.read_text(encoding="utf-8")
        if any(rule_id in text for rule_id in wanted):
            parsed = SigmaRule.from_yaml(text)
            rules[str(parsed.id)] = parsed
    outside = [
        event.name
        for event in data.events
        for rule_id in event.rule_ids or ()
        if not LogsourceFilter.for_rule(rules[rule_id])(event.event)
    ]
    assert outside == []


def test_security_4688_is_read_in_the_rules_field_names() -> None:
    """windows-audit maps process_creation's Image/ParentImage to NewProcessName/ParentProcessName;
    the rule's meaning for a 4688 event reads the event through that mapping."""
    from sigma.collection import SigmaCollection

    from converter.logsources import sigma_view

    (rule,) = SigmaCollection.from_yaml(
        "title: t\nlogsource: {product: windows, category: process_creation}\n"
        "detection:\n  s: {Image|endswith: '\\\\sc.exe', ParentImage|endswith: '\\\\cmd.exe'}\n"
        "  condition: s\n"
    ).rules
    audit = {
        "EventID": "4688",
        "Channel": "Security",
        "NewProcessName": "C:\\W\\sc.exe",
        "ParentProcessName": "C:\\W\\cmd.exe",
    }
    view = sigma_view(rule, audit)
    assert view["Image"] == "C:\\W\\sc.exe" and view["ParentImage"] == "C:\\W\\cmd.exe"
    sysmon = {
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "NewProcessName": "C:\\W\\sc.exe",
    }
    assert sigma_view(rule, sysmon) is sysmon


def test_pipeline_discovery_leaves_the_sysmon_pipeline_intact() -> None:
    """pySigma's autodiscovery imports sigma.pipelines.test, which breaks the real sysmon pipeline
    for the whole process; our discovery must not, and must not offer test pipelines."""
    from sigma.collection import SigmaCollection

    from converter.pipelines import known_pipelines, resolve

    names = known_pipelines()
    assert {"sysmon", "windows-audit", "windows-logsources", "ecs_windows"} <= set(names)
    assert not any("test" in name.lower() for name in names)
    (probe,) = SigmaCollection.from_yaml(
        "title: t\nlogsource: {product: windows, category: process_creation}\n"
        "detection:\n  s: {Image: x}\n  condition: s\n"
    ).rules
    resolve(["sysmon"]).apply(probe)
    assert probe.logsource.service == "sysmon"
