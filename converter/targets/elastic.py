"""Formats and defaults shared by the Elastic targets (lucene, kql, eql, esql)."""

from __future__ import annotations

from converter.targets.base import Format

# Index patterns of the Elastic Agent / Winlogbeat data Windows rules are written for.
WINDOWS_INDEXES = ("logs-windows.*", "logs-system.*", "winlogbeat-*", "logs-endpoint.events.*")


def KIBANA_FORMATS(key: str) -> dict[str, Format]:  # noqa: N802 - reads as a constant table
    return {
        "kibana_ndjson": Format(
            "kibana_ndjson",
            "ndjson",
            "Kibana saved searches (Saved Objects import, one object per rule)",
            f"{key}/kibana_ndjson.ndjson.j2",
        )
    }


def RULE_FORMAT(key: str) -> dict[str, Format]:  # noqa: N802 - reads as a constant table
    return {
        "rule_ndjson": Format(
            "rule_ndjson",
            "ndjson",
            "Elastic Security detection rules (rule import, one rule per line)",
            f"{key}/rule_ndjson.ndjson.j2",
        )
    }
