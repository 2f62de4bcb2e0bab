"""Behaviours of KQL the sources leave open; the model assumes them (docs/engines.md)."""

from __future__ import annotations

from converter.engines.base import OpenPoint

NESTED = OpenPoint(
    "kql-nested-flattened",
    "path:{ q } is evaluated as q with path-prefixed fields on the flat event: no per-object "
    "correlation, and no error when the index does not map the path as nested",
)
FIELD_PATTERN_MATCH = OpenPoint(
    "kql-field-pattern-match",
    "a literal or range on a field-name pattern that Kibana sends as written (detection rules) "
    "finds nothing: match/match_phrase/range do not expand field-name patterns",
)
NULL_VALUE = OpenPoint(
    "kql-null-value",
    "an unquoted null value (f:null) makes Kibana send a match/term without a value, which "
    "Elasticsearch refuses; a null range bound is left unbounded",
)

ALL = (NESTED, FIELD_PATTERN_MATCH, NULL_VALUE)
