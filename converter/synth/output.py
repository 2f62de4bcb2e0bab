"""Synthesized fixtures for rule files: parse, synthesize, and write DESIGN.md fixture files.

Shared by ``sigma-parity fixtures`` (files on disk) and ``check --synthesize`` (in memory, through
the harness's already parsed rules).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from converter.errors import ConverterError
from converter.loader import RuleSource
from converter.pipelines import resolve
from converter.synth.generate import DEFAULT_MAX_EVENTS, Synthesized, synthesize

try:  # libyaml's emitter is several times faster; the output is the same YAML
    from yaml import CSafeDumper as Dumper
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as Dumper  # type: ignore[assignment]


@dataclass
class FileFixtures:
    """The synthesized fixtures of one rule file."""

    source: RuleSource
    rules: list[Synthesized] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each, naming the file


def synthesize_file(
    source: RuleSource, pipelines: Sequence[str] = (), max_events: int = DEFAULT_MAX_EVENTS
) -> FileFixtures:
    """Fixtures for every plain rule of the file (correlations relate many events: skipped)."""
    found = FileFixtures(source)
    if source.error is not None:
        found.errors.append(str(source.error))
        return found
    try:
        collection = SigmaCollection.from_dicts(source.documents, collect_errors=True)
    except SigmaError as e:
        found.errors.append(f"{source.path}: {_one_line(e)}")
        return found
    for rule in collection.rules:
        if isinstance(rule, SigmaRule):
            _add(found, rule, pipelines, max_events)
    return found


def _add(found: FileFixtures, rule: SigmaRule, pipelines: Sequence[str], max_events: int) -> None:
    if rule.errors or rule.id is None:
        reason = _one_line(rule.errors[0]) if rule.errors else "the rule has no id"
        found.errors.append(f"{found.source.path}: {reason}")
        return
    try:
        if pipelines:
            resolve(list(pipelines)).apply(rule)
        found.rules.append(synthesize(rule, max_events, str(found.source.path)))
    except (ConverterError, SigmaError) as e:
        found.errors.append(f"{found.source.path}: {_one_line(e)}")


def fixture_yaml(found: FileFixtures) -> str:
    """The fixture file: one document per rule, expected verdicts from the oracle."""
    header = (
        f"# Synthesized by `sigma-parity fixtures` from {found.source.path}.\n"
        "# Witnesses (match: true) and near misses (match: false); verdicts from the oracle.\n"
    )
    documents = [_document(rule) for rule in found.rules if rule.events]
    body = yaml.dump_all(
        documents, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return header + body


def _document(rule: Synthesized) -> dict[str, Any]:
    events = [{"name": e.name, "match": e.match, "event": e.event} for e in rule.events]
    return {"rule": rule.rule_id, "events": events}


def fixture_paths(sources: Sequence[Path], out: Path) -> Iterator[tuple[Path, Path]]:
    """(rule file, fixture file): DIR/<rule-file-stem>.yml, numbered when two stems collide."""
    taken: set[str] = set()
    for path in sources:
        name, n = path.stem, 1
        while name.lower() in taken:
            n += 1
            name = f"{path.stem}-{n}"
        taken.add(name.lower())
        yield path, out / f"{name}.yml"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
