"""The Kibana Query Language (KQL) engine model: parser (lark), translation to Query DSL, engine."""

from __future__ import annotations

from converter.engines.kql.engine import KqlEngine, KqlQuery
from converter.engines.kql.parser import parse

__all__ = ["KqlEngine", "KqlQuery", "parse"]
