"""Real-world KQL coverage: our kql target's output for SigmaHQ and Elastic's kuery rules parse."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from converter.engines.base import QueryRejected
from converter.engines.kql import KqlEngine

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def _failures(queries: list[tuple[str, str]]) -> list[str]:
    engine = KqlEngine()
    failed = []
    for name, query in queries:
        try:
            engine.compile(query)
        except QueryRejected as e:
            failed.append(f"{name}: {e}: {query[:200]!r}")
    return failed


def test_sigmahq_kql_target_output_parses(shared: Path) -> None:
    from converter.batch import convert_files
    from converter.conversion import Settings
    from converter.loader import find_rule_files
    from converter.targets import TARGETS

    if "kql" not in TARGETS:
        pytest.skip("the kql target is not registered yet")

    files, _ = find_rule_files([shared / "sigmahq" / "rules"])
    results = convert_files(
        files, Settings(["kql"], validate=False, profile="stock"), jobs=2, progress=False
    )
    queries = [(str(r.path), r.query) for r in results if r.status == "converted" and r.query]
    assert queries, "no converted kql queries"
    failed = _failures(queries)
    rate = 1 - len(failed) / len(queries)
    print(f"kql target: {len(queries) - len(failed)}/{len(queries)} parse ({rate:.2%})")
    assert rate >= 0.99, "\n".join(failed[:50])


def _catalog(shared: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted((shared / "catalogs" / "elastic-detection-rules" / "rules").rglob("*.toml")):
        rule = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", {})
        if rule.get("language") == "kuery" and isinstance(rule.get("query"), str):
            found.append((path.name, rule["query"]))
    return found


def test_elastic_catalog_kuery_rules_parse(shared: Path) -> None:
    queries = _catalog(shared)
    assert queries, "no kuery rules in the Elastic catalog"
    failed = _failures(queries)
    rate = 1 - len(failed) / len(queries)
    print(f"Elastic kuery rules: {len(queries) - len(failed)}/{len(queries)} parse ({rate:.2%})")
    assert rate >= 1.0, "\n".join(failed)
