"""Real-world coverage of the EQL engine model: our eql target's output and Elastic's catalog.

(a) every query the eql target emits for the SigmaHQ rules must be valid EQL syntax; the ones that
are not are listed, by cause. Queries that parse but fail Elasticsearch's type checks are measured
too (docs/engines.md lists the causes): the engine is right to refuse them.
(b) every EQL query of Elastic's detection-rules catalog must parse and type-check.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from converter.engines.base import QueryRejected
from converter.engines.eql import EqlEngine
from converter.engines.eql.parser import parse

pytestmark = [pytest.mark.shared, pytest.mark.slow]

# Measured (docs/engines.md): syntax 2987/3051 = 97.9 %, accepted 2718/3051 = 89.1 %,
# Elastic catalog 1011/1011 = 100 %.
SIGMA_SYNTAX_GOAL = 0.99
SIGMA_ACCEPTED_FLOOR = 0.89
CATALOG_FLOOR = 0.99


def _sigma_queries(shared: Path) -> list[str]:
    from converter.batch import convert_files
    from converter.conversion import Settings
    from converter.loader import find_rule_files

    files, _ = find_rule_files([shared / "sigmahq" / "rules"])
    results = convert_files(
        files, Settings(["eql"], validate=False, profile="stock"), jobs=2, progress=False
    )
    return [r.query for r in results if r.status == "converted" and r.query]


def _failures(queries: list[str], check: object) -> list[tuple[str, str]]:
    failed = []
    for query in queries:
        try:
            check(query)  # type: ignore[operator]
        except QueryRejected as e:
            failed.append((str(e), query))
    return failed


def _report(failed: list[tuple[str, str]]) -> str:
    causes = Counter(reason.split(" at line")[0][:80] for reason, _ in failed)
    return "\n".join(f"{count:5d}  {cause}" for cause, count in causes.most_common())


@pytest.mark.xfail(
    strict=True,
    reason="eql target emits escapes Elasticsearch's lexer refuses (\\* in wildcard values, \\/ in "
    "regexes) and unquoted field names with '-' or '*' (zeek.*.path, cs-uri-query): "
    "docs/engines.md 'What our target emits'",
)
def test_sigma_output_parses(shared: Path) -> None:
    queries = _sigma_queries(shared)
    assert queries
    failed = _failures(queries, parse)
    rate = 1 - len(failed) / len(queries)
    print(f"\nEQL syntax: {len(queries) - len(failed)}/{len(queries)} = {rate:.2%}")
    print(_report(failed))
    assert rate >= SIGMA_SYNTAX_GOAL, _report(failed)


def test_sigma_output_type_checks(shared: Path) -> None:
    queries = _sigma_queries(shared)
    failed = _failures(queries, EqlEngine().compile)
    rate = 1 - len(failed) / len(queries)
    print(f"\nEQL accepted: {len(queries) - len(failed)}/{len(queries)} = {rate:.2%}")
    print(_report(failed))
    assert rate >= SIGMA_ACCEPTED_FLOOR, _report(failed)


def _catalog_queries(shared: Path) -> list[str]:
    queries = []
    for path in sorted((shared / "catalogs" / "elastic-detection-rules" / "rules").rglob("*.toml")):
        rule = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", {})
        if rule.get("language") == "eql" and "query" in rule:
            queries.append(rule["query"])
    return queries


def test_elastic_catalog_parses(shared: Path) -> None:
    queries = _catalog_queries(shared)
    if not queries:
        pytest.skip("Elastic detection-rules catalog absent")
    failed = _failures(queries, EqlEngine().compile)
    rate = 1 - len(failed) / len(queries)
    print(f"\nElastic EQL catalog: {len(queries) - len(failed)}/{len(queries)} = {rate:.2%}")
    assert rate >= CATALOG_FLOOR, _report(failed)
