"""The project's error hierarchy; the CLI turns these into one-line messages."""

from __future__ import annotations

from pathlib import Path


class ConverterError(Exception):
    """An error with an optional source location (file and line)."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class RuleLoadError(ConverterError):
    """A rule file could not be read or parsed."""


class UnsupportedError(ConverterError):
    """The target language cannot express (part of) the rule."""


class ConfigError(ConverterError):
    """Bad project configuration or command-line input (a usage error)."""


class TemplateRenderError(ConverterError):
    """An artifact template failed to render."""
