"""Splunk SPL: pySigma's SplunkBackend with the splunk_windows pipeline for Windows logsources.

The parity profile uses SplunkParityBackend (converter.targets.splunk_parity): the same search,
widened where SPL cannot be exact, followed by an exact ``| where`` post-filter.
"""

from __future__ import annotations

from sigma.backends.splunk.splunk import SplunkBackend

from converter.pipelines import SPLUNK_PIPELINES
from converter.targets.base import Format, QuotedFieldGuard, Target, query_format
from converter.targets.splunk_parity import SplunkParityBackend


class SplunkStockBackend(QuotedFieldGuard, SplunkBackend):
    """pySigma's SplunkBackend, refusing field names its quoting cannot hold."""


TARGET = Target(
    key="splunk",
    engine="spl",
    language="Splunk SPL",
    backend_class=SplunkStockBackend,
    parity_class=SplunkParityBackend,
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
