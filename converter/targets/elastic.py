"""Formats and defaults shared by the Elastic targets (lucene, kql, eql, esql)."""

from __future__ import annotations

from typing import Any, ClassVar

from sigma.conditions import ConditionValueExpression
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError

from converter.targets.base import Format

# Index patterns of the Elastic Agent / Winlogbeat data Windows rules are written for.
WINDOWS_INDEXES = ("logs-windows.*", "logs-system.*", "winlogbeat-*", "logs-endpoint.events.*")


def KIBANA_FORMATS(key: str) -> dict[str, Format]:
    return {
        "kibana_ndjson": Format(
            "kibana_ndjson",
            "ndjson",
            "Kibana saved searches (Saved Objects import, one object per rule)",
            f"{key}/kibana_ndjson.ndjson.j2",
        )
    }


def RULE_FORMAT(key: str) -> dict[str, Format]:
    return {
        "rule_ndjson": Format(
            "rule_ndjson",
            "ndjson",
            "Elastic Security detection rules (rule import, one rule per line)",
            f"{key}/rule_ndjson.ndjson.j2",
        )
    }


class RefuseKeywords:
    """Mixin for backends whose language has no field-less (full-text) match.

    pySigma's default is a generic NotImplementedError or, for EQL, a bare string the engine
    rejects; this says why the rule cannot be expressed.
    """

    keyword_reason: ClassVar[str]

    def convert_condition_val(self, cond: ConditionValueExpression, state: ConversionState) -> Any:
        raise SigmaFeatureNotSupportedByBackendError(
            f"keyword (full-text) search: {self.keyword_reason}", source=cond.source
        )
