"""Elasticsearch query_string (Lucene) via pySigma's LuceneBackend and the ECS pipelines."""

from __future__ import annotations

from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend

from converter.pipelines import ECS_PIPELINES
from converter.targets.base import Target, query_format
from converter.targets.elastic import KIBANA_FORMATS, RULE_FORMAT, WINDOWS_INDEXES
from converter.targets.lucene_parity import LuceneParityBackend

TARGET = Target(
    key="lucene",
    engine="lucene",
    language="Elasticsearch query_string (Lucene)",
    backend_class=LuceneBackend,
    parity_class=LuceneParityBackend,
    pipelines=ECS_PIPELINES,
    maps_fields=True,
    index_patterns=WINDOWS_INDEXES,
    formats={
        "default": query_format("lucene"),
        **KIBANA_FORMATS("lucene"),
        **RULE_FORMAT("lucene"),
    },
)
