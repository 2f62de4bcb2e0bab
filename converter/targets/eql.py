"""Elasticsearch EQL via pySigma's EqlBackend and the ECS pipelines.

EQL has no full-text search: Elasticsearch rejects a bare string as a condition
(``any where "foo"`` fails with "Condition expression needs to be boolean"), which is what the
upstream backend emits for keyword rules. Such rules are unsupported here instead of silently
producing a query the engine refuses.
"""

from __future__ import annotations

from sigma.backends.elasticsearch.elasticsearch_eql import EqlBackend

from converter.pipelines import ECS_PIPELINES
from converter.targets.base import Target, query_format
from converter.targets.elastic import RULE_FORMAT, WINDOWS_INDEXES, RefuseKeywords


class ElasticEqlBackend(RefuseKeywords, EqlBackend):
    """EqlBackend that refuses keyword (unbound value) conditions."""

    keyword_reason = (
        "EQL has no field-less match and Elasticsearch rejects a bare string as a condition"
    )


# The parity profile's backend subclasses the one above, so it is imported after it.
from converter.targets.eql_parity import EqlParityBackend  # noqa: E402

TARGET = Target(
    key="eql",
    engine="eql",
    language="Elasticsearch EQL",
    backend_class=ElasticEqlBackend,
    parity_class=EqlParityBackend,
    pipelines=ECS_PIPELINES,
    maps_fields=True,
    index_patterns=WINDOWS_INDEXES,
    formats={"default": query_format("eql"), **RULE_FORMAT("eql")},
)
