"""Parse coverage of the Lucene engine model on real queries (docs/engines.md records rates).

(a) every query the lucene target emits for SigmaHQ's rules must parse (goal 100 %, floor 99 %);
(b) Elastic's detection-rules catalog: every rule with ``language = "lucene"`` (goal >= 95 %).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from converter.batch import convert_files
from converter.conversion import Settings
from converter.engines.base import QueryRejected
from converter.engines.lucene import LuceneEngine, ModelLimit
from converter.loader import find_rule_files

pytestmark = [pytest.mark.shared, pytest.mark.slow]

ENGINE = LuceneEngine()


def _failures(queries: list[str]) -> list[str]:
    failed = []
    for query in queries:
        try:
            ENGINE.compile(query)
        except (QueryRejected, ModelLimit) as e:
            failed.append(f"{e}: {query[:200]}")
    return failed


def test_sigmahq_queries_parse(shared: Path) -> None:
    files, _ = find_rule_files([shared / "sigmahq" / "rules"])
    results = convert_files(
        files, Settings(["lucene"], validate=False, profile="stock"), jobs=2, progress=False
    )
    queries = [r.query for r in results if r.status == "converted" and r.query]
    assert queries, "no converted queries"
    failed = _failures(queries)
    rate = 1 - len(failed) / len(queries)
    assert rate >= 0.99, f"{rate:.2%} parsed; failures:\n" + "\n".join(failed)


def _catalog_queries(root: Path) -> list[str]:
    queries = []
    for path in sorted(root.rglob("*.toml")):
        rule = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", {})
        if rule.get("language") == "lucene" and isinstance(rule.get("query"), str):
            queries.append(rule["query"])
    return queries


def test_elastic_catalog_lucene_parses(shared: Path) -> None:
    root = shared / "catalogs" / "elastic-detection-rules" / "rules"
    if not root.is_dir():
        pytest.skip("Elastic detection-rules catalog absent")
    queries = _catalog_queries(root)
    assert queries, "no lucene rules in the catalog"
    failed = _failures(queries)
    rate = 1 - len(failed) / len(queries)
    # Measured: 1 of 1 (the catalog holds a single lucene rule, in _deprecated/).
    assert rate >= 1.0, f"{rate:.2%} parsed; failures:\n" + "\n".join(failed)
