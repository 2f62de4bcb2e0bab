"""SPL engine parse coverage on real queries: every SigmaHQ rule converted to Splunk.

The few failures are pySigma SplunkBackend output that Splunk itself would refuse (a deferred
``| search OR ...`` with nothing left of the OR); they are listed when the floor is missed.
Elastic's catalog has no SPL; splunk/security_content coverage is reported in
docs/engines.md (bench-style, not asserted: its searches rely on macros and tstats).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from converter.engines.base import QueryRejected
from converter.engines.spl import NotModelled, SplEngine

pytestmark = [pytest.mark.shared, pytest.mark.slow]

FLOOR = 0.99


def _splunk_queries(shared: Path) -> list[tuple[str, str]]:
    from converter.batch import convert_files
    from converter.conversion import Settings
    from converter.loader import find_rule_files

    files, _ = find_rule_files([shared / "sigmahq" / "rules"])
    results = convert_files(
        files, Settings(["splunk"], validate=False, profile="stock"), jobs=2, progress=False
    )
    return [(str(r.path), r.query) for r in results if r.status == "converted" and r.query]


def test_sigmahq_splunk_queries_parse(shared: Path) -> None:
    queries = _splunk_queries(shared)
    engine = SplEngine()
    failures: list[str] = []
    for path, query in queries:
        try:
            engine.compile(query)
        except (QueryRejected, NotModelled) as exc:
            failures.append(f"{path}: {exc}")
    rate = 1 - len(failures) / len(queries)
    assert queries, "no converted queries"
    assert rate >= FLOOR, f"{rate:.2%} parse; failures:\n" + "\n".join(failures)
