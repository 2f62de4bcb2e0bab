"""Synthesized fixtures: witness and near-miss events generated from a rule's own detection.

``synthesize(rule)`` returns fixture events (DESIGN.md "Fixture format") for one parsed rule, each
with the verdict the oracle gives and checked against the intent it was generated with. The
generator is deterministic: no randomness, the same rule always gives the same events.
"""

from converter.synth.generate import DEFAULT_MAX_EVENTS, Synthesized, synthesize

__all__ = ["DEFAULT_MAX_EVENTS", "Synthesized", "synthesize"]
