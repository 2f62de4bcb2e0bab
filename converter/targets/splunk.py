"""Splunk SPL: pySigma's SplunkBackend with the splunk_windows pipeline for Windows logsources."""

from __future__ import annotations

from sigma.backends.splunk.splunk import SplunkBackend

from converter.pipelines import SPLUNK_PIPELINES
from converter.targets.base import Format, Target, query_format

TARGET = Target(
    key="splunk",
    engine="spl",
    language="Splunk SPL",
    backend_class=SplunkBackend,
    pipelines=SPLUNK_PIPELINES,
    formats={
        "default": query_format("spl"),
        "savedsearches": Format(
            "savedsearches",
            "conf",
            "savedsearches.conf with one stanza per rule",
            "splunk/savedsearches.conf.j2",
        ),
    },
)
