"""The --events loader: JSON lines, plain or gzip, bare events or {"event": {...}} wrappers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from converter.events import load_events
from converter.fixtures import FixtureError

LINES = (
    '{"EventID": 1, "Image": "C:\\\\cmd.exe"}\n'
    "\n"
    '{"source_repo": "r", "event": {"EventID": "4688", "Channel": "Security"}}\n'
)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_events_named_by_file_and_line(tmp_path: Path, compress: bool) -> None:
    path = tmp_path / ("e.jsonl.gz" if compress else "e.jsonl")
    data = LINES.encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    first, second = load_events(path)
    assert (first.name, first.event) == (f"{path.name}:1", {"EventID": 1, "Image": "C:\\cmd.exe"})
    wrapped = {"EventID": "4688", "Channel": "Security"}
    assert (second.name, second.event) == (f"{path.name}:3", wrapped)
    assert (second.match, second.rule_ids, second.origin) == (None, None, str(path))


def test_gzip_is_recognised_by_content(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(gzip.compress(b'{"EventID": 1}\n'))
    assert [e.event for e in load_events(path)] == [{"EventID": 1}]


BAD_LINES = {
    "invalid JSON": ('{"EventID": 1}\n{"EventID": \n', r"x\.jsonl:2: invalid JSON"),
    "array": ("[1, 2]\n", r"x\.jsonl:1: expected a JSON object"),
    "string": ('"text"\n', r"x\.jsonl:1: expected a JSON object .*not a str"),
    "empty object": ("{}\n", r"x\.jsonl:1: expected a JSON object"),
}


@pytest.mark.parametrize(("text", "message"), list(BAD_LINES.values()), ids=list(BAD_LINES))
def test_bad_line_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError, match=message):
        list(load_events(path))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"A": "\xff"}\n')
    with pytest.raises(FixtureError, match=r"x\.jsonl:1: not UTF-8"):
        list(load_events(path))


def test_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"A": 1}\n' * 100)[:-12])
    with pytest.raises(FixtureError, match=r"x\.jsonl\.gz: cannot read events file"):
        list(load_events(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match=r"absent\.jsonl: cannot read events file"):
        list(load_events(tmp_path / "absent.jsonl"))


@pytest.mark.shared
def test_shared_windows_attack_events(shared: Path) -> None:
    """The shared corpus: 100,008 wrapped events (its README), all flat and named by line."""
    path = shared / "events" / "windows_attack_events.jsonl.gz"
    count = 0
    for count, event in enumerate(load_events(path), 1):
        assert event.name == f"windows_attack_events.jsonl.gz:{count}"
        assert "EventID" in event.event and "event" not in event.event
    assert count == 100_008
