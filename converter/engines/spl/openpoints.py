"""The open points of the SPL model: behaviours the Splunk sources leave open (docs/engines.md).

Each key is used as the cause of any divergence the assumption produces; a compiled query lists
the keys its answer depends on in ``CompiledQuery.assumptions``.
"""

from __future__ import annotations

from converter.engines.base import OpenPoint

EMPTY_BASE_SEARCH = OpenPoint(
    "spl-empty-base-search",
    "A query that starts with a pipe (pySigma's deferred-only queries: '\\n| rex ...') is taken "
    "as a search over all events; Splunk may instead run the first command on no input.",
)
EMPTY_VALUE = OpenPoint(
    "spl-empty-value",
    "A field whose value is the empty string counts as having no value: f=* and f!=x are false "
    'for it, f="" is true.',
)
UNKNOWN_ESCAPE = OpenPoint(
    "spl-unknown-escape",
    'In a quoted SPL string only \\\\ and \\" are escapes; a backslash before any other '
    "character (\\*, \\d, \\W) stays as written, so \\* is a backslash followed by a wildcard.",
)
TERM_BREAKERS = OpenPoint(
    "spl-term-breakers",
    "A bare term or phrase matches _raw (case-insensitively) only where it starts and ends on a "
    "segment boundary: the edge of _raw, a major or minor breaker, or a breaker at the term's "
    "own edge.",
)
QUOTED_FIELD_NAME = OpenPoint(
    "spl-quoted-field-name",
    "In the search command a double-quoted string before a comparison operator names a field "
    "(pySigma quotes field names outside [\\w.]+).",
)
MULTIVALUE_NEGATION = OpenPoint(
    "spl-multivalue-negation",
    "On a multivalue field f!=x is true only when no value equals x (and the field has a value); "
    "NOT f=x excludes the event when any value equals x.",
)
REGEX_MISSING_FIELD = OpenPoint(
    "spl-regex-missing-field",
    '| regex f="re" drops results without f; | regex f!="re" keeps them.',
)
EVAL_NULL_LOGIC = OpenPoint(
    "spl-eval-null",
    "eval/where use three-valued logic: a comparison with a missing field is null, NOT null is "
    "null, and where keeps a result only when its expression is true; a multivalue operand "
    "compares true when any value does.",
)
STATS_SINGLE_EVENT = OpenPoint(
    "spl-stats-single-event",
    "bin/stats are evaluated over the one event under test: the event matches when the "
    "aggregated row (count 1) survives the later commands.",
)
COMPARE_ORDER = OpenPoint(
    "spl-compare-order",
    "< > <= >= compare numerically when both sides are numbers, otherwise as case-sensitive "
    "strings (lexicographic, code point order).",
)

NONASCII_CASE = OpenPoint(
    "spl-nonascii-case",
    "Case-insensitive search terms and (?i) regexes fold non-ASCII letters as Python's "
    "re.IGNORECASE does; Splunk documents its regexes as PCRE without saying whether UTF/UCP "
    "mode (needed for caseless non-ASCII matching) is on.",
)

ALL: tuple[OpenPoint, ...] = (
    EMPTY_BASE_SEARCH,
    NONASCII_CASE,
    EMPTY_VALUE,
    UNKNOWN_ESCAPE,
    TERM_BREAKERS,
    QUOTED_FIELD_NAME,
    MULTIVALUE_NEGATION,
    REGEX_MISSING_FIELD,
    EVAL_NULL_LOGIC,
    STATS_SINGLE_EVENT,
    COMPARE_ORDER,
)
