"""[tool.sigma-parity] in pyproject.toml: found upward from the working folder, paths relative."""

from __future__ import annotations

from pathlib import Path

import pytest

from converter.config import load_config
from converter.errors import ConfigError


def write_pyproject(folder: Path, table: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(f"[project]\nname = 'x'\n\n[tool.sigma-parity]\n{table}\n")
    return path


def test_found_from_a_subfolder_with_paths_relative_to_it(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path, 'pipelines = ["ecs_windows", "pipelines/mine.yml"]\nprofile = "stock"'
    )
    sub = tmp_path / "rules" / "deep"
    sub.mkdir(parents=True)
    config = load_config(sub)
    assert config.pipelines == ("ecs_windows", str(tmp_path / "pipelines" / "mine.yml"))
    assert config.profile == "stock"


def test_no_pyproject_means_no_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path).pipelines == ()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("pipeline = []", "unknown key"),
        ('pipelines = "ecs_windows"', "list of strings"),
        ("pipelines = [", "cannot read"),
    ],
    ids=["misspelt-key", "not-a-list", "bad-toml"],
)
def test_bad_table_is_a_config_error(tmp_path: Path, table: str, message: str) -> None:
    path = write_pyproject(tmp_path, table)
    with pytest.raises(ConfigError, match=message) as error:
        load_config(tmp_path)
    assert error.value.path == path


def test_project_defaults_leave_foreign_rules_convertible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's placeholder pipeline must not break rules from elsewhere (no author)."""
    from click.testing import CliRunner

    from converter.cli import cli

    rule = tmp_path / "foreign.yml"
    rule.write_text(
        "title: foreign\nlogsource: {product: windows, category: process_creation}\n"
        "detection:\n  s: {Image|endswith: '\\\\x.exe'}\n  condition: s\n"
    )
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # the project: its defaults apply
    result = CliRunner().invoke(cli, ["convert", "-t", "all", str(rule), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
