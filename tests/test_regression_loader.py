"""SigmaHQ regression data: info.yml entries, the EVTX JSON rendering, and the flattening.

The synthetic cases follow the shapes SigmaHQ's regression_data uses (info.yml with rule_metadata
and regression_tests_info; JSON as evtx_dump renders an EVTX record); the shared-marked tests
load the whole folder and check the flattening against the rules each info.yml names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from converter.fixtures import FixtureError
from converter.regression import RegressionData, flatten_evtx, load_regression

RULE = "13c02350-4177-4e45-ac17-cf7ca628ff5e"
SYSMON = "Microsoft-Windows-Sysmon"


def evtx(event_id: Any = 11, data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    system = {
        "Provider": {"#attributes": {"Name": SYSMON, "Guid": "5770385F"}},
        "EventID": event_id,
        "Channel": f"{SYSMON}/Operational",
        "Computer": "host",
        "EventRecordID": 7,
    }
    body = extra or {"EventData": data or {"Image": "C:\\a.exe"}}
    return {"Event": {"#attributes": {"xmlns": "x"}, "System": system, **body}}


SYSTEM = {
    "EventID": 11,
    "Channel": f"{SYSMON}/Operational",
    "Provider_Name": SYSMON,
    "Computer": "host",
}

FLATTEN = {
    "system and event data": (evtx(), {**SYSTEM, "Image": "C:\\a.exe"}),
    "EventID with attributes": (
        evtx({"#attributes": {"Qualifiers": 0}, "#text": 11}),
        {**SYSTEM, "Image": "C:\\a.exe"},
    ),
    "EventData attributes are not fields": (
        evtx(data={"#attributes": {"Name": "TaskDisabled"}, "TaskName": "\\SR"}),
        {**SYSTEM, "TaskName": "\\SR"},
    ),
    "spaces stripped from names": (
        evtx(data={"Threat Name": "Mimikatz"}),
        {**SYSTEM, "ThreatName": "Mimikatz"},
    ),
    "Data items by Name": (
        evtx(data={"Data": [{"#attributes": {"Name": "Target Object"}, "#text": "HKLM\\x"}]}),
        {**SYSTEM, "TargetObject": "HKLM\\x"},
    ),
    "unnamed Data items": (
        evtx(data={"Data": ["a", "b"]}),
        {**SYSTEM, "Data": ["a", "b"]},
    ),
    "UserData inner element's children": (
        evtx(UserData={"Operation_ClientFailure": {"#attributes": {}, "Operation": "x"}}),
        {**SYSTEM, "Operation": "x"},
    ),
}


@pytest.mark.parametrize(("raw", "flat"), list(FLATTEN.values()), ids=list(FLATTEN))
def test_flatten(raw: dict[str, Any], flat: dict[str, Any]) -> None:
    assert flatten_evtx(raw, Path("x.json")) == flat


def test_flatten_rejects_other_json() -> None:
    with pytest.raises(FixtureError, match=r"x\.json: not an EVTX rendering"):
        flatten_evtx({"EventID": 1}, Path("x.json"))


def make_entry(root: Path, name: str, info: str, json_text: str | None = None) -> Path:
    folder = root / "regression_data" / "rules" / name
    folder.mkdir(parents=True)
    (folder / "info.yml").write_text(info.replace("DIR", f"regression_data/rules/{name}"))
    if json_text is not None:
        (folder / f"{RULE}.json").write_text(json_text)
    return folder


INFO = f"""\
id: 61017761-38ab-4224-a43f-6cc53b67e374
rule_metadata:
    - id: {RULE}
      title: t
regression_tests_info:
    - name: Positive Detection Test
      type: evtx
      provider: Microsoft-Windows-Sysmon
      match_count: 2
      path: DIR/{RULE}.evtx
