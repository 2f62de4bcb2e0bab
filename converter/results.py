"""What converting one rule for one target produced; shared by the CLI, reports and artifacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["converted", "unsupported", "error"]
Direction = Literal["over-match", "under-match"]


@dataclass(frozen=True)
class ConversionWarning:
    """A declared way the emitted query may differ from what the rule means."""

    cause: str
    direction: Direction
    message: str

    def to_json(self) -> dict[str, str]:
        return {"cause": self.cause, "direction": self.direction, "message": self.message}


@dataclass
class RuleResult:
    """One rule (one YAML document) converted for one target."""

    path: Path
    stem: str  # the rule file's stem: outputs/<target>/<stem>.<ext>
    rule_id: str | None
    title: str
    target: str
    status: Status
    message: str = ""
    queries: list[str] = field(default_factory=list)
    warnings: list[ConversionWarning] = field(default_factory=list)
    # The rule's metadata for artifacts: description, author, level, status, tags, references,
    # falsepositives, date, modified (strings or lists of strings, as in the rule).
    meta: dict[str, Any] = field(default_factory=dict)
    line: int | None = None  # where in the file the error is, when known

    @property
    def query(self) -> str:
        return "\n".join(self.queries)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "line": self.line,
            "id": self.rule_id,
            "title": self.title,
            "target": self.target,
            "status": self.status,
            "message": self.message,
            "query": self.query if self.status == "converted" else None,
            "warnings": [w.to_json() for w in self.warnings],
        }
