"""sigma-parity check: the negative control (known stock divergences are caught) and reports.

Each rule below has one event on which a stock target is known to answer differently from the
Sigma rule (research/SEMANTICS.md §8): T1 (Lucene, KQL and ES|QL compare process.command_line
case-sensitively), T3 (Splunk widens Sigma's '?' to '*'), T12 (pySigma's EQL regex~ ignores
case where Sigma's |re does not). check must report each as a divergence with that cause, exit 1
while undeclared, and exit 0 once an exceptions file declares them.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from converter.cli import cli

SYSMON = {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"}

RULES = {
    "t1": ("a1b2c3d4-0000-4000-8000-000000000001", "CommandLine|contains: SymlinkEvaluation"),
    "t3": ("a1b2c3d4-0000-4000-8000-000000000003", "Image|endswith: '\\cm?.exe'"),
    "t12": ("a1b2c3d4-0000-4000-8000-000000000012", "CommandLine|re: Invoke-Mimikatz"),
}
EVENTS = {  # rule -> (event fields, what the Sigma rule means)
    "t1": ({"CommandLine": "fsutil behavior set symlinkevaluation R2L:1"}, True),
    "t3": ({"Image": "C:\\Windows\\System32\\cmdd.exe"}, False),
    "t12": ({"CommandLine": "invoke-mimikatz"}, False),
}
EXPECTED = {
    ("t1", "lucene"): "T1",
    ("t1", "kql"): "T1",
    ("t1", "esql"): "T1",
    ("t3", "splunk"): "T3",
    ("t12", "eql"): "T12",
}


def rule_text(key: str) -> str:
    rule_id, selection = RULES[key]
    return (
        f"title: negative control {key}\nid: {rule_id}\nstatus: test\n"
        "logsource: {product: windows, category: process_creation}\n"
        f"detection:\n  selection:\n    {selection}\n  condition: selection\n"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "fixtures").mkdir()
    for key in RULES:
        (tmp_path / "rules" / f"{key}.yml").write_text(rule_text(key))
        fields, match = EVENTS[key]
        fixture = {
            "rule": RULES[key][0],
            "events": [{"name": f"{key} event", "match": match, "event": {**SYSMON, **fields}}],
        }
        (tmp_path / "fixtures" / f"{key}.yml").write_text(json.dumps(fixture))
    return tmp_path


def check(*extra: str) -> Result:
    args = ["check", "rules", "--fixtures", "fixtures", "--profile", "stock", *extra]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_known_stock_divergences_are_caught(project: Path) -> None:
    result = check("--json", "out.json")
    assert result.exit_code == 1, result.output
    found = json.loads((project / "out.json").read_text())["divergences"]
    by_rule = {rule_id: key for key, (rule_id, _) in RULES.items()}
    seen = {(by_rule[d["rule_id"]], d["target"]): d["cause"] for d in found}
    for (key, target), trap in EXPECTED.items():
        assert seen.get((key, target), "").startswith(trap), (key, target, seen)


def test_declared_divergences_pass(project: Path) -> None:
    entries = [
        {"rule": "*", "target": t, "cause": trap, "profile": "stock", "reason": "negative control"}
        for (_, t), trap in EXPECTED.items()
    ]
    (project / "exceptions.yml").write_text(json.dumps(entries))
    result = check("--exceptions", "exceptions.yml", "--json", "out.json")
    report = json.loads((project / "out.json").read_text())
    assert report["divergences"] == [], report["divergences"]
    assert result.exit_code == 0, result.output
    assert len(report["declared"]) >= len(EXPECTED)


def test_reports_are_written_and_parse(project: Path) -> None:
    check("--json", "r.json", "--junit", "r.xml", "--html", "r.html")
    summary = json.loads((project / "r.json").read_text())["summary"]
    assert summary["rules"] == 3 and summary["events"] == 3
    assert set(summary["by_target"]) >= {"splunk", "lucene", "kql", "eql", "esql", "python"}
    suite = ET.parse(project / "r.xml").getroot()
    assert suite.tag == "testsuite" and int(suite.get("failures", "0")) >= len(EXPECTED)
    assert len(suite.findall("testcase")) == 3 * 6
    html = (project / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "negative control t1" in html


def test_fixture_naming_an_unloaded_rule_fails(project: Path) -> None:
    (project / "fixtures" / "stray.yml").write_text(
        json.dumps(
            {
                "rule": "ffffffff-0000-4000-8000-000000000000",
                "events": [{"name": "x", "match": False, "event": SYSMON}],
            }
        )
    )
    result = check("--exceptions", "/dev/null")
    assert result.exit_code == 1
    assert "stray.yml" in result.output and "not loaded" in result.output


def test_unknown_target_is_a_usage_error(project: Path) -> None:
    assert check("--targets", "splunk,nosuch").exit_code == 2
