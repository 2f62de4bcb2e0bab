"""Real events for `check --events FILE`: JSON lines, plain or gzip-compressed.

Each line is one flat event in Sigma field names, or a wrapper `{"event": {...}, ...}` whose other
keys (source file, record id) are provenance. The events carry no verdict and no rule: the oracle
gives the expected verdict, and every loaded rule whose logsource the event belongs to sees it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from converter.fixtures import FixtureError, FixtureEvent

_GZIP_MAGIC = b"\x1f\x8b"


def load_events(path: Path) -> Iterator[FixtureEvent]:
    """The events of a JSON-lines file, named `<file name>:<line>`; blank lines are skipped."""
    with _open(path) as stream:
        for number, line in enumerate(_lines(stream, path), 1):
            if line.strip():
                yield _event(line, path, number)


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it starts with the gzip magic (whatever its name)."""
    try:
        with path.open("rb") as probe:
            compressed = probe.read(2) == _GZIP_MAGIC
        return cast(IO[bytes], gzip.open(path, "rb")) if compressed else path.open("rb")
    except OSError as e:
        raise FixtureError(f"cannot read events file: {e.strerror or e}", path) from e


def _lines(stream: IO[bytes], path: Path) -> Iterator[bytes]:
    """Lines of the stream; a truncated or corrupt gzip file is an error naming the file."""
    try:
        yield from stream
    except (OSError, EOFError) as e:
        raise FixtureError(f"cannot read events file: {e}", path) from e


def _event(line: bytes, path: Path, number: int) -> FixtureEvent:
    try:
        value = json.loads(line)
    except UnicodeDecodeError as e:
        raise FixtureError(f"not UTF-8 text (byte {e.start})", path, line=number) from e
    except json.JSONDecodeError as e:
        message = f"invalid JSON: {e.msg} (column {e.colno})"
        raise FixtureError(message, path, line=number) from e
    event = _unwrap(value)
    if event is None:
        kind = type(value).__name__
        message = f"expected a JSON object (an event, or {{\"event\": {{...}}}}), not a {kind}"
        raise FixtureError(message, path, line=number)
    return FixtureEvent(f"{path.name}:{number}", event, None, None, str(path))


def _unwrap(value: Any) -> dict[str, Any] | None:
    """The event itself: the `event` member of a wrapper, else the object; None if neither."""
    if not isinstance(value, dict) or not value:
        return None
    inner = value.get("event")
    return inner if isinstance(inner, dict) else value
