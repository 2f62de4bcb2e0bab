"""Project defaults from the ``[tool.sigma-parity]`` table of the nearest pyproject.toml.

Paths in the table are relative to the pyproject.toml that holds it. Command-line flags override
the table: a flag given replaces the table's value for that key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from converter.errors import ConfigError

_KNOWN_KEYS = {"pipelines", "schema", "exceptions", "profile"}


@dataclass(frozen=True)
class ProjectConfig:
    path: Path | None = None
    pipelines: tuple[str, ...] = ()
    schema: str | None = None
    exceptions: str | None = None
    profile: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None) -> ProjectConfig:
    path = find_pyproject((start or Path.cwd()).resolve())
    if path is None:
        return ProjectConfig()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("sigma-parity")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read [tool.sigma-parity]: {e}", path) from e
    if not table:
        return ProjectConfig(path)
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s) in [tool.sigma-parity]: {', '.join(unknown)}", path)
    return _from_table(path, table)


def _from_table(path: Path, table: dict[str, Any]) -> ProjectConfig:
    pipelines = table.get("pipelines", [])
    if not isinstance(pipelines, list) or not all(isinstance(p, str) for p in pipelines):
        raise ConfigError("[tool.sigma-parity] pipelines must be a list of strings", path)
    return ProjectConfig(
        path=path,
        pipelines=tuple(_relative(path, p) for p in pipelines),
        schema=_relative(path, table["schema"]) if "schema" in table else None,
        exceptions=_relative(path, table["exceptions"]) if "exceptions" in table else None,
        profile=table.get("profile"),
    )


def _relative(pyproject: Path, spec: str) -> str:
    """A pipeline file path relative to the pyproject.toml; pipeline names stay as they are."""
    candidate = pyproject.parent / spec
    looks_like_file = spec.endswith((".yml", ".yaml", ".json")) or "/" in spec
    return str(candidate) if looks_like_file else spec
