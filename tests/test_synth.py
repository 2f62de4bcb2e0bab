"""Synthesized fixtures (issue 5): witnesses and near misses per rule, checked independently.

Expected verdicts are not taken from the generator: every synthesized event is also run through
the python target's emitted predicate (its own runtime, sharing no code with the oracle), and
each row states by hand which kind of event the rule must get (a case variant, a value just
outside a CIDR, a filter that fires, ...).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule

from converter.cli import cli
from converter.fixtures import FixtureEvent, load_fixtures
from converter.synth import synthesize
from converter.synth.regex import samples

RULE_ID = "5d7ab1f6-1a0b-4c3e-9d8e-0000000000a1"
Check = Callable[[list[FixtureEvent]], bool]


def rule(
    detection: str, condition: str = "sel", logsource: str = "{product: windows}"
) -> SigmaRule:
    body = textwrap.indent(textwrap.dedent(detection).strip("\n"), "  ")
    text = (
        f"title: synthesized\nid: {RULE_ID}\nlogsource: {logsource}\ndetection:\n{body}\n"
        f"  condition: {json.dumps(condition)}\n"
    )
    parsed = SigmaCollection.from_yaml(text).rules[0]
    assert isinstance(parsed, SigmaRule)
    return parsed


def some(match: bool, field: str, test: Callable[[Any], bool]) -> Check:
    """Some event with this verdict whose field passes the test (ABSENT: missing field)."""
    return lambda events: any(e.match is match and test(e.event.get(field, ABSENT)) for e in events)


ABSENT = object()


def text(test: Callable[[str], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and test(value)


ROWS = [
    pytest.param(
        "sel:\n  Image|endswith: '\\cmd.exe'",
        "sel",
        [
            some(True, "Image", text(lambda v: v.lower().endswith("\\cmd.exe") and v != v.lower())),
            some(False, "Image", text(lambda v: v.lower().endswith("\\cmd.exex"))),
            some(False, "Image", lambda v: v is ABSENT),
        ],
        id="endswith: case variant, one char past the end, missing field",
    ),
    pytest.param(
        "sel:\n  CommandLine|cased: 'RunDLL32'",
        "sel",
        [
            some(True, "CommandLine", text(lambda v: v == "RunDLL32")),
            some(False, "CommandLine", text(lambda v: v == "rUNdll32")),
        ],
        id="cased: the other case is a near miss",
    ),
    pytest.param(
        "sel:\n  CommandLine|contains: ' -enc '",
        "sel",
        [some(False, "CommandLine", text(lambda v: " /enc " in v))],
        id="a dash the rule does not allow (no windash)",
    ),
    pytest.param(
        "sel:\n  CommandLine|windash|contains: ' -enc '",
        "sel",
        [
            some(True, "CommandLine", text(lambda v: " /enc " in v.lower())),
            some(True, "CommandLine", text(lambda v: " -enc " in v.lower())),
        ],
        id="windash: each dash variant is a witness",
    ),
    pytest.param(
        "sel:\n  DestinationIp|cidr: '10.1.0.0/16'",
        "sel",
        [
            some(True, "DestinationIp", text(lambda v: v.startswith("10.1."))),
            some(False, "DestinationIp", text(lambda v: v in ("10.2.0.0", "10.0.255.255"))),
        ],
        id="cidr: inside, and just outside",
    ),
    pytest.param(
        "sel:\n  Count|gt: 10",
        "sel",
        [some(True, "Count", lambda v: v == 11), some(False, "Count", lambda v: v == 10)],
        id="gt: either side of the bound",
    ),
    pytest.param(
        "sel:\n  Count|lte: 3",
        "sel",
        [some(True, "Count", lambda v: v == 3), some(False, "Count", lambda v: v == 4)],
        id="lte: either side of the bound",
    ),
    pytest.param(
        "sel:\n  Image|endswith: '\\a.exe'\nfilter:\n  CommandLine|contains: 'safe'",
        "sel and not filter",
        [
            some(True, "CommandLine", lambda v: v is ABSENT),
            some(False, "CommandLine", text(lambda v: "safe" in v.lower())),
        ],
        id="a filter that fires suppresses the match",
    ),
    pytest.param(
        "sel:\n  CommandLine|base64offset|contains: 'http'",
        "sel",
        [some(True, "CommandLine", text(lambda v: v in ("aHR0c", "h0dH", "odHRw")))],
        id="base64offset: an encoded offset is a witness",
    ),
    pytest.param(
        "sel:\n  ScriptBlockText|re: '^\\s*Set-Alias\\s+\\S+\\s+iex$'",
        "sel",
        [
            some(True, "ScriptBlockText", text(lambda v: v.startswith("Set-Alias "))),
            some(False, "ScriptBlockText", text(lambda v: v.startswith("sET-aLIAS"))),
        ],
        id="regex: a witness and a case near miss (|re is case-sensitive)",
    ),
    pytest.param(
        "sel:\n  User: null",
        "sel",
        [some(True, "User", lambda v: v is ABSENT), some(False, "User", lambda v: v == "-")],
        id="null: absent is a witness, present a near miss",
    ),
    pytest.param(
        "sel:\n  Image|endswith: '\\a.exe'\n  User|fieldref: ParentUser",
        "sel",
        [
            some(True, "User", text(lambda v: v.startswith("sigma-parity"))),
            some(False, "User", text(lambda v: v.endswith("-other"))),
        ],
        id="fieldref: equal to the other field, then different",
    ),
    pytest.param(
        "keywords:\n  - 'rm -rf /'",
        "keywords",
        [some(True, "message", text(lambda v: "rm -rf /" in v.lower()))],
        id="keyword: the value in the message field",
    ),
    pytest.param(
        "sel:\n  Image|endswith: '\\a?.exe'",
        "sel",
        [
            some(True, "Image", text(lambda v: v.lower().endswith("\\ak.exe"))),
            some(False, "Image", text(lambda v: v.lower().endswith("\\a.exe"))),
        ],
        id="'?' needs exactly one character",
    ),
]


@pytest.mark.parametrize(("detection", "condition", "checks"), ROWS)
def test_rule_gets_the_events_it_needs(detection: str, condition: str, checks: list[Check]) -> None:
    found = synthesize(rule(detection, condition))
    assert not found.problems
    for n, check in enumerate(checks):
        assert check(found.events), f"check {n} found no such event in {found.events}"


@pytest.mark.parametrize(("detection", "condition", "checks"), ROWS)
def test_events_agree_with_the_python_target(
    detection: str, condition: str, checks: list[Check], tmp_path: Path
) -> None:
    """The python target evaluates the same events with its own runtime."""
    path = tmp_path / "rule.yml"
    path.write_text(
        f"title: synthesized\nid: {RULE_ID}\nlogsource: {{product: windows}}\ndetection:\n"
        + textwrap.indent(textwrap.dedent(detection).strip("\n"), "  ")
        + f"\n  condition: {json.dumps(condition)}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(path),
            "--synthesize",
            "--targets",
            "python",
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert result.exit_code == 0, result.output
    assert summary["by_target"]["python"]["agree"] == summary["events"] > 0


def test_every_selection_is_covered_within_the_bound() -> None:
    values = "\n".join(f"    - 'value{i:03}'" for i in range(300))
    detection = (
        f"sel_a:\n  CommandLine|contains:\n{values}\nsel_b:\n  ParentImage|endswith: '\\p.exe'"
    )
    found = synthesize(rule(detection, "1 of sel_*"), max_events=10)
    assert len(found.events) <= 10
    assert some(True, "CommandLine", text(lambda v: "value" in v))(found.events)
    assert some(True, "ParentImage", text(lambda v: v.lower().endswith("\\p.exe")))(found.events)


def test_generation_is_deterministic() -> None:
    detection = (
        "sel:\n  Image|endswith:\n    - '\\a.exe'\n    - '\\b.exe'\n"
        "  CommandLine|contains|all: [x, y]"
    )
    first = synthesize(rule(detection))
    second = synthesize(rule(detection))
    assert [(e.name, e.event, e.match) for e in first.events] == [
        (e.name, e.event, e.match) for e in second.events
    ]


def test_logsource_system_fields_are_set() -> None:
    found = synthesize(
        rule("sel:\n  Image: x", logsource="{category: process_creation, product: windows}")
    )
    assert all(e.event.get("EventID") == 1 for e in found.events)
    assert all(
        e.event.get("Channel") == "Microsoft-Windows-Sysmon/Operational" for e in found.events
    )


def test_contradictory_rule_gets_only_negatives_and_a_note() -> None:
    found = synthesize(rule("sel:\n  CommandLine: 'abc'\n  CommandLine|contains: 'xyz'"))
    assert found.notes and not found.problems
    assert found.events and all(e.match is False for e in found.events)


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [
        (r"^\s*(Set-Alias|sal)\s+\S+$", 0),
        (r"[a-f0-9]{32}", 0),
        (r"(?P<n>ab)(?P=n)", 0),
        (r"\bx\b", 2),
    ],
)
def test_regex_samples_match(pattern: str, flags: int) -> None:
    import re

    found = samples(pattern, flags)
    assert found and all(re.search(pattern, s, flags) for s in found)


def test_fixtures_command_writes_loadable_files(tmp_path: Path) -> None:
    rules = Path(__file__).resolve().parent.parent / "rules"
    out = tmp_path / "fixtures"
    result = CliRunner().invoke(cli, ["fixtures", str(rules), "-o", str(out)])
    assert result.exit_code == 0, result.output
    loaded = load_fixtures([out])
    ids = {rid for e in loaded for rid in e.rule_ids or ()}
    assert len(ids) >= 40 and all(
        len([e for e in loaded if rid in (e.rule_ids or ())]) <= 24 for rid in ids
    )
    first = yaml.safe_load_all(next(out.glob("*.yml")).read_text(encoding="utf-8"))
    assert all({"rule", "events"} <= set(doc) for doc in first)


def test_fixtures_command_reports_a_bad_rule_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "in" / "good.yml"
    good.parent.mkdir()
    good.write_text(
        f"title: g\nid: {RULE_ID}\nlogsource: {{product: windows}}\ndetection:\n"
        "  sel:\n    Image: x\n  condition: sel\n",
        encoding="utf-8",
    )
    (tmp_path / "in" / "bad.yml").write_text("title: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["fixtures", str(tmp_path / "in"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "bad.yml" in result.output and "Traceback" not in result.output
    assert (tmp_path / "o" / "good.yml").is_file() and not (tmp_path / "o" / "bad.yml").exists()


@pytest.mark.shared
def test_sigmahq_corpus_fixtures_pass_their_intent(shared: Path, tmp_path: Path) -> None:
    """Every SigmaHQ rule gets fixtures, and no generated event misses its own intent."""
    root = Path(__file__).resolve().parent.parent
    result = CliRunner().invoke(
        cli,
        [
            "fixtures",
            str(shared / "sigmahq" / "rules"),
            "-o",
            str(tmp_path),
            "-p",
            str(root / "pipelines" / "placeholders.yml"),
        ],
    )
    assert result.exit_code == 0, result.output[-2000:]
    assert len(list(tmp_path.glob("*.yml"))) >= 3141
