"""Writing conversion results: query files, artifacts, the outputs/ layout and the JSON report.

Every file is written whole or not at all: content goes to a temporary file in the destination
folder, which is then renamed over the destination.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from converter.errors import ConverterError
from converter.results import RuleResult
from converter.targets import TARGETS
from converter.targets.base import Format, Target


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    The only text UTF-8 cannot encode is a lone surrogate, which reaches us only from a file name
    that is not UTF-8 (PEP 383); it is written as a backslash escape, which JSON and Python read
    back as the same character, instead of failing the whole run.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(
            fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n"
        ) as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def query_text(results: Iterable[RuleResult]) -> str:
    """Each converted rule's query and a newline; a multi-line query also gets an empty line."""
    chunks = []
    for result in results:
        if result.status != "converted":
            continue
        query = result.query
        chunks.append(query + ("\n\n" if "\n" in query else "\n"))
    return "".join(chunks)


def render(target: Target, fmt: Format, results: list[RuleResult], index: Sequence[str]) -> str:
    """The text of one output file in ``fmt`` for the converted ``results``."""
    converted = [r for r in results if r.status == "converted"]
    if not fmt.is_artifact:
        return query_text(converted)
    from converter.render import render_artifact  # Jinja2 loads only when an artifact is asked

    text: str = render_artifact(target, fmt, converted, index or target.index_patterns)
    return text


@dataclass(frozen=True)
class TreeWriter:
    """Writes the outputs/ layout: out/<target>/<rule-file-stem>.<ext> plus UNSUPPORTED.md.

    ``write_source`` runs in the worker that converted a file, so rendering and writing happen in
    parallel with the conversion of other files; ``finish`` runs once at the end. Each stem
    belongs to the first file that has it (``owners``); a later file of the same stem is an error
    instead of an overwrite. Files of a target's extension that the run did not write are
    removed, so out/<target>/ mirrors the converted rules.
    """

    out: Path
    formats: dict[str, Format]
    index: tuple[str, ...]
    owners: dict[str, Path]

    @classmethod
    def for_files(
        cls, out: Path, files: Sequence[Path], formats: dict[str, Format], index: Sequence[str]
    ) -> TreeWriter:
        owners: dict[str, Path] = {}
        for path in files:
            owners.setdefault(path.stem, path)
        return cls(out, formats, tuple(index), owners)

    def path(self, result: RuleResult) -> Path:
        return self.out / result.target / f"{result.stem}.{self.formats[result.target].extension}"

    def write_source(self, results: list[RuleResult]) -> list[RuleResult]:
        """Write one rule file's outputs for every target; returns the results, updated."""
        by_target: dict[str, list[RuleResult]] = defaultdict(list)
        for result in results:
            if result.status == "converted" and self.owners[result.stem] != result.path:
                taken = self.owners[result.stem]
                _mark_error(result, f"output name {result.stem!r} is already taken by {taken}")
            elif result.status == "converted":
                by_target[result.target].append(result)
        for key, converted in by_target.items():
            self._write(key, converted)
        return results

    def _write(self, key: str, converted: list[RuleResult]) -> None:
        try:
            text = render(TARGETS[key], self.formats[key], converted, self.index)
        except ConverterError as e:  # a template failure fails these rules, not the batch
            for result in converted:
                _mark_error(result, f"cannot render {self.formats[key].name}: {e.message}")
            return
        write_atomic(self.path(converted[0]), text)

    def finish(self, results: list[RuleResult]) -> None:
        """Write each target's UNSUPPORTED.md and remove output files no rule produced."""
        for key, fmt in self.formats.items():
            folder = self.out / key
            mine = [r for r in results if r.target == key]
            keep = {self.path(r) for r in mine if r.status == "converted"}
            unsupported = folder / "UNSUPPORTED.md"
            write_atomic(unsupported, unsupported_markdown(TARGETS[key], mine))
            _prune(folder, fmt.extension, {*keep, unsupported})


def _mark_error(result: RuleResult, message: str) -> None:
    result.status = "error"
    result.message = message
    result.queries = []


def _prune(folder: Path, extension: str, keep: set[Path]) -> None:
    for path in folder.glob(f"*.{extension}"):
        if path not in keep:
            path.unlink()


def unsupported_markdown(target: Target, results: list[RuleResult]) -> str:
    """UNSUPPORTED.md: the rules a target cannot express, then the rules that failed, with reasons.

    A failure is listed too, since it also leaves the rule without an output file: most often a
    query the target's engine model rejects (the real engine would refuse it).
    """
    lines = [f"# Rules {target.language} cannot express", ""]
    lines += _table(target, results, "unsupported", "are unsupported")
    failed = _table(target, results, "error", "failed to convert")
    if failed:
        lines += ["", "## Conversion errors", "", *failed]
    return "\n".join([*lines, ""])


def _table(target: Target, results: list[RuleResult], status: str, verb: str) -> list[str]:
    rows = sorted((r.message, r.stem, r.rule_id or "") for r in results if r.status == status)
    if not rows:
        return ["Every rule converted."] if status == "unsupported" else []
    counts = Counter(message for message, _, _ in rows)
    lines = [f"{len(rows)} rules {verb} for `{target.key}`.", "", "| reason | rules |", "|---|---|"]
    lines += [f"| {_cell(m)} | {n} |" for m, n in counts.most_common()]
    lines += ["", "| rule file | id | reason |", "|---|---|---|"]
    lines += [f"| {stem} | {rule_id} | {_cell(m)} |" for m, stem, rule_id in rows]
    return lines


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def report_json(results: list[RuleResult], targets: Sequence[str]) -> str:
    """The --json-report document of DESIGN.md."""
    summary: dict[str, Any] = {
        # str(): a rule that failed to load may carry the title as written (a list, say)
        "rules": len({(str(r.path), str(r.rule_id), str(r.title)) for r in results}),
        "targets": list(targets),
        "by_target": {
            key: _status_counts(r for r in results if r.target == key) for key in targets
        },
        "warnings": sum(len(r.warnings) for r in results),
    }
    document = {"rules": [r.to_json() for r in results], "summary": summary}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _status_counts(results: Iterable[RuleResult]) -> dict[str, int]:
    counts = Counter(r.status for r in results)
    return {status: counts[status] for status in ("converted", "unsupported", "error")}
