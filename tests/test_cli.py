"""The convert and targets commands: outputs, layouts, exit codes and error messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from converter import cli
from converter.targets import TARGETS

FSUTIL = r"""
title: fsutil symlink evaluation
id: 5d4e1c3a-9b8f-4e2d-8c7b-6a5f4e3d2c1b
status: test
level: medium
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\fsutil.exe'
    CommandLine|contains|all: [behavior, SymlinkEvaluation]
  condition: selection
"""

KEYWORDS = """
title: keyword rule
id: 0a6a3c64-7d52-4a40-9c4c-0d7e2b1f1a11
logsource: {product: windows, service: system}
detection:
  keywords: [mimikatz]
  condition: keywords
"""

UNDEFINED = """
title: broken condition
id: 1b7b4d75-8e63-4b51-8d5d-1e8f3c2a2b22
logsource: {product: windows, category: process_creation}
detection:
  selection: {Image: x}
  condition: selection and missing
"""

# No ECS pipeline covers Linux process creation, so its fields pass through unmapped.
UNKNOWN_FIELD = """
title: an unmapped field
id: 2c8c5e86-9f74-4c62-9e6e-2f904d3b3c33
logsource: {product: linux, category: process_creation}
detection:
  selection: {NoSuchField: x}
  condition: selection
