"""Engine models, one per query language, and the registry the harness and convert use.

Each model answers what the real engine would answer for a query and an event; see base.py for
the interface and docs/engines.md for the cited semantics.
"""

from __future__ import annotations

from collections.abc import Callable

from converter.engines.base import CompiledQuery, Engine, NotModelled, QueryRejected
from converter.schema.model import Schema


def _spl() -> type[Engine]:
    from converter.engines.spl.engine import SplEngine

    return SplEngine


def _lucene() -> type[Engine]:
    from converter.engines.lucene.engine import LuceneEngine

    return LuceneEngine


def _kql() -> type[Engine]:
    from converter.engines.kql.engine import KqlEngine

    return KqlEngine


def _eql() -> type[Engine]:
    from converter.engines.eql import EqlEngine

    return EqlEngine


def _esql() -> type[Engine]:
    from converter.engines.esql.engine import EsqlEngine

    return EsqlEngine


def _python() -> type[Engine]:
    from converter.engines.python import PythonEngine

    return PythonEngine


# Imported on first use: each model pulls in its own grammar and parser.
ENGINES: dict[str, Callable[[], type[Engine]]] = {
    "spl": _spl,
    "lucene": _lucene,
    "kql": _kql,
    "eql": _eql,
    "esql": _esql,
    "python": _python,
}


def engine(key: str, schema: Schema | None = None) -> Engine:
    """A new model of the engine ``key`` (a key of ENGINES) over ``schema`` (default ECS)."""
    return ENGINES[key]()(schema)


__all__ = ["ENGINES", "CompiledQuery", "Engine", "NotModelled", "QueryRejected", "engine"]
