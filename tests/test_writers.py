"""Output files: written whole or not at all; query files and UNSUPPORTED.md as documented."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from converter.results import RuleResult
from converter.targets import TARGETS
from converter.writers import query_text, unsupported_markdown, write_atomic


def result(
    stem: str, status: str = "converted", queries: tuple[str, ...] = ("q",), message: str = ""
) -> RuleResult:
    return RuleResult(
        Path(f"{stem}.yml"),
        stem,
        None,
        stem,
        "splunk",
        status,  # type: ignore[arg-type]
        message,
        list(queries),
    )


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.spl"
    target.write_text("old\n")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.spl"]


def test_write_creates_folders_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.spl"
    write_atomic(target, "one\n")
    write_atomic(target, "two\n")
    assert target.read_text() == "two\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.spl"]


def test_query_text_one_line_each_and_multiline_gets_an_empty_line() -> None:
    results = [
        result("a", queries=("x=1",)),
        result("b", "unsupported", ()),
        result("c", queries=("from a\n| where b",)),
        result("d", queries=("y=2",)),
    ]
    assert query_text(results) == "x=1\nfrom a\n| where b\n\ny=2\n"


def test_unsupported_markdown_groups_reasons_and_escapes_pipes() -> None:
    results = [
        result("k1", "unsupported", (), "no | keywords"),
        result("k2", "unsupported", (), "no | keywords"),
        result("r", "unsupported", (), "regex"),
        result("ok"),
    ]
    text = unsupported_markdown(TARGETS["splunk"], results)
    assert "3 rules are unsupported for `splunk`." in text
    assert "| no \\| keywords | 2 |" in text and "| regex | 1 |" in text
    assert "| k1 |" in text and "| ok |" not in text
