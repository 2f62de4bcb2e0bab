"""Malformed rule files (tests/malformed/): each fails alone, in one line, and the batch goes on.

DESIGN.md "convert exit codes": 1 when any rule failed to load or convert; errors are one line
each, naming the file (and line where known); no traceback without --verbose; a batch never
stops at one bad rule; a rule that fails leaves no output behind, and what is written is whole.

Every corpus file is one row of ``CASES``: its expected status per target and a substring of its
message, written from what the file breaks (the Sigma specification, YAML, UTF-8, or the target
language's documented limits), not copied from a run. The corpus goes through the real entry
point (``python -m converter``, as the ``sigma-parity`` script) once with ``convert -t all -o
DIR``, once with ``-t splunk -o FILE`` and once with ``check``; rows whose file still stops the
whole batch once are also run one at a time beside a good rule.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from converter import cli

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "malformed"
TARGETS = ("splunk", "lucene", "kql", "eql", "esql", "python")
SUFFIX = {"splunk": "spl", "lucene": "lucene", "kql": "kql", "eql": "eql", "esql": "esql"}
SUFFIX["python"] = "py"

GOOD = r"""
title: good rule in a bad batch
id: 3f6c8a52-0e0b-4b51-9a7e-0000000000ff
status: test
level: medium
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\fsutil.exe'
    CommandLine|contains: SymlinkEvaluation
  condition: selection
"""

# A 256 KiB detection value: huge (SigmaHQ's longest is far shorter), but a valid rule that
# every target converts whole. Conversion time is linear in it (2 MB takes 4-9 s per target).
HUGE = "A" * 256 * 1024
HUGE_RULE = f"""
title: huge value
id: 3f6c8a52-0e0b-4b51-9a7e-0000000000fe
logsource: {{product: windows, category: process_creation}}
detection:
  selection:
    CommandLine|contains: '{HUGE}'
  condition: selection
