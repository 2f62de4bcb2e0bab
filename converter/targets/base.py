"""The description of a target: its language, backend, default pipelines and output formats.

A target module defines one backend (mostly a token table) and one ``TARGET`` constant; everything
else (CLI choices, parity harness, outputs/ layout) is derived from the registry of those constants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sigma.conversion.base import Backend
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError

from converter.results import ConversionWarning, Direction

DEFAULT_FORMAT = "default"


@dataclass(frozen=True)
class Format:
    """An output format: plain queries (no template) or an artifact rendered from a template."""

    name: str
    extension: str
    description: str
    template: str | None = None  # path below templates/, e.g. "splunk/savedsearches.conf.j2"

    @property
    def is_artifact(self) -> bool:
        return self.template is not None


@dataclass(frozen=True)
class Target:
    """One output language and how sigma-parity produces it."""

    key: str
    language: str
    backend_class: type[Backend]
    formats: Mapping[str, Format]
    default_format: str = DEFAULT_FORMAT
    # Pipeline per logsource family (see converter.pipelines.pipeline_family); missing: none.
    pipelines: Mapping[str, str] = field(default_factory=dict)
    # True when the default pipeline renames fields, so a field left as-is is worth a warning.
    maps_fields: bool = False
    index_patterns: tuple[str, ...] = ()
    backend_options: Mapping[str, Any] = field(default_factory=dict)
    # The engine model (a key of converter.engines.ENGINES) that must accept every query.
    engine: str | None = None
    # The backend takes the field-type schema (``schema=`` keyword), e.g. to pick KQL forms.
    takes_schema: bool = False
    # The parity profile's backend (a subclass of backend_class with overrides); None: the
    # target has no overrides and emits the same in both profiles. It always takes ``schema=``.
    parity_class: type[Backend] | None = None

    def backend_for(self, profile: str) -> tuple[type[Backend], bool]:
        """The backend class of ``profile`` and whether it takes the ``schema=`` keyword."""
        if profile == "parity" and self.parity_class is not None:
            return self.parity_class, True
        return self.backend_class, self.takes_schema

    @property
    def default_pipeline(self) -> str | None:
        return self.pipelines.get("windows")

    def format(self, name: str | None) -> Format:
        return self.formats[name or self.default_format]


def query_format(extension: str, description: str = "one query per rule") -> Format:
    return Format(DEFAULT_FORMAT, extension, description)


def reset_warnings(backend: object) -> None:
    """Forget the warnings of the previous rule (any backend; only collectors have some)."""
    backend.__dict__["conversion_warnings"] = []


def take_warnings(backend: object) -> list[ConversionWarning]:
    found: list[ConversionWarning] = backend.__dict__.get("conversion_warnings", [])
    return list(found)


class QuotedFieldGuard:
    """Mixin refusing field names that could end the quotes a backend puts around them.

    pySigma's Splunk backend quotes a field name with ``"`` but does not escape one inside it,
    so a field named ``a" OR "b`` becomes ``"a" OR "b"="x"``: a query that means something else.
    """

    def escape_and_quote_field(self, field_name: str) -> str:
        if _UNSAFE_FIELD.search(field_name):
            raise SigmaFeatureNotSupportedByBackendError(
                f"field name {field_name!r} holds a quote, backslash or control character, "
                "which the query language cannot quote safely"
            )
        quoted: str = super().escape_and_quote_field(field_name)  # type: ignore[misc]
        return quoted


_UNSAFE_FIELD = re.compile(r'["\\\x00-\x1f]')


class WarningCollector:
    """Mixin for backends that declare where a query may over- or under-match the rule.

    The conversion core empties ``conversion_warnings`` before each rule and reads it after.
    """

    conversion_warnings: list[ConversionWarning]

    def warn(self, cause: str, direction: Direction, message: str) -> None:
        if not hasattr(self, "conversion_warnings"):
            self.conversion_warnings = []
        self.conversion_warnings.append(ConversionWarning(cause, direction, message))