"""


def test_entry_with_objects_back_to_back(tmp_path: Path) -> None:
    text = json.dumps(evtx(), indent=2) + "\n" + json.dumps(evtx(1)) + json.dumps(evtx(2))
    make_entry(tmp_path, "a", INFO, text)
    data = load_regression(tmp_path)
    assert [e.name for e in data.events] == [f"rules/a/info.yml#{n}" for n in (1, 2, 3)]
    assert [e.event["EventID"] for e in data.events] == [11, 1, 2]
    assert {(e.match, e.rule_ids) for e in data.events} == {(None, (RULE,))}
    (entry,) = data.entries
    assert (entry.match_count, entry.events) == (2, tuple(e.name for e in data.events))


def test_regression_folder_itself_may_be_given(tmp_path: Path) -> None:
    make_entry(tmp_path, "a", INFO.replace("      match_count: 2\n", ""), json.dumps(evtx()))
    data = load_regression(tmp_path / "regression_data")
    assert [(e.info, e.match_count) for e in data.entries] == [("rules/a/info.yml", 1)]


HEAD, ENTRIES = INFO.split("regression_tests_info:\n")
COMMENTED = HEAD + "# regression_tests_info:\n" + "".join(
    f"#{line}\n" for line in ENTRIES.splitlines()
)
SKIPS = {
    "commented out": (COMMENTED, None, "commented out", "Positive Detection Test (evtx: "),
    "missing file": (INFO, None, "missing file", "no JSON beside regression_data/rules/a/"),
    "raw entry": (INFO.replace("type: evtx", "type: raw"), "{}", "not JSON", "type raw"),
    "no entries": (INFO.split("regression_tests_info")[0], None, "no entries", ""),
}


@pytest.mark.parametrize(
    ("info", "text", "reason", "detail"), list(SKIPS.values()), ids=list(SKIPS)
)
def test_skips(tmp_path: Path, info: str, text: str | None, reason: str, detail: str) -> None:
    make_entry(tmp_path, "a", info, text)
    data = load_regression(tmp_path)
    (skip,) = data.skipped
    assert (data.events, skip.info, skip.reason) == ([], "rules/a/info.yml", reason)
    assert detail in skip.detail


ERRORS = {
    "no rule_metadata": (INFO.replace("rule_metadata", "rules"), "{}", "missing 'rule_metadata'"),
    "bad match_count": (
        INFO.replace("match_count: 2", "match_count: x"),
        "{}",
        "entry 1: match_count must be a count",
    ),
    "invalid JSON": (INFO, json.dumps(evtx()) + '\n{"Event": ', r"\.json:2: invalid JSON"),
    "not EVTX JSON": (INFO, '{"EventID": 1}', r"\.json: not an EVTX rendering"),
    "invalid YAML": ("rule_metadata: [\n", None, r"info\.yml:2: invalid YAML"),
}


@pytest.mark.parametrize(("info", "text", "message"), list(ERRORS.values()), ids=list(ERRORS))
def test_errors(tmp_path: Path, info: str, text: str | None, message: str) -> None:
    make_entry(tmp_path, "a", info, text)
    with pytest.raises(FixtureError, match=message):
        load_regression(tmp_path)


def rule_fields(rules: Path, wanted: set[str]) -> dict[str, set[str]]:
    """Field names each wanted SigmaHQ rule's detection uses, by rule id."""
    found: dict[str, set[str]] = {}
    for path in rules.rglob("*.yml"):
        text = path.read_text(encoding="utf-8")
        if not any(rule_id in text for rule_id in wanted):
            continue  # parsing all ~3,000 rules would take seconds
        rule = yaml.safe_load(text)
        if rule.get("id") in wanted:
            found[rule["id"]] = {
                name.split("|")[0]
                for key, value in rule["detection"].items()
                if key != "condition"
                for item in (value if isinstance(value, list) else [value])
                if isinstance(item, dict)
                for name in item
            }
    return found


@pytest.fixture(scope="module")
def regression(shared: Path) -> RegressionData:
    return load_regression(shared / "sigmahq")


@pytest.mark.shared
def test_shared_regression_data(regression: RegressionData) -> None:
    """The shared snapshot: 193 info.yml files, one commented out (a Cisco .raw entry); 192
    entries give 222 events, some files holding up to 7 objects back to back."""
    data = regression
    assert (data.info_files, len(data.entries), len(data.events)) == (193, 192, 222)
    assert data.skips_by_reason() == {"commented out": 1}
    assert ".raw" in data.skipped[0].detail
    assert max(len(entry.events) for entry in data.entries) == 7
    assert all(len(entry.events) >= entry.match_count for entry in data.entries)
    assert len({event.name for event in data.events}) == len(data.events)


@pytest.mark.shared
def test_flattening_gives_the_fields_rules_use(shared: Path, regression: RegressionData) -> None:
    """Every field the rule of each entry tests appears in the entry's events."""
    data = regression
    wanted = {rule_id for entry in data.entries for rule_id in entry.rule_ids}
    fields = rule_fields(shared / "sigmahq" / "rules", wanted)
    assert set(fields) == wanted
    events = {event.name: event.event for event in data.events}
    for entry in data.entries:
        present = set().union(*(events[name] for name in entry.events))
        for rule_id in entry.rule_ids:
            assert fields[rule_id] <= present, (entry.info, fields[rule_id] - present)


@pytest.mark.shared
def test_known_flattened_values(regression: RegressionData) -> None:
    by_name = {event.name: event.event for event in regression.events}
    wmi = by_name[
        "rules/windows/builtin/wmi/win_wmi_activity_nteventlogfile_cleareventlog/info.yml#1"
    ]
    assert (wmi["EventID"], wmi["Channel"]) == (5858, "Microsoft-Windows-WMI-Activity/Operational")
    assert "cleareventlog" in wmi["Operation"]
    task = by_name[
        "rules/windows/builtin/taskscheduler/win_taskscheduler_susp_schtasks_delete_or_disable/info.yml#1"
    ]
    assert task["Provider_Name"] == "Microsoft-Windows-TaskScheduler"
    assert task["TaskName"] == "\\Microsoft\\Windows\\SystemRestore\\SR"
    assert "#attributes" not in task
