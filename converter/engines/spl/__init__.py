"""Splunk SPL engine model: parse a query the way Splunk would and test events against it."""

from __future__ import annotations

from converter.engines.spl.engine import SplEngine, SplQuery
from converter.engines.spl.errors import NotModelled

__all__ = ["NotModelled", "SplEngine", "SplQuery"]
