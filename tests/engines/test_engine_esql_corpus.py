"""ES|QL engine model on real queries: our esql target's output for SigmaHQ, and Elastic's catalog.

(a) Every query the esql target emits for the SigmaHQ rules parses. Queries whose string literals
    carry an escape the ES|QL lexer does not know (only \\t \\n \\r \\" \\\\ exist; lexer
    QUOTED_STRING) are rejected by the real engine: they are detected here independently of our
    parser, must be rejected, and are listed, not counted as parser failures of ours.
(b) Elastic's detection rules written in ES|QL parse and type-check.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from converter.engines.base import QueryRejected
from converter.engines.esql import EsqlEngine
from converter.engines.esql.grammar import parse

pytestmark = [pytest.mark.shared, pytest.mark.slow]

_STRING = re.compile(r'"""[^\r\n]*?""""?"?|"(?:[^"\\\r\n]|\\.)*"')
_BAD_ESCAPE = re.compile(r'\\[^tnr"\\]')


def unknown_escape(query: str) -> bool:
    """A ``"..."`` literal with an escape outside the lexer's ESCAPE_SEQUENCE set."""
    return any(
        not m.group().startswith('"""') and _BAD_ESCAPE.search(re.sub(r"\\\\", "", m.group()))
        for m in _STRING.finditer(query)
    )


@pytest.fixture(scope="module")
def sigma_queries(shared: Path) -> list[str]:
    from converter.batch import convert_files
    from converter.conversion import Settings
    from converter.loader import find_rule_files

    files, _ = find_rule_files([shared / "sigmahq" / "rules"])
    results = convert_files(
        files, Settings(["esql"], validate=False, profile="stock"), jobs=2, progress=False
    )
    return [r.query for r in results if r.status == "converted" and r.query]


def _parses(query: str) -> bool:
    try:
        parse(query)
    except QueryRejected:
        return False
    return True


def test_sigma_outputs_parse(sigma_queries: list[str]) -> None:
    known_bad = [q for q in sigma_queries if unknown_escape(q)]
    rest = [q for q in sigma_queries if not unknown_escape(q)]
    accepted_bad = [q for q in known_bad if _parses(q)]
    failures = [q for q in rest if not _parses(q)]
    rate = 1 - len(failures) / len(rest)
    print(f"\n{len(sigma_queries)} queries; {len(known_bad)} have escapes the lexer rejects")
    print(f"parse rate of the rest: {rate:.2%} ({len(failures)} failures)")
    for query in known_bad:
        print("  rejected by the real lexer:", query[:160])
    assert not accepted_bad, accepted_bad[:5]
    assert rate >= 0.99, failures[:20]


def test_sigma_outputs_type_check(sigma_queries: list[str]) -> None:
    """Parsed queries that the analyzer refuses (T15/T18 type errors, bad Lucene regexes)."""
    engine = EsqlEngine()
    parsed = [q for q in sigma_queries if not unknown_escape(q)]
    refused = []
    for query in parsed:
        try:
            engine.compile(query)
        except QueryRejected as e:
            refused.append(f"{e}: {query[:160]}")
    print(f"\nrefused by type/regex checks: {len(refused)} of {len(parsed)}")
    print("\n".join(refused))
    assert len(refused) / len(parsed) <= 0.01


def _catalog(shared: Path) -> list[tuple[str, str]]:
    rules = shared / "catalogs" / "elastic-detection-rules" / "rules"
    if not rules.is_dir():
        pytest.skip("Elastic detection-rules catalog absent")
    found = []
    for path in sorted(rules.rglob("*.toml")):
        rule = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", {})
        if rule.get("language") == "esql":
            found.append((str(path.relative_to(rules)), rule["query"]))
    return found


def test_elastic_catalog_parses(shared: Path) -> None:
    engine = EsqlEngine()
    queries = _catalog(shared)
    failures = []
    for path, query in queries:
        try:
            engine.compile(query)
        except QueryRejected as e:
            failures.append(f"{path}: {e}")
    rate = 1 - len(failures) / len(queries)
    print(f"\nElastic catalog: {len(queries)} ES|QL rules, {rate:.2%} parse and type-check")
    assert rate >= 1.0, failures
