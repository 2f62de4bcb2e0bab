"""Which pySigma processing pipelines apply to a rule, and resolving user-given pipelines.

Field and logsource mapping lives only in pipelines: the backends and templates never rename a
field. The default pipelines are for Windows logsources; other logsources get the pySigma pipeline
that fits their product where one exists, and none otherwise.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType

import sigma.pipelines
from sigma.pipelines.base import Pipeline
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
    return ProcessingPipelineResolver(dict(_factories()))


# pySigma's own modules in the sigma.pipelines namespace that are not pipeline plugins.
_NOT_PLUGINS = frozenset({"base", "common", "test"})


@cache
def _factories() -> dict[str, Callable[[], ProcessingPipeline]]:
    """Pipeline name -> factory, from the installed plugins of the sigma.pipelines namespace.

    Not InstalledSigmaPlugins.autodiscover(): it imports pySigma's sigma.pipelines.test, whose
    import changes how the real sysmon pipeline applies for the rest of the process (a process-
    creation rule then gets no Sysmon EventID), and it offers those test pipelines under pytest.
    """
    found: dict[str, Callable[[], ProcessingPipeline]] = {}
    for info in pkgutil.iter_modules(sigma.pipelines.__path__, "sigma.pipelines."):
        if info.name.rsplit(".", 1)[1] in _NOT_PLUGINS:
            continue
        module = importlib.import_module(info.name)
        exported = getattr(module, "pipelines", None)
        found.update(exported if isinstance(exported, dict) else _annotated(module))
    return found


def _annotated(module: ModuleType) -> dict[str, Callable[[], ProcessingPipeline]]:
    """Plugins without a `pipelines` dict (pysigma-pipeline-sysmon): their `<name>_pipeline`
    factories, recognised as pySigma's discovery recognises them."""
    found = {}
    for attr, value in vars(module).items():
        returns = getattr(value, "__annotations__", {}).get("return")
        # A pySigma @Pipeline object, or a function annotated (maybe as a string) to return one.
        factory = isinstance(value, Pipeline) or returns in (
            ProcessingPipeline,
            "ProcessingPipeline",
        )
        if attr.endswith("_pipeline") and factory:
            found[attr.removesuffix("_pipeline")] = value
    return found


def known_pipelines() -> list[str]:
    return sorted(_factories())


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
