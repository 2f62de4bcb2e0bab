"""Errors of the SPL model besides QueryRejected (which means: Splunk itself refuses the query)."""

from __future__ import annotations

from converter.errors import ConverterError


class NotModelled(ConverterError):
    """Splunk accepts the construct, but this model cannot evaluate it (a gap, not a verdict)."""
