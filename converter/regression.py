"""SigmaHQ regression data as fixture events (DESIGN.md "Fixture format", issue 4 item 2).

Each `info.yml` names the rule(s) it tests (`rule_metadata`) and lists `regression_tests_info`
entries, each an EVTX file whose JSON rendering sits beside it. The data only promises that at
least `match_count` of an entry's events match, so the events carry no verdict (the oracle gives
it) and each entry keeps its `match_count` for the harness to assert. Entries that are commented
out, whose file is missing, or that are not EVTX/JSON are skipped with a note.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from converter.fixtures import FixtureError, FixtureEvent

REGRESSION_FOLDER = "regression_data"

_COMMENTED_KEY = re.compile(r"^\s*#\s*regression_tests_info\s*:")


@dataclass(frozen=True)
class RegressionEntry:
    """One `regression_tests_info` entry that was loaded: its events and its match requirement."""

    info: str  # the info.yml path relative to the regression folder
    name: str
    rule_ids: tuple[str, ...]
    match_count: int
    events: tuple[str, ...]  # FixtureEvent names


@dataclass(frozen=True)
class RegressionSkip:
    """An entry (or a whole info.yml) that gives no events, and why."""

    info: str
    reason: str  # "commented out", "missing file", "not JSON", "no entries"
    detail: str


@dataclass
class RegressionData:
    """Everything read from a regression folder."""

    root: Path
    info_files: int = 0
    events: list[FixtureEvent] = field(default_factory=list)
    entries: list[RegressionEntry] = field(default_factory=list)
    skipped: list[RegressionSkip] = field(default_factory=list)

    def skips_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for skip in self.skipped:
            counts[skip.reason] = counts.get(skip.reason, 0) + 1
        return counts


def regression_folder(root: Path) -> Path:
    """The regression folder: `root` itself, or `root/regression_data` (a SigmaHQ checkout)."""
    nested = root / REGRESSION_FOLDER
    return nested if nested.is_dir() else root


def load_regression(root: Path) -> RegressionData:
    """Load every info.yml below `root` (a SigmaHQ checkout or its regression_data folder)."""
    folder = regression_folder(root)
    if not folder.is_dir():
        raise FixtureError("no such regression data folder", root)
    data = RegressionData(folder)
    for info in sorted(folder.rglob("info.yml")):
        data.info_files += 1
        _load_info(info, folder, data)
    return data


@dataclass
class _Info:
    """One info.yml being loaded; event numbers run on across its entries (`<info>#<n>`)."""

    path: Path
    relative: str
    rule_ids: tuple[str, ...]
    numbered: int = 0


def _load_info(path: Path, folder: Path, data: RegressionData) -> None:
    relative = path.relative_to(folder).as_posix()
    document, text = _read_info(path)
    info = _Info(path, relative, _rule_ids(document, path))
    entries = document.get("regression_tests_info")
    if entries is None:
        data.skipped.append(_unlisted(relative, text))
        return
    if not isinstance(entries, list):
        raise FixtureError("'regression_tests_info' must be a list", path)
    for index, entry in enumerate(entries, 1):
        _load_entry(entry, index, info, folder, data)


def _read_info(info: Path) -> tuple[dict[str, Any], str]:
    try:
        text = info.read_text(encoding="utf-8-sig")
        document = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as e:
        raise FixtureError(f"cannot read info.yml: {e}", info) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise FixtureError(f"invalid YAML: {getattr(e, 'problem', e)}", info, line=line) from e
    if not isinstance(document, dict):
        raise FixtureError("info.yml is not a mapping", info)
    return document, text


def _rule_ids(document: dict[str, Any], info: Path) -> tuple[str, ...]:
    metadata = document.get("rule_metadata")
    if not isinstance(metadata, list) or not metadata:
        raise FixtureError("missing 'rule_metadata' (a list of {id, title})", info)
    ids = [item.get("id") if isinstance(item, dict) else None for item in metadata]
    if not all(isinstance(i, str) and i for i in ids):
        raise FixtureError("every 'rule_metadata' item needs an 'id'", info)
    return tuple(str(i) for i in ids)


def _unlisted(relative: str, text: str) -> RegressionSkip:
    """The note for an info.yml without live entries: commented out, or none at all."""
    commented = _commented_entries(text)
    if commented is None:
        return RegressionSkip(relative, "no entries", "no regression_tests_info")
    detail = "; ".join(
        f"{e.get('name', '?')} ({e.get('type', '?')}: {e.get('path', '?')})" for e in commented
    )
    return RegressionSkip(relative, "commented out", detail or "regression_tests_info")


def _commented_entries(text: str) -> list[dict[str, Any]] | None:
    """The entries of a commented-out `regression_tests_info` block (empty if unreadable)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _COMMENTED_KEY.match(line)), None)
    if start is None:
        return None
    block = []
    for line in lines[start:]:
        if not line.lstrip().startswith("#"):
            break
        block.append(line.lstrip()[1:])
    try:
        parsed = yaml.safe_load(textwrap.dedent("\n".join(block)))
    except yaml.YAMLError:
        return []
    entries = parsed.get("regression_tests_info") if isinstance(parsed, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _load_entry(entry: Any, index: int, info: _Info, folder: Path, data: RegressionData) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise FixtureError(f"regression_tests_info entry {index} needs a 'path'", info.path)
    name = str(entry.get("name", f"entry {index}"))
    match_count = _match_count(entry, index, info.path)
    source = _json_path(entry, info.path, folder)
    if isinstance(source, tuple):
        reason, detail = source
        data.skipped.append(RegressionSkip(info.relative, reason, f"{name}: {detail}"))
        return
    names = []
    for raw in _json_objects(source):
        info.numbered += 1
        event_name = f"{info.relative}#{info.numbered}"
        flat = flatten_evtx(raw, source)
        data.events.append(FixtureEvent(event_name, flat, None, info.rule_ids, str(source)))
        names.append(event_name)
    entry_record = RegressionEntry(info.relative, name, info.rule_ids, match_count, tuple(names))
    data.entries.append(entry_record)


def _match_count(entry: dict[str, Any], index: int, info: Path) -> int:
    count = entry.get("match_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise FixtureError(
            f"regression_tests_info entry {index}: match_count must be a count, not {count!r}",
            info,
        )
    return count


def _json_path(entry: dict[str, Any], info: Path, folder: Path) -> Path | tuple[str, str]:
    """The JSON rendering an entry names, or why there is none (reason, detail).

    Paths are relative to the folder holding regression_data (they start with it); the file is
    also looked for beside info.yml, so a moved regression folder still loads.
    """
    declared = Path(entry["path"])
    kind = str(entry.get("type", declared.suffix.lstrip("."))).lower()
    if kind != "evtx":
        return "not JSON", f"type {kind}: {declared.as_posix()}"
    candidates = [folder.parent / declared, info.parent / declared.name]
    for candidate in candidates:
        rendered = candidate.with_suffix(".json")
        if rendered.is_file():
            return rendered
    return "missing file", f"no JSON beside {declared.as_posix()}"


def _json_objects(path: Path) -> Iterator[Any]:
    """Every JSON value in a file, including several written back to back."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise FixtureError(f"cannot read: {e}", path) from e
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    while position < len(text):
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as e:
            message = f"invalid JSON: {e.msg} (column {e.colno})"
            raise FixtureError(message, path, line=e.lineno) from e
        yield value
        position = _skip_space(text, position)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def flatten_evtx(raw: Any, path: Path) -> dict[str, Any]:
    """One EVTX JSON rendering (`{"Event": {"System", "EventData" | "UserData"}}`) as a flat event
    in the field names Sigma rules use; spaces are stripped from names (`Threat Name`)."""
    event = raw.get("Event") if isinstance(raw, dict) else None
    if not isinstance(event, dict) or not isinstance(event.get("System"), dict):
        raise FixtureError("not an EVTX rendering: no Event.System", path)
    flat = _system_fields(event["System"])
    flat.update(_event_data(event.get("EventData")))
    flat.update(_user_data(event.get("UserData")))
    return flat


def _system_fields(system: dict[str, Any]) -> dict[str, Any]:
    provider = system.get("Provider")
    attributes = provider.get("#attributes") if isinstance(provider, dict) else None
    fields = {
        "EventID": _text(system.get("EventID")),
        "Channel": system.get("Channel"),
        "Provider_Name": attributes.get("Name") if isinstance(attributes, dict) else None,
        "Computer": system.get("Computer"),
    }
    return {name: value for name, value in fields.items() if value is not None}


def _event_data(data: Any) -> dict[str, Any]:
    """EventData's Data items by Name. evtx_dump renders them as keys of EventData already; the
    `Data: [{"#attributes": {"Name"}, "#text"}]` shape of other renderers is read as well, and
    unnamed Data items become `Data` (as the shared events corpus does)."""
    if not isinstance(data, dict):
        return {}
    fields = {_name(k): _text(v) for k, v in data.items() if k not in ("#attributes", "Data")}
    if "Data" in data:
        fields.update(_data_items(data["Data"]))
    return fields


def _data_items(items: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    unnamed: list[Any] = []
    for item in items if isinstance(items, list) else [items]:
        attributes = item.get("#attributes") if isinstance(item, dict) else None
        if isinstance(attributes, dict) and "Name" in attributes:
            fields[_name(str(attributes["Name"]))] = _text(item.get("#text"))
        else:
            unnamed.append(_text(item))
    if unnamed:
        fields["Data"] = unnamed[0] if len(unnamed) == 1 else unnamed
    return fields


def _user_data(data: Any) -> dict[str, Any]:
    """UserData holds one element named after the event (e.g. Operation_ClientFailure); rules
    use that element's children."""
    if not isinstance(data, dict):
        return {}
    fields: dict[str, Any] = {}
    for inner in data.values():
        if isinstance(inner, dict):
            fields.update({_name(k): _text(v) for k, v in inner.items() if k != "#attributes"})
    return fields


def _text(value: Any) -> Any:
    """An element's value: its `#text` when the renderer made it an object with attributes."""
    if isinstance(value, dict) and "#text" in value:
        return value["#text"]
    return value


def _name(name: str) -> str:
    return name.replace(" ", "")
