"""The target registry: the one dict the CLI, the parity harness and outputs/ derive from."""

from __future__ import annotations

from converter.targets import eql, esql, kql, lucene, python, splunk
from converter.targets.base import Format, Target

TARGETS: dict[str, Target] = {
    target.key: target
    for target in (
        splunk.TARGET,
        lucene.TARGET,
        kql.TARGET,
        eql.TARGET,
        esql.TARGET,
        python.TARGET,
    )
}

__all__ = ["TARGETS", "Format", "Target"]
