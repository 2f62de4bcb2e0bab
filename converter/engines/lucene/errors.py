"""Errors of the Lucene engine model that are not the real engine's refusals."""

from __future__ import annotations

from converter.engines.base import NotModelled


class ModelLimit(NotModelled):
    """The real engine accepts the query, but this model does not evaluate the construct."""