"""


@pytest.fixture(autouse=True)
def _outside_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a folder without pyproject.toml, so project defaults do not apply."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("target", list(TARGETS), ids=list(TARGETS))
def test_each_target_converts_to_stdout(write_rule, target: str) -> None:  # type: ignore[no-untyped-def]
    path = write_rule("fsutil.yml", FSUTIL)
    result = run("convert", "-t", target, str(path))
    assert result.exit_code == 0, result.output
    # parity may spell a value as a case-folded regexp: look for the field, not the words
    assert any(f in result.stdout for f in ("CommandLine", "process.command_line"))
    assert f"{target}: 1 converted, 0 unsupported, 0 errors" in result.stderr


def test_query_file_has_one_line_per_rule(write_rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_rule("a.yml", FSUTIL)
    write_rule("b.yml", FSUTIL.replace("5d4e1c3a", "6e5f2d4b"))
    out = tmp_path / "out.spl"
    result = run("convert", "-t", "splunk", str(tmp_path / "rules"), "-o", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]


def test_bad_rule_does_not_stop_the_batch(write_rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_rule("a_bad.yml", "title: [unclosed\n")
    write_rule("b_undefined.yml", UNDEFINED)
    write_rule("c_good.yml", FSUTIL)
    out = tmp_path / "out.lucene"
    result = run("convert", "-t", "lucene", str(tmp_path / "rules"), "-o", str(out))
    assert result.exit_code == 1
    assert "process.command_line" in out.read_text()  # the good rule was converted
    errors = [line for line in result.stderr.splitlines() if "error [lucene]" in line]
    assert len(errors) == 2
    assert errors[0].startswith(str(tmp_path / "rules" / "a_bad.yml") + ":2: error")
    assert "b_undefined.yml" in errors[1] and "missing" in errors[1]
    assert "Traceback" not in result.output


def test_unsupported_fails_unless_skipped(write_rule) -> None:  # type: ignore[no-untyped-def]
    path = write_rule("kw.yml", KEYWORDS)
    failing = run("convert", "-t", "eql", str(path))
    assert failing.exit_code == 1
    assert "unsupported [eql]: keyword (full-text) search" in failing.stderr
    skipped = run("convert", "-t", "eql", "--skip-unsupported", str(path))
    assert skipped.exit_code == 0 and skipped.stdout == ""


USAGE_ERRORS = {
    "all-without-output": ["convert", "-t", "all", "RULE"],
    "unknown-target": ["convert", "-t", "nosuch", "RULE"],
    "format-of-other-target": ["convert", "-t", "eql", "-f", "savedsearches", "RULE"],
    "missing-path": ["convert", "-t", "splunk", "/no/such/rules"],
    "unknown-pipeline": ["convert", "-t", "splunk", "-p", "no_such_pipeline", "RULE"],
}


@pytest.mark.parametrize("args", USAGE_ERRORS.values(), ids=list(USAGE_ERRORS))
def test_usage_errors_exit_2(write_rule, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    path = write_rule("fsutil.yml", FSUTIL)
    result = run(*[str(path) if a == "RULE" else a for a in args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_all_targets_write_the_outputs_layout(write_rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_rule("fsutil.yml", FSUTIL)
    write_rule("kw.yml", KEYWORDS)
    out = tmp_path / "out"
    (out / "eql").mkdir(parents=True)
    (out / "eql" / "stale.eql").write_text("left over from a rule that is gone")
    result = run(
        "convert", "-t", "all", "--skip-unsupported", str(tmp_path / "rules"), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    for key, target in TARGETS.items():
        ext = target.format(None).extension
        assert (out / key / f"fsutil.{ext}").is_file()
        assert (out / key / "UNSUPPORTED.md").is_file()
    assert not (out / "eql" / "stale.eql").exists()
    assert not (out / "eql" / "kw.eql").exists()
    assert "kw" in (out / "eql" / "UNSUPPORTED.md").read_text()


def test_json_report(write_rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_rule("fsutil.yml", FSUTIL)
    write_rule("unmapped.yml", UNKNOWN_FIELD)
    report = tmp_path / "report.json"
    result = run("convert", "-t", "lucene", str(tmp_path / "rules"), "--json-report", str(report))
    assert result.exit_code == 0, result.output
    doc = json.loads(report.read_text())
    assert doc["summary"]["by_target"] == {"lucene": {"converted": 2, "unsupported": 0, "error": 0}}
    rows = {row["title"]: row for row in doc["rules"]}
    assert set(rows["fsutil symlink evaluation"]) == {
        "path",
        "line",
        "id",
        "title",
        "target",
        "status",
        "message",
        "query",
        "warnings",
    }
    assert rows["fsutil symlink evaluation"]["warnings"] == []
    (warning,) = rows["an unmapped field"]["warnings"]
    assert warning["cause"] == "unmapped-field" and warning["direction"] == "under-match"
    assert "NoSuchField" in warning["message"]


def test_strict_turns_warnings_into_failures(write_rule) -> None:  # type: ignore[no-untyped-def]
    path = write_rule("unmapped.yml", UNKNOWN_FIELD)
    assert run("convert", "-t", "eql", str(path)).exit_code == 0
    strict = run("convert", "-t", "eql", "--strict", str(path))
    assert strict.exit_code == 1 and "--strict: unmapped-field" in strict.stderr


def test_same_stem_twice_is_an_error_not_an_overwrite(write_rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_rule("a/dup.yml", FSUTIL)
    write_rule("b/dup.yml", FSUTIL.replace("5d4e1c3a", "6e5f2d4b"))
    result = run("convert", "-t", "all", str(tmp_path / "rules"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "output name 'dup' is already taken" in result.stderr


def test_parallel_and_serial_runs_agree(write_rule, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for i in range(30):  # above the threshold where worker processes start
        write_rule(f"r{i:02}.yml", FSUTIL.replace("fsutil symlink", f"rule {i}"))
    rules = str(tmp_path / "rules")
    serial = run("convert", "-t", "esql", "--jobs", "1", rules)
    parallel = run("convert", "-t", "esql", "--jobs", "2", rules)
    assert serial.exit_code == parallel.exit_code == 0
    assert serial.stdout == parallel.stdout and serial.stdout.count("\n") == 30


def test_convert_shortcut_is_sigma_parity_convert(
    write_rule, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    path = write_rule("fsutil.yml", FSUTIL)
    monkeypatch.setattr(sys, "argv", ["convert", "-t", "splunk", str(path)])
    with pytest.raises(SystemExit) as shortcut:
        cli.convert_main()
    assert shortcut.value.code == 0
    assert capsys.readouterr().out == run("convert", "-t", "splunk", str(path)).stdout


def test_targets_lists_every_target_and_format() -> None:
    result = run("targets")
    assert result.exit_code == 0
    for key, target in TARGETS.items():
        assert key in result.stdout
        for name in target.formats:
            assert name in result.stdout


CORRELATION = """
title: failed logon
id: 3d9d6f97-a085-4d73-8f7f-3a0a5e4c4d44
name: failed_logon
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
---
title: many failed logons from one source
id: 4eae7a08-b196-4e84-9a8a-4b1b6f5d5e55
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition: {gte: 10}
"""


def test_correlation_converts_where_the_backend_can(write_rule) -> None:  # type: ignore[no-untyped-def]
    path = write_rule("brute.yml", CORRELATION)
    splunk = run("convert", "-t", "splunk", str(path))
    assert splunk.exit_code == 0, splunk.output
    assert "stats" in splunk.stdout and "IpAddress" in splunk.stdout
    lucene = run("convert", "-t", "lucene", "--skip-unsupported", str(path))
    assert lucene.exit_code == 0
    assert "unsupported [lucene]: correlation rules" in lucene.stderr
