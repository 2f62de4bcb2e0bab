"""Fixture events: the loader for hand-written fixture files (DESIGN.md "Fixture format").

A fixture file is YAML with one or more documents, each naming the rule(s) its events are checked
against and listing the events with their expected verdicts. The same `FixtureEvent` type carries
SigmaHQ regression events (converter.regression) and real events (converter.events), so the
harness treats all three alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from converter.errors import ConverterError
from converter.loader import find_rule_files

_DOCUMENT_KEYS = frozenset({"rule", "events"})
_EVENT_KEYS = frozenset({"name", "match", "event"})


@dataclass(frozen=True)
class FixtureEvent:
    """One canonical event (Sigma field names plus the System fields) and what it should do.

    `match` None means the oracle gives the expected verdict; `rule_ids` None means the event is
    checked against every loaded rule whose logsource it belongs to.
    """

    name: str
    event: dict[str, Any]
    match: bool | None
    rule_ids: tuple[str, ...] | None
    origin: str


class FixtureError(ConverterError):
    """A fixture, regression or events file that cannot be used, with where the problem is."""

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        *,
        document: int | None = None,
        event: int | None = None,
        line: int | None = None,
    ):
        where = [f"document {document}" if document else "", f"event {event}" if event else ""]
        prefix = ", ".join(part for part in where if part)
        super().__init__(f"{prefix}: {message}" if prefix else message, path, line)
        self.document = document
        self.event = event


class _EventLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 timestamps: an event value such as `2024-01-02 10:00:00` is
    the string the log holds, not a datetime (Sigma compares values as strings)."""


_EventLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_fixtures(dirs: Sequence[Path]) -> list[FixtureEvent]:
    """Every fixture event in the YAML files below `dirs` (a file may also be given directly).

    Event names are unique per rule across all files, since reports identify an event by name.
    """
    files, _notes = find_rule_files(dirs)
    events: list[FixtureEvent] = []
    seen: dict[tuple[str, str], str] = {}
    for path in files:
        for event, document, index in _load_file(path):
            _check_unique(event, seen, path, document, index)
            events.append(event)
    return events


def _check_unique(
    event: FixtureEvent, seen: dict[tuple[str, str], str], path: Path, document: int, index: int
) -> None:
    for rule_id in event.rule_ids or ():
        key = (rule_id, event.name)
        if key in seen:
            raise FixtureError(
                f"duplicate event name {event.name!r} for rule {rule_id} (first in {seen[key]})",
                path,
                document=document,
                event=index,
            )
        seen[key] = f"{path}, document {document}, event {index}"


def _load_file(path: Path) -> Iterator[tuple[FixtureEvent, int, int]]:
    """(event, document number, event number) for each event of one file, numbered from 1."""
    for document, (data, node) in enumerate(_documents(path), 1):
        if data is None:  # an empty document, e.g. after a trailing `---`
            continue
        if not isinstance(data, dict):
            raise FixtureError(f"a {type(data).__name__}, not a mapping", path, document=document)
        rule_ids = _rule_ids(data, path, document)
        items = _event_list(data, path, document)
        for index, item in enumerate(items, 1):
            line = _event_line(node, index)
            yield _event(item, rule_ids, path, document, index, line), document, index


def _documents(path: Path) -> Iterator[tuple[Any, yaml.Node | None]]:
    """Each YAML document as data plus its node tree (which knows the line of every event)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise FixtureError(f"cannot read fixture file: {e}", path) from e
    loader = _EventLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield loader.construct_document(node), node
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise FixtureError(f"invalid YAML: {problem}", path, line=_line(mark)) from e
    finally:
        loader.dispose()


def _line(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None


def _event_line(node: yaml.Node | None, index: int) -> int | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if key.value == "events" and isinstance(value, yaml.SequenceNode):
            return _line(value.value[index - 1].start_mark)
    return None


def _rule_ids(data: dict[str, Any], path: Path, document: int) -> tuple[str, ...]:
    unknown = sorted(str(key) for key in data if key not in _DOCUMENT_KEYS)
    if unknown:
        raise FixtureError(
            f"unknown key(s) {', '.join(unknown)} (allowed: rule, events)", path, document=document
        )
    if "rule" not in data:
        raise FixtureError("missing 'rule' (a rule id or a list of ids)", path, document=document)
    raw = data["rule"]
    ids = raw if isinstance(raw, list) else [raw]
    if not ids or not all(isinstance(i, str) and i.strip() for i in ids):
        raise FixtureError(
            f"'rule' must be a rule id or a non-empty list of ids, not {raw!r}",
            path,
            document=document,
        )
    return tuple(i.strip() for i in ids)


def _event_list(data: dict[str, Any], path: Path, document: int) -> list[Any]:
    items = data.get("events")
    if not isinstance(items, list) or not items:
        raise FixtureError("'events' must be a non-empty list", path, document=document)
    return items


def _event(
    item: Any, rule_ids: tuple[str, ...], path: Path, document: int, index: int, line: int | None
) -> FixtureEvent:
    def fail(message: str) -> FixtureError:
        return FixtureError(message, path, document=document, event=index, line=line)

    if not isinstance(item, dict):
        raise fail(f"an event must be a mapping with name, match and event, not a {_kind(item)}")
    unknown = sorted(str(key) for key in item if key not in _EVENT_KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)} (allowed: name, match, event)")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("missing 'name' (a non-empty string saying what the event tests)")
    match = item.get("match")
    if "match" in item and not isinstance(match, bool):
        raise fail(f"'match' must be true or false, not {match!r}")
    event = _event_fields(item.get("event"), fail)
    return FixtureEvent(name.strip(), event, match, rule_ids, str(path))


def _event_fields(event: Any, fail: Callable[[str], FixtureError]) -> dict[str, Any]:
    """The event mapping, checked to be flat: field names to scalars, lists of them, or null."""
    if not isinstance(event, dict) or not event:
        raise fail("missing 'event' (a non-empty mapping of field names to values)")
    for field, value in event.items():
        if not isinstance(field, str):
            raise fail(f"field name {field!r} is not a string")
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, dict | list) for v in values):
            raise fail(f"field {field!r}: events are flat, so no mappings or nested lists")
    return dict(event)


def _kind(value: Any) -> str:
    return type(value).__name__
