"""Elasticsearch query_string (Lucene syntax) engine model: lexer, parser, DSL builder, engine."""

from __future__ import annotations

from converter.engines.lucene.engine import LuceneEngine, LuceneQuery
from converter.engines.lucene.errors import ModelLimit

__all__ = ["LuceneEngine", "LuceneQuery", "ModelLimit"]
