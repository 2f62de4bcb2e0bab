"""Which pySigma processing pipelines apply to a rule, and resolving user-given pipelines.

Field and logsource mapping lives only in pipelines: the backends and templates never rename a
field. The default pipelines are for Windows logsources; other logsources get the pySigma pipeline
that fits their product where one exists, and none otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from sigma.plugins import InstalledSigmaPlugins
from sigma.processing.pipeline import ProcessingPipeline
from sigma.processing.resolver import ProcessingPipelineResolver
from sigma.rule import SigmaLogSource

from converter.errors import ConfigError

ECS_PIPELINES = {
    "windows": "ecs_windows",
    "zeek": "ecs_zeek_beats",
    "kubernetes": "ecs_kubernetes",
    "macos": "ecs_macos_esf",
}
SPLUNK_PIPELINES = {"windows": "splunk_windows"}

# Generic network categories are what ecs_zeek_beats maps when no product is named.
_ZEEK_CATEGORIES = frozenset({"proxy", "webserver", "dns", "firewall", "accounting"})


def pipeline_family(logsource: SigmaLogSource | None) -> str:
    """The key of ECS_PIPELINES / SPLUNK_PIPELINES that fits a rule's logsource ("" for none)."""
    if logsource is None:
        return ""
    product = (logsource.product or "").lower()
    if product in ECS_PIPELINES:
        return product
    if not product and (logsource.category or "").lower() in _ZEEK_CATEGORIES:
        return "zeek"
    return ""


@cache
def _resolver() -> ProcessingPipelineResolver:
    resolver: ProcessingPipelineResolver = _plugins().get_pipeline_resolver()
    return resolver


@cache
def _plugins() -> InstalledSigmaPlugins:
    return InstalledSigmaPlugins.autodiscover()


def known_pipelines() -> list[str]:
    return sorted(_plugins().pipelines)


def resolve(specs: Sequence[str], target: str | None = None) -> ProcessingPipeline:
    """Resolve pipeline names or YAML files into one pipeline ordered by priority."""
    for spec in specs:
        if spec not in known_pipelines() and not Path(spec).is_file():
            raise ConfigError(
                f"unknown pipeline {spec!r}: neither a pipeline name "
                f"({', '.join(known_pipelines())}) nor a pipeline YAML file"
            )
    try:
        return _resolver().resolve(list(specs), target)
    except Exception as e:  # pySigma raises plain ValueErrors and SigmaErrors alike here
        raise ConfigError(f"cannot load pipeline: {e}") from e