"""


@dataclass(frozen=True)
class Case:
    """One corpus file: what every target says about it."""

    file: str
    message: str | dict[str, str]  # substring of the message, for all targets or per target
    status: str | dict[str, str] = "error"  # for all targets, or per target
    line: int | None = None  # the line the error names, where the loader knows it

    def status_of(self, target: str) -> str:
        return self.status if isinstance(self.status, str) else self.status[target]

    def message_of(self, target: str) -> str:
        return self.message if isinstance(self.message, str) else self.message.get(target, "")

    @property
    def all_fail(self) -> bool:
        return all(self.status_of(t) != "converted" for t in TARGETS)


def per_target(default: str, **overrides: str) -> dict[str, str]:
    return {target: overrides.get(target, default) for target in TARGETS}


CASES = [
    # --- bytes and YAML: the loader ---
    Case("empty.yml", "empty file"),
    Case("binary.yml", "not UTF-8 text (byte 0)", line=1),
    Case("latin1.yml", "not UTF-8 text (byte 10)", line=1),  # "caf\xe9": é in Latin-1
    Case("invalid_yaml.yml", "invalid YAML", line=6),
    Case("deep_yaml_nesting.yml", "invalid YAML", line=7),  # the Image line
    Case("long_integer.yml", "invalid YAML: Exceeds the limit (4300 digits)"),
    Case("impossible_date.yml", "invalid YAML: month must be in 1..12"),
    Case("python_tag.yml", "invalid YAML: could not determine a constructor", line=7),
    Case("alias_bomb.yml", "expands to more than 1,000,000 YAML nodes"),
    Case("recursive_alias.yml", "contains itself (recursive alias)"),
    # --- Sigma structure: pySigma ---
    Case("no_detection.yml", "must have a detection"),
    Case("no_condition.yml", "must contain at least one condition"),
    Case("undefined_identifier.yml", "'filter_missing' not defined"),
    Case("condition_syntax.yml", "found '('"),
    Case("unknown_modifier.yml", "Unknown modifier 'endswithh'"),
    Case("bad_regex.yml", "Regular expression '(unclosed[group' is invalid"),
    Case("detection_is_string.yml", "detection must be a valid YAML map"),
    Case("title_is_list.yml", "title must be a string"),
    Case("value_is_mapping.yml", "Unsupported type"),
    Case("compare_with_text.yml", "incompatible to value type of 'many'"),
    Case("tags_not_a_list.yml", "tags fields must be a list"),
    Case("number_infinite.yml", "Invalid number"),
    # pySigma's condition parser recurses once per 'not'
    Case("deep_condition.yml", "maximum recursion depth"),
    # --- per target ---
    # A lookbehind is PCRE (Splunk's regex) and Python re; Lucene's RegExp has no lookaround and
    # KQL no regular expressions at all. The parity profile (the default) widens what a target
    # cannot say into a superset with an over-match warning, so every target converts it (stock:
    # EQL and ES|QL reject pySigma's pattern, KQL refuses it).
    Case("regex_lookbehind.yml", "", "converted"),
    # `|re: 5`: pySigma keeps the number; every target writes its text
    Case("regex_not_a_string.yml", "", "converted"),
    # --- files that once stopped the whole batch (also run one at a time, below) ---
    # pySigma reports an invalid level or status as a rule error ("... is not a valid Sigma rule
    # level"); for the other three it raises a bare AttributeError / UnboundLocalError with no
    # better text, so any one-line error naming the file will do ("").
    Case("level_unknown.yml", "level"),
    Case("status_unknown.yml", "status"),
    Case("id_not_a_string.yml", ""),
    Case("field_name_number.yml", ""),
    Case("correlation_unknown_type.yml", ""),
]
BATCH = CASES
IDS = [c.file for c in CASES]


def test_every_corpus_file_has_a_row() -> None:
    assert sorted(p.name for p in CORPUS.iterdir() if p.suffix == ".yml") == sorted(IDS)


# --- running the command line ------------------------------------------------------------------


@dataclass
class Outcome:
    """One run of the command line, with the paths it was given."""

    rules: Path
    out: Path
    returncode: int
    stderr: str
    stdout: str
    report: list[dict[str, Any]] = field(default_factory=list)

    def results(self, name: str) -> dict[str, dict[str, Any]]:
        found = {r["target"]: r for r in self.report if Path(r["path"]).name == name}
        assert found, f"{name} is not in the report"
        return found

    def lines_about(self, name: str) -> dict[str, str]:
        """The error and unsupported lines about one rule file, by target."""
        where = f"{self.rules / name}"
        lines = {}
        for line in self.stderr.splitlines():
            found = _STATUS_LINE.search(line)
            if line.startswith(where) and found:
                assert found["target"] not in lines, f"two lines for {found['target']}: {line}"
                lines[found["target"]] = line
        return lines


_STATUS_LINE = re.compile(r": (error|unsupported) \[(?P<target>[a-z]+)\]: ")


def sigma_parity(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line as the console script runs it (converter.cli:main), in a fresh process."""
    command = [sys.executable, "-m", "converter", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


def corpus_copy(base: Path, cases: Sequence[Case]) -> Path:
    """The rule folder of a run: the cases' files, the good and the huge rule, a symlink loop."""
    rules = base / "rules"
    rules.mkdir()
    for case in cases:
        shutil.copyfile(CORPUS / case.file, rules / case.file)
    (rules / "good.yml").write_text(GOOD, encoding="utf-8")
    (rules / "huge_value.yml").write_text(HUGE_RULE, encoding="utf-8")
    loop = rules / "nested"
    loop.mkdir()
    (loop / "nested_good.yml").write_text(GOOD.replace("0000000000ff", "0000000000fd"))
    os.symlink(rules, loop / "back_to_top")  # a directory symlink loop
    return rules


@pytest.fixture(scope="module")
def convert_all(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    base = tmp_path_factory.mktemp("convert_all")
    rules = corpus_copy(base, BATCH)
    out, report = base / "out", base / "report.json"
    args = ["convert", "-t", "all", "-o", str(out), "--json-report", str(report), "--jobs", "1"]
    done = sigma_parity([*args, str(rules)], base)
    outcome = Outcome(rules, out, done.returncode, done.stderr, done.stdout)
    if report.exists():
        outcome.report = json.loads(report.read_text(encoding="utf-8"))["rules"]
    return outcome


# --- convert -t all -o DIR ---------------------------------------------------------------------


def test_convert_exit_code_and_no_traceback(convert_all: Outcome) -> None:
    assert convert_all.returncode == 1, convert_all.stderr[-2000:]
    assert "Traceback" not in convert_all.stderr + convert_all.stdout
    assert "sigma-parity: internal error" not in convert_all.stderr  # the run itself went on
    assert not (convert_all.rules.parent / "malformed-canary.txt").exists()  # python_tag.yml


@pytest.mark.parametrize("case", BATCH, ids=[c.file for c in BATCH])
def test_status_and_message_per_target(convert_all: Outcome, case: Case) -> None:
    results = convert_all.results(case.file)
    assert {t: r["status"] for t, r in results.items()} == {t: case.status_of(t) for t in TARGETS}
    for target, result in results.items():
        if result["status"] != "converted":
            assert case.message_of(target) in result["message"], target
            assert result["line"] == case.line, target


@pytest.mark.parametrize("case", BATCH, ids=[c.file for c in BATCH])
def test_one_line_per_target_naming_file_and_line(convert_all: Outcome, case: Case) -> None:
    where = f"{convert_all.rules / case.file}" + (f":{case.line}" if case.line else "")
    lines = convert_all.lines_about(case.file)
    assert sorted(lines) == sorted(t for t in TARGETS if case.status_of(t) != "converted")
    for target, line in lines.items():
        assert line.startswith(f"{where}: {case.status_of(target)} [{target}]: "), line
        assert case.message_of(target) in line


@pytest.mark.parametrize("case", BATCH, ids=[c.file for c in BATCH])
def test_failed_rules_leave_no_output_and_converted_ones_are_whole(
    convert_all: Outcome, case: Case
) -> None:
    results = convert_all.results(case.file)
    for target in TARGETS:
        path = convert_all.out / target / f"{Path(case.file).stem}.{SUFFIX[target]}"
        if case.status_of(target) != "converted":
            assert not path.exists(), path
            listed = (convert_all.out / target / "UNSUPPORTED.md").read_text(encoding="utf-8")
            assert f"| {Path(case.file).stem} |" in listed
        elif target != "python":  # the python module is checked in test_codegen_safety.py
            assert path.read_text(encoding="utf-8") == query_file(results[target]["query"])


def query_file(query: str) -> str:
    """DESIGN.md: a query and a newline; a multi-line query is followed by an empty line."""
    return query + ("\n\n" if "\n" in query else "\n")


@pytest.mark.parametrize("name", ["good.yml", "huge_value.yml", "nested_good.yml"])
def test_good_rules_in_the_batch_still_convert(convert_all: Outcome, name: str) -> None:
    results = convert_all.results(name)
    assert {t: r["status"] for t, r in results.items()} == dict.fromkeys(TARGETS, "converted")
    for target in TARGETS:
        assert (convert_all.out / target / f"{Path(name).stem}.{SUFFIX[target]}").is_file()


def test_huge_value_is_written_whole(convert_all: Outcome) -> None:
    for target in TARGETS:
        text = (convert_all.out / target / f"huge_value.{SUFFIX[target]}").read_text()
        # whatever the target escapes; parity may compare lower-cased (ES|QL TO_LOWER)
        assert HUGE.lower() in text.replace("\\", "").lower(), target


def test_symlink_loop_is_skipped_with_a_note(convert_all: Outcome) -> None:
    notes = [line for line in convert_all.stderr.splitlines() if "symlink loop" in line]
    assert len(notes) == 1 and "skipped" in notes[0]
    assert len(convert_all.results("nested_good.yml")) == len(TARGETS)  # read once, not again


def test_no_temporary_files_are_left(convert_all: Outcome) -> None:
    assert not [p for p in convert_all.out.rglob("*") if p.name.endswith(".tmp")]


def test_summary_counts(convert_all: Outcome) -> None:
    """The last lines: per target, converted/unsupported/error counts over the whole batch."""
    for target in TARGETS:
        statuses = [c.status_of(target) for c in BATCH] + ["converted"] * 3
        expected = (
            f"{target}: {statuses.count('converted')} converted, "
            f"{statuses.count('unsupported')} unsupported, {statuses.count('error')} errors"
        )
        assert expected in convert_all.stderr.splitlines()


# --- convert -t splunk -o FILE -----------------------------------------------------------------


@pytest.fixture(scope="module")
def convert_splunk(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    base = tmp_path_factory.mktemp("convert_splunk")
    rules = corpus_copy(base, BATCH)
    out = base / "queries.spl"
    done = sigma_parity(["convert", "-t", "splunk", "-o", str(out), str(rules)], base)
    return Outcome(rules, out, done.returncode, done.stderr, done.stdout)


def test_query_file_holds_exactly_the_converted_rules(
    convert_splunk: Outcome, convert_all: Outcome
) -> None:
    assert convert_splunk.returncode == 1
    assert "Traceback" not in convert_splunk.stderr
    text = convert_splunk.out.read_text(encoding="utf-8")
    converted = [
        (r["path"], r["query"])
        for r in convert_all.report
        if r["target"] == "splunk" and r["status"] == "converted"
    ]
    order = sorted(converted, key=lambda pq: rule_file_order(Path(pq[0]), convert_all.rules))
    assert text == "".join(query_file(query) for _, query in order)
    assert not [p for p in convert_splunk.out.parent.iterdir() if p.name.endswith(".tmp")]


def rule_file_order(path: Path, rules: Path) -> tuple[int, str]:
    """Files directly in a folder come before its subfolders (os.walk order), names sorted."""
    relative = path.relative_to(rules)
    return (len(relative.parts), str(relative))


@pytest.mark.parametrize("case", [c for c in BATCH if c.status_of("splunk") != "converted"])
def test_query_file_run_names_each_failure(convert_splunk: Outcome, case: Case) -> None:
    lines = convert_splunk.lines_about(case.file)
    assert list(lines) == ["splunk"]
    assert f" {case.status_of('splunk')} [splunk]: " in lines["splunk"]
    assert case.message_of("splunk") in lines["splunk"]


# --- check -------------------------------------------------------------------------------------

CHECKED = CASES
BAD_CHECKED = [c for c in CHECKED if c.all_fail]


@pytest.fixture(scope="module")
def check_run(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    base = tmp_path_factory.mktemp("check")
    rules = corpus_copy(base, CHECKED)
    (base / "no-exceptions.yml").write_text("[]\n")
    args = ["check", str(rules), "--exceptions", str(base / "no-exceptions.yml")]
    done = sigma_parity(args, base)
    return Outcome(rules, base, done.returncode, done.stderr, done.stdout)


def problem_lines(outcome: Outcome) -> list[str]:
    return [line for line in outcome.stdout.splitlines() if line.startswith("problem: ")]


def test_check_exits_1_without_traceback(check_run: Outcome) -> None:
    assert check_run.returncode == 1, check_run.stderr[-2000:]
    assert "Traceback" not in check_run.stdout + check_run.stderr
    assert "internal error" not in check_run.stderr


@pytest.mark.parametrize("case", BAD_CHECKED, ids=[c.file for c in BAD_CHECKED])
def test_check_names_each_bad_file(check_run: Outcome, case: Case) -> None:
    mine = [p for p in problem_lines(check_run) if f"{check_run.rules / case.file}" in p]
    assert mine and all(p.startswith(f"problem: {check_run.rules / case.file}") for p in mine)
    assert any(case.message_of(t) in p for p in mine for t in TARGETS)


def test_check_gives_one_line_per_bad_file(check_run: Outcome) -> None:
    for case in BAD_CHECKED:
        mine = [p for p in problem_lines(check_run) if f"{check_run.rules / case.file}" in p]
        assert len(mine) == 1, mine


# --- files that once stopped the whole run, each alone beside a good rule ---------------------

ISOLATED = {  # files that once stopped check (the last five stopped convert too)
    "deep_condition.yml",
    "regex_not_a_string.yml",
    "level_unknown.yml",
    "status_unknown.yml",
    "id_not_a_string.yml",
    "field_name_number.yml",
    "correlation_unknown_type.yml",
}


@pytest.fixture(autouse=True)
def _outside_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a folder without pyproject.toml, so the project's defaults do not apply."""
    monkeypatch.chdir(tmp_path)


def run_in_process(args: list[str]) -> Any:
    return CliRunner().invoke(cli.cli, args)


def small_batch(base: Path, case: Case) -> Path:
    """A rule folder with the case's file and the good rule."""
    rules = base / "rules"
    rules.mkdir()
    shutil.copyfile(CORPUS / case.file, rules / case.file)
    (rules / "good.yml").write_text(GOOD, encoding="utf-8")
    return rules


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.file in ISOLATED and c.all_fail],
    ids=[c.file for c in CASES if c.file in ISOLATED and c.all_fail],
)
def test_batch_goes_on_after(tmp_path: Path, case: Case) -> None:
    rules = small_batch(tmp_path, case)
    report = tmp_path / "report.json"
    args = ["convert", "-t", "all", "-o", str(tmp_path / "out"), "--json-report", str(report)]
    result = run_in_process([*args, "--jobs", "1", str(rules)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    rows = json.loads(report.read_text(encoding="utf-8"))["rules"]
    assert {(Path(r["path"]).name, r["status"]) for r in rows} == {
        ("good.yml", "converted"),
        (case.file, "error"),
    }
    assert all(case.message in r["message"] for r in rows if r["status"] == "error")


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.file in ISOLATED],
    ids=[c.file for c in CASES if c.file in ISOLATED],
)
def test_check_goes_on_after(tmp_path: Path, case: Case) -> None:
    rules = small_batch(tmp_path, case)
    (tmp_path / "none.yml").write_text("[]\n")
    result = run_in_process(["check", str(rules), "--exceptions", str(tmp_path / "none.yml")])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == (1 if case.all_fail else 0)
    problems = [p for p in result.stdout.splitlines() if p.startswith(f"problem: {rules}")]
    if case.all_fail:
        assert problems and all(case.file in p for p in problems)
    else:
        assert not problems and "checked 2 rules" in result.stdout


# --- file names that are not UTF-8 -------------------------------------------------------------


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    """Linux file names are bytes; Python gives undecodable ones as surrogate escapes (PEP 383).

    A rule without an id gets a fallback id derived from its file name, and failed files are
    listed in UNSUPPORTED.md and the JSON report: none of that may stop the run.
    """
    rules = tmp_path / "rules"
    rules.mkdir()
    good, bad = os.fsdecode(b"caf\xe9.yml"), os.fsdecode(b"bad\xff.yml")
    try:
        (rules / good).write_text(GOOD.replace("id: 3f6c8a52-0e0b-4b51-9a7e-0000000000ff\n", ""))
        (rules / bad).write_text("title: [unclosed\n")
    except (OSError, UnicodeEncodeError):  # pragma: no cover - a file system that refuses them
        pytest.skip("this file system refuses file names that are not UTF-8")
    report, out = tmp_path / "report.json", tmp_path / "out"
    args = ["convert", "-t", "all", "-o", str(out), "--json-report", str(report), "--jobs", "1"]
    result = run_in_process([*args, str(rules)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    rows = json.loads(report.read_text(encoding="utf-8"))["rules"]
    assert sorted((r["path"], r["status"]) for r in rows) == sorted(
        [(str(rules / good), "converted")] * len(TARGETS) + [(str(rules / bad), "error")] * 6
    )
    for target in TARGETS:
        assert (out / target / f"{Path(good).stem}.{SUFFIX[target]}").is_file()
        listed = (out / target / "UNSUPPORTED.md").read_text(encoding="utf-8")
        assert "| bad\\udcff |" in listed  # the undecodable byte, written as an escape


# --- the loader's alias expansion bound ---------------------------------------------------------


def _aliases(levels: int) -> list[Any]:
    node: list[Any] = ["lol"] * 10
    for _ in range(levels):
        node = [node] * 10  # one object, used ten times: what a YAML alias gives
    return node


def _nested(depth: int) -> list[Any]:
    top: list[Any] = []
    node = top
    for _ in range(depth):
        node.append([])
        node = node[0]
    return top


def _recursive() -> dict[str, Any]:
    node: dict[str, Any] = {"a": 1}
    node["self"] = node
    return node


EXPANDED_SIZES = {
    "scalar": ("x", 1),
    "mapping": ({"a": 1, "b": [2, 3]}, 1 + 2 + 1 + 1 + 2),  # keys count, as nodes do
    "shared list": (_aliases(1), 1 + 10 * 11),
    "alias bomb": (_aliases(8), 1_000_001),  # 10**9 nodes; sizes stop just past the bound
    "deeper than recursion": (_nested(5000), 5001),
    "recursive": (_recursive(), -1),
}


@pytest.mark.parametrize("name", EXPANDED_SIZES)
def test_expanded_size(name: str) -> None:
    from converter.loader import expanded_size

    document, size = EXPANDED_SIZES[name]
    assert expanded_size(document) == size
