"""Converting many rule files, in parallel worker processes when it pays off.

Each worker builds its backends once and then reads, parses and converts whole files, so a rule's
YAML is read once for every target. Results come back in input order.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from tqdm import tqdm

from converter.conversion import Converter, Settings
from converter.loader import load_rule_file
from converter.results import RuleResult
from converter.writers import TreeWriter

# Below this many files, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 24

_worker: tuple[Converter, TreeWriter | None] | None = None


def _init_worker(settings: Settings, writer: TreeWriter | None) -> None:
    global _worker
    _worker = (Converter(settings), writer)


def _convert_path(path: Path) -> list[RuleResult]:
    assert _worker is not None, "worker not initialised"
    converter, writer = _worker
    results = converter.convert_source(load_rule_file(path))
    return writer.write_source(results) if writer is not None else results


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def convert_files(
    files: Sequence[Path],
    settings: Settings,
    jobs: int | None = None,
    progress: bool = True,
    writer: TreeWriter | None = None,
) -> list[RuleResult]:
    """Convert every file for every target in ``settings``; never raises for a bad rule.

    With a ``writer``, each file's outputs are written by the process that converted it.
    """
    jobs = jobs or default_jobs()
    show = progress and sys.stderr.isatty() and len(files) > _PARALLEL_THRESHOLD
    bar = tqdm(total=len(files), unit="file", file=sys.stderr, disable=not show, leave=False)
    results: list[RuleResult] = []
    with bar:
        for file_results in _iter_results(files, settings, jobs, writer):
            results.extend(file_results)
            bar.update(1)
    return results


def _iter_results(
    files: Sequence[Path], settings: Settings, jobs: int, writer: TreeWriter | None
) -> Iterator[list[RuleResult]]:
    if jobs <= 1 or len(files) < _PARALLEL_THRESHOLD:
        _init_worker(settings, writer)
        yield from map(_convert_path, files)
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    chunk = max(1, min(32, len(files) // (jobs * 8)))
    with context.Pool(jobs, initializer=_init_worker, initargs=(settings, writer)) as pool:
        yield from pool.imap(_convert_path, files, chunksize=chunk)
