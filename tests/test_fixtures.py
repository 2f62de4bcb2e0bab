"""The fixture-file loader: the DESIGN.md "Fixture format" and every error it reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from converter.errors import ConfigError
from converter.fixtures import FixtureError, FixtureEvent, load_fixtures

RULE = "c0b2768a-dd06-4671-8339-b16ca8d1f27f"

# The example of DESIGN.md "Fixture format", with the second event made concrete.
DESIGN_EXAMPLE = f"""\
rule: {RULE}   # a rule id, or a list of ids
events:
  - name: fsutil enables remote-to-local symlink evaluation
    match: true
    event:
      EventID: 1
      Channel: Microsoft-Windows-Sysmon/Operational
      Image: C:\\Windows\\System32\\cmd.exe
      OriginalFileName: Cmd.Exe
      CommandLine: cmd.exe /c "fsutil behavior set SymlinkEvaluation R2L:1"
  - name: same command, but only querying
    match: false
    event:
      EventID: 1
      CommandLine: fsutil behavior query SymlinkEvaluation
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_design_example(tmp_path: Path) -> None:
    path = write(tmp_path, "fsutil.yml", DESIGN_EXAMPLE)
    first, second = load_fixtures([tmp_path])
    assert first == FixtureEvent(
        name="fsutil enables remote-to-local symlink evaluation",
        event={
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Image": "C:\\Windows\\System32\\cmd.exe",
            "OriginalFileName": "Cmd.Exe",
            "CommandLine": 'cmd.exe /c "fsutil behavior set SymlinkEvaluation R2L:1"',
        },
        match=True,
        rule_ids=(RULE,),
        origin=str(path),
    )
    assert (second.name, second.match) == ("same command, but only querying", False)


def test_documents_lists_of_ids_and_oracle_verdicts(tmp_path: Path) -> None:
    write(tmp_path, "a/one.yaml", "rule: [r1, r2]\nevents:\n  - {name: e, event: {X: 1}}\n")
    write(tmp_path, "b/two.yml", "rule: r3\nevents: [{name: e, event: {X: 2}}]\n---\n")
    write(tmp_path, "b/notes.txt", "not a fixture")
    events = load_fixtures([tmp_path])
    assert [(e.rule_ids, e.match) for e in events] == [(("r1", "r2"), None), (("r3",), None)]


def test_a_file_may_be_given_directly(tmp_path: Path) -> None:
    path = write(tmp_path, "one.yml", "rule: r\nevents: [{name: e, event: {X: 1}}]\n")
    assert len(load_fixtures([path])) == 1


def test_values_stay_as_the_log_holds_them(tmp_path: Path) -> None:
    # A YAML 1.1 timestamp would otherwise turn into a datetime, which no log field is.
    text = "rule: r\nevents:\n  - name: e\n    event: {UtcTime: 2024-01-02 10:00:00, Ids: [1, 2]}\n"
    write(tmp_path, "t.yml", text)
    (event,) = load_fixtures([tmp_path])
    assert event.event == {"UtcTime": "2024-01-02 10:00:00", "Ids": [1, 2]}


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file or directory"):
        load_fixtures([tmp_path / "absent"])


ERRORS = {
    "yaml syntax": ("rule: r\nevents: [\n", r"f\.yml:3: invalid YAML"),
    "document not a mapping": ("- 1\n", r"f\.yml: document 1: a list, not a mapping"),
    "unknown document key": (
        "rule: r\nevent: []\n",
        r"document 1: unknown key\(s\) event \(allowed: rule, events\)",
    ),
    "missing rule": ("events: [{name: e, event: {X: 1}}]\n", r"document 1: missing 'rule'"),
    "empty rule list": ("rule: []\nevents: [{name: e, event: {X: 1}}]\n", "'rule' must be"),
    "rule not a string": ("rule: {a: 1}\nevents: [{name: e, event: {X: 1}}]\n", "'rule' must"),
    "no events": ("rule: r\n", "document 1: 'events' must be a non-empty list"),
    "events not a list": ("rule: r\nevents: {name: e}\n", "'events' must be a non-empty list"),
    "event not a mapping": ("rule: r\nevents:\n  - just text\n", r"f\.yml:3: document 1, event 1"),
    "missing name": ("rule: r\nevents:\n  - event: {X: 1}\n", r"event 1: missing 'name'"),
    "empty name": ("rule: r\nevents:\n  - {name: ' ', event: {X: 1}}\n", "missing 'name'"),
    "missing event": ("rule: r\nevents:\n  - name: e\n", r"event 1: missing 'event'"),
    "empty event": ("rule: r\nevents:\n  - {name: e, event: {}}\n", "missing 'event'"),
    "match not bool": (
        "rule: r\nevents:\n  - {name: e, match: 1, event: {X: 1}}\n",
        "'match' must be true or false, not 1",
    ),
    "match null": (
        "rule: r\nevents:\n  - {name: e, match: null, event: {X: 1}}\n",
        "'match' must be true or false, not None",
    ),
    "unknown event key": (
        "rule: r\nevents:\n  - {name: e, matches: true, event: {X: 1}}\n",
        r"event 1: unknown key\(s\) matches",
    ),
    "nested value": (
        "rule: r\nevents:\n  - {name: e, event: {X: {Y: 1}}}\n",
        "field 'X': events are flat",
    ),
    "non-string field": ("rule: r\nevents:\n  - {name: e, event: {1: x}}\n", "field name 1"),
    "second document, second event": (
        "rule: r\nevents: [{name: a, event: {X: 1}}]\n---\nrule: s\nevents:\n"
        "  - {name: a, event: {X: 1}}\n  - {name: b}\n",
        r"f\.yml:7: document 2, event 2: missing 'event'",
    ),
    "duplicate name within a rule": (
        "rule: r\nevents:\n  - {name: a, event: {X: 1}}\n  - {name: a, event: {X: 2}}\n",
        r"document 1, event 2: duplicate event name 'a' for rule r \(first in .*event 1\)",
    ),
}


@pytest.mark.parametrize(("text", "message"), list(ERRORS.values()), ids=list(ERRORS))
def test_errors_name_file_document_and_event(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "f.yml", text)
    with pytest.raises(FixtureError, match=message) as caught:
        load_fixtures([tmp_path])
    assert str(caught.value).startswith(str(tmp_path / "f.yml"))
    assert "\n" not in str(caught.value)


def test_same_name_for_different_rules_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "rule: r\nevents: [{name: a, event: {X: 1}}]\n")
    write(tmp_path, "b.yml", "rule: s\nevents: [{name: a, event: {X: 1}}]\n")
    assert len(load_fixtures([tmp_path])) == 2


def test_duplicate_across_files_names_both(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "rule: r\nevents: [{name: a, event: {X: 1}}]\n")
    write(tmp_path, "b.yml", "rule: [s, r]\nevents: [{name: a, event: {X: 1}}]\n")
    with pytest.raises(FixtureError, match=r"b\.yml: document 1, event 1: .*first in .*a\.yml"):
        load_fixtures([tmp_path])


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_bytes(b"rule: \xff\n")
    with pytest.raises(FixtureError, match=r"bad\.yml: cannot read fixture file"):
        load_fixtures([tmp_path])
