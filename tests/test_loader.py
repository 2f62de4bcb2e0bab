"""Finding and reading rule files: every problem is a one-line error naming file and line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from converter.errors import ConfigError
from converter.loader import find_rule_files, load_rule_file

GOOD = "title: t\nlogsource: {product: windows}\ndetection: {s: {A: b}, condition: s}\n"

BAD_FILES = {
    "invalid-yaml": ("title: t\ndetection: [a, b\n", "invalid YAML", 3),
    "tab-indent": ("title: t\ndetection:\n\tx: 1\n", "invalid YAML", 3),
    "not-utf8": (b"title: t\ndescription: caf\xe9\n", "not UTF-8 text", 2),
    "binary": (b"\x89PNG\r\n\x1a\n\xff\xfe", "not UTF-8 text", 1),
    "empty": ("", "empty file", None),
    "comments-only": ("# nothing here\n", "empty file", None),
    "list-document": ("- a\n- b\n", "YAML document 1 is a list", None),
    "scalar-document": ("just text\n", "YAML document 1 is a str", None),
}


@pytest.mark.parametrize("name", BAD_FILES, ids=list(BAD_FILES))
def test_bad_file_gives_located_error(write_rule, name: str) -> None:  # type: ignore[no-untyped-def]
    content, message, line = BAD_FILES[name]
    path = write_rule(f"{name}.yml", content)
    source = load_rule_file(path)
    assert source.error is not None
    assert message in source.error.message
    assert source.error.line == line
    text = str(source.error)
    assert text.startswith(str(path)) and "\n" not in text


def test_good_file_loads_every_document(write_rule) -> None:  # type: ignore[no-untyped-def]
    path = write_rule("two.yml", GOOD + "---\n" + GOOD)
    source = load_rule_file(path)
    assert source.error is None
    assert len(source.documents) == 2
    assert source.stem == "two"


def test_find_recurses_sorted_and_filters_suffixes(tmp_path: Path) -> None:
    for name in ("b/z.yml", "a/y.yaml", "a/x.txt", "c.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(GOOD)
    files, notes = find_rule_files([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["c.yml", "a/y.yaml", "b/z.yml"]
    assert notes == []


def test_symlink_loop_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "r.yml").write_text(GOOD)
    os.symlink(tmp_path, tmp_path / "d" / "loop")
    files, notes = find_rule_files([tmp_path])
    assert [f.name for f in files] == ["r.yml"]
    assert len(notes) == 1 and "symlink loop" in notes[0]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file or directory"):
        find_rule_files([tmp_path / "nope"])
