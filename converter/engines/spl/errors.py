"""Errors of the SPL model besides QueryRejected (which means: Splunk itself refuses the query)."""

from __future__ import annotations

from converter.engines.base import NotModelled

__all__ = ["NotModelled"]
