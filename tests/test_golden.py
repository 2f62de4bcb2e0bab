"""outputs/ holds what the CLI writes for rules/: one row per rule file and target.

The expected value of a row is the committed golden file outputs/<target>/<stem>.<ext>, or
"unsupported" or "error" when outputs/<target>/UNSUPPORTED.md lists the rule in its table of
unsupported rules or of conversion errors (in the stock profile, queries the target's engine model
rejects). Refresh with REFRESH below.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from click.testing import CliRunner

from converter.cli import cli
from converter.targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
OUTPUTS = ROOT / "outputs"
REFRESH = "sigma-parity convert -t all --skip-unsupported rules/ -o outputs/"
STEMS = sorted(p.stem for p in RULES.rglob("*.yml"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("outputs")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)  # the project's [tool.sigma-parity] defaults apply, as for REFRESH
        result = CliRunner().invoke(
            cli, ["convert", "-t", "all", "--skip-unsupported", "rules/", "-o", str(out)]
        )
    # Exit 1 is legitimate only for queries an engine model rejects.
    failures = [line for line in result.stderr.splitlines() if ": error [" in line]
    assert all("rejected by" in line for line in failures), failures
    assert result.exit_code == (1 if failures else 0), result.output
    return out


def expected(target: str, stem: str) -> str:
    ext = TARGETS[target].format(None).extension
    golden = OUTPUTS / target / f"{stem}.{ext}"
    if golden.is_file():
        return golden.read_text(encoding="utf-8")
    listed = (OUTPUTS / target / "UNSUPPORTED.md").read_text(encoding="utf-8")
    unsupported, _, errors = listed.partition("## Conversion errors")
    if f"| {stem} |" in unsupported:
        return "unsupported"
    assert f"| {stem} |" in errors, f"{stem} has no golden file for {target}: run {REFRESH}"
    return "error"


def actual(generated: Path, target: str, stem: str) -> str:
    path = generated / target / f"{stem}.{TARGETS[target].format(None).extension}"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    listed = (generated / target / "UNSUPPORTED.md").read_text(encoding="utf-8")
    return (
        "error" if f"| {stem} |" in listed.partition("## Conversion errors")[2] else "unsupported"
    )


ROWS = [(stem, target) for stem in STEMS for target in TARGETS]


@pytest.mark.parametrize(("stem", "target"), ROWS, ids=[f"{s}->{t}" for s, t in ROWS])
def test_rule_target_row(generated: Path, stem: str, target: str) -> None:
    assert actual(generated, target, stem) == expected(target, stem), f"stale: run {REFRESH}"


def test_project_has_rules() -> None:
    assert len(STEMS) >= 30


def test_outputs_tree_is_exactly_what_the_cli_writes(generated: Path) -> None:
    stale = []
    for target in TARGETS:
        comparison = filecmp.dircmp(OUTPUTS / target, generated / target)
        stale += [
            f"{target}/{name}"
            for name in comparison.left_only + comparison.right_only + comparison.diff_files
        ]
    assert stale == [], f"outputs/ is stale ({', '.join(stale)}): run {REFRESH}"
