"""Command-line option handling shared by ``convert`` and ``check``: project defaults and checks.

Flags override the ``[tool.sigma-parity]`` table; each helper fails fast with a ConfigError (a
usage error) instead of once per rule.
"""

from __future__ import annotations

from pathlib import Path

from converter.config import load_config
from converter.errors import ConfigError
from converter.pipelines import resolve
from converter.schema.model import Schema

PROFILES = {
    "parity": "queries that mean what the rule means on the schema, or warn where they cannot",
    "stock": "what the pySigma backends (and our own for kql, python) emit, unchanged",
}
DEFAULT_PROFILE = "parity"


def pipeline_specs(flags: tuple[str, ...]) -> tuple[str, ...]:
    specs = flags or load_config().pipelines
    for spec in specs:  # fail fast with a usage error rather than once per rule
        resolve([spec])
    return tuple(specs)


def schema_path(flag: Path | None) -> str | None:
    """The mapping file to use, loaded once here so a bad one is a usage error, not 3000."""
    chosen = str(flag) if flag is not None else load_config().schema
    if chosen is not None:
        Schema.load(Path(chosen))
    return chosen


def chosen_profile(flag: str | None) -> str:
    chosen = flag or load_config().profile or DEFAULT_PROFILE
    if chosen not in PROFILES:
        raise ConfigError(
            f"unknown profile {chosen!r} in [tool.sigma-parity] (profiles: {', '.join(PROFILES)})"
        )
    return chosen
