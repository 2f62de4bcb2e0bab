"""The schema the Elastic engine models and the parity profile consult: one FieldSpec per field.

Elasticsearch matches on what the index mapping made of a value, not on the JSON value, so every
Elastic engine model asks ``schema.field(name)``. The built-in schema is ECS (converter.schema.ecs);
``Schema.from_mapping`` reads a user's own index mapping, the JSON of ``GET <index>/_mapping``
(https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-indices-get-mapping).
Fields the schema does not know count as keyword (DESIGN.md); ``Schema.has`` tells them apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from converter.errors import ConfigError
from converter.schema import ecs

# ECS sets ignore_above 1024 on its keyword fields (ECS field reference, "keyword" fields);
# longer values are not indexed, so no term/wildcard/exists query finds them.
ECS_IGNORE_ABOVE = 1024


@dataclass(frozen=True)
class FieldSpec:
    """What the mapping made of one field."""

    name: str
    type: str  # keyword, wildcard, text, match_only_text, ip, long, date, boolean, ...
    normalizer: str | None = None  # keyword fields only, e.g. "lowercase"
    ignore_above: int | None = None  # keyword fields only
    analyzer: str = "standard"  # text fields only
    known: bool = True  # False: not in the schema, treated as keyword

    @property
    def is_keyword(self) -> bool:
        return self.type in ecs.KEYWORD_TYPES

    @property
    def is_text(self) -> bool:
        return self.type in ecs.TEXT_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.type in ecs.NUMERIC_TYPES


class Schema:
    """Field name -> FieldSpec, with unknown fields as keyword."""

    def __init__(self, fields: Mapping[str, FieldSpec], source: str) -> None:
        self._fields = dict(fields)
        self.source = source

    def field(self, name: str) -> FieldSpec:
        spec = self._fields.get(name)
        return spec if spec is not None else FieldSpec(name, ecs.KEYWORD, known=False)

    def has(self, name: str) -> bool:
        return name in self._fields

    def names(self) -> list[str]:
        return sorted(self._fields)

    @classmethod
    def from_mapping(cls, document: Mapping[str, Any], source: str = "mapping") -> Schema:
        """A schema from ``GET <index>/_mapping`` JSON (one or more indices; later ones win)."""
        fields: dict[str, FieldSpec] = {}
        for index_name, body in document.items():
            mappings = body.get("mappings") if isinstance(body, Mapping) else None
            if not isinstance(mappings, Mapping):
                raise ConfigError(f"{source}: index {index_name!r} has no 'mappings' object")
            fields.update({spec.name: spec for spec in _walk(mappings.get("properties", {}), "")})
        return cls(fields, source)

    @classmethod
    def load(cls, path: Path) -> Schema:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"cannot read index mapping: {e}", path) from e
        if not isinstance(document, dict):
            raise ConfigError("index mapping must be a JSON object of indices", path)
        return cls.from_mapping(document, str(path))


def _walk(properties: Mapping[str, Any], prefix: str) -> Iterator[FieldSpec]:
    """Flatten mapping properties, including object sub-properties and multi-fields."""
    for name, body in properties.items():
        if not isinstance(body, Mapping):
            continue
        full = f"{prefix}{name}"
        if "properties" in body:
            yield from _walk(body["properties"], f"{full}.")
        if "type" in body and body["type"] not in ("object", "nested"):
            yield _spec(full, body)
        yield from _walk(body.get("fields", {}), f"{full}.")


def _spec(name: str, body: Mapping[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=name,
        type=str(body["type"]),
        normalizer=body.get("normalizer"),
        ignore_above=body.get("ignore_above"),
        analyzer=str(body.get("analyzer", "standard")),
    )


@cache
def ecs_schema() -> Schema:
    """The built-in schema: every field the ECS pipelines emit, typed as ECS documents them."""
    fields = {}
    for name, type_ in ecs.ECS_FIELD_TYPES.items():
        keyword = type_ in ("keyword", "constant_keyword")
        fields[name] = FieldSpec(
            name,
            type_,
            normalizer=ecs.normalizer(name),
            ignore_above=ECS_IGNORE_ABOVE if keyword else None,
            analyzer=ecs.analyzer(name),
        )
    return Schema(fields, "built-in ECS")
