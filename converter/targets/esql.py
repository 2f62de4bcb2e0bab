"""ES|QL via pySigma's ESQLBackend and the ECS pipelines."""

from __future__ import annotations

from sigma.backends.elasticsearch.elasticsearch_esql import ESQLBackend

from converter.pipelines import ECS_PIPELINES
from converter.targets.base import Target, query_format
from converter.targets.elastic import RULE_FORMAT, WINDOWS_INDEXES, RefuseKeywords


class ElasticEsqlBackend(RefuseKeywords, ESQLBackend):
    """ESQLBackend that says why keyword (unbound value) conditions cannot be converted."""

    keyword_reason = "ES|QL has no field-less match over all fields of an event"


# The parity profile's backend subclasses the one above, so it is imported after it.
from converter.targets.esql_parity import EsqlParityBackend  # noqa: E402

TARGET = Target(
    key="esql",
    engine="esql",
    language="ES|QL",
    backend_class=ElasticEsqlBackend,
    parity_class=EsqlParityBackend,
    pipelines=ECS_PIPELINES,
    maps_fields=True,
    index_patterns=WINDOWS_INDEXES,
    formats={"default": query_format("esql"), **RULE_FORMAT("esql")},
)
