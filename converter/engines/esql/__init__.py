"""The ES|QL engine model (parser in grammar.py, evaluation in evaluator.py and engine.py)."""

from __future__ import annotations

from converter.engines.esql.engine import EsqlEngine, EsqlQuery

__all__ = ["EsqlEngine", "EsqlQuery"]
