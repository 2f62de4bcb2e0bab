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

# Below this many files, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 24

_worker: Converter | None = None


def _init_worker(settings: Settings) -> None:
    global _worker
    _worker = Converter(settings)


def _convert_path(path: Path) -> list[RuleResult]:
    assert _worker is not None, "worker not initialised"
    return _worker.convert_source(load_rule_file(path))


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def convert_files(
    files: Sequence[Path], settings: Settings, jobs: int | None = None, progress: bool = True
) -> list[RuleResult]:
    """Convert every file for every target in ``settings``; never raises for a bad rule."""
    jobs = jobs or default_jobs()
    show = progress and sys.stderr.isatty() and len(files) > _PARALLEL_THRESHOLD
    bar = tqdm(total=len(files), unit="file", file=sys.stderr, disable=not show, leave=False)
    results: list[RuleResult] = []
    with bar:
        for file_results in _iter_results(files, settings, jobs):
            results.extend(file_results)
            bar.update(1)
    return results


def _iter_results(
    files: Sequence[Path], settings: Settings, jobs: int
) -> Iterator[list[RuleResult]]:
    if jobs <= 1 or len(files) < _PARALLEL_THRESHOLD:
        converter = Converter(settings)
        for path in files:
            yield converter.convert_source(load_rule_file(path))
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    chunk = max(1, min(32, len(files) // (jobs * 8)))
    with context.Pool(jobs, initializer=_init_worker, initargs=(settings,)) as pool:
        yield from pool.imap(_convert_path, files, chunksize=chunk)
