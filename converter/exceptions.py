"""The exceptions file of ``check --exceptions``: divergences a team has reviewed and declared.

A YAML list of ``{rule: ID or "*", target, cause, profile, reason}`` (DESIGN.md). An entry with
``rule: "*"`` covers every rule for that target and cause; ``profile`` may be left out to cover
every profile. A divergence that an entry covers gets the verdict ``declared`` instead of
``diverge``; the reason is what a reviewer reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from converter.errors import ConfigError

_KEYS = {"rule", "target", "cause", "profile", "reason"}
_REQUIRED = ("rule", "target", "cause", "reason")


@dataclass(frozen=True)
class Declared:
    rule: str
    target: str
    cause: str
    reason: str
    profile: str | None = None

    def covers(self, rule_id: str, target: str, cause: str, profile: str) -> bool:
        return (
            self.rule in ("*", rule_id)
            and self.target == target
            and cause.startswith(self.cause)
            and self.profile in (None, profile)
        )


def load_exceptions(path: Path) -> list[Declared]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read exceptions file: {e}", path) from e
    if document is None:
        return []
    if not isinstance(document, list):
        raise ConfigError("the exceptions file must be a YAML list of entries", path)
    return [_entry(item, index, path) for index, item in enumerate(document, 1)]


def _entry(item: Any, index: int, path: Path) -> Declared:
    if not isinstance(item, dict):
        raise ConfigError(f"entry {index} is not a mapping", path)
    unknown = sorted(set(item) - _KEYS)
    missing = [key for key in _REQUIRED if not item.get(key)]
    if unknown or missing:
        problem = f"unknown key(s) {', '.join(unknown)}" if unknown else ""
        problem += ("; " if problem and missing else "") + (
            f"missing {', '.join(missing)}" if missing else ""
        )
        raise ConfigError(f"entry {index}: {problem}", path)
    return Declared(
        str(item["rule"]),
        str(item["target"]),
        str(item["cause"]),
        str(item["reason"]),
        str(item["profile"]) if item.get("profile") else None,
    )


def find(
    declared: Sequence[Declared], rule_id: str, target: str, cause: str, profile: str
) -> Declared | None:
    return next((d for d in declared if d.covers(rule_id, target, cause, profile)), None)
