"""ES|QL via pySigma's ESQLBackend and the ECS pipelines."""

from __future__ import annotations

from sigma.backends.elasticsearch import ESQLBackend

from converter.pipelines import ECS_PIPELINES
from converter.targets.base import Target, query_format
from converter.targets.elastic import RULE_FORMAT, WINDOWS_INDEXES

TARGET = Target(
    key="esql",
    language="ES|QL",
    backend_class=ESQLBackend,
    pipelines=ECS_PIPELINES,
    maps_fields=True,
    index_patterns=WINDOWS_INDEXES,
    formats={"default": query_format("esql"), **RULE_FORMAT("esql")},
)
