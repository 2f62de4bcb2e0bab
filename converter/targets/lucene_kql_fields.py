"""Field choices and text-field approximations shared by the Lucene and KQL parity backends.

Both languages reach Elasticsearch, so what a value means depends on the field's mapping
(docs/engines.md, Query DSL section):

* keyword and wildcard fields compare the whole value, case-sensitively unless the field has a
  normalizer; Elasticsearch applies a keyword field's normalizer to term, wildcard, prefix and
  regexp input (``StringFieldType`` / ``KeywordFieldMapper``, since ES 7.7, PR #53127), so a
  ``lowercase``-normalized multi-field such as ``process.executable.caseless`` matches patterns
  case-insensitively, and its parent keeps the case;
* text fields are analysed: a value is indexed as lower-cased tokens and a wildcard or prefix
  pattern is normalised, then matched against single tokens (``QueryStringQueryParser``
  ``getWildcardQuerySingle``). A run of characters that never split a token (the analyzer's
  ``TOKEN_CHARS``, converter/schema/ecs.py) lies inside one token, so ``*run*`` is exact for
  "contains run"; longer values are approximated by requiring each of their runs
  (:func:`token_patterns`), a superset of the values Sigma matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionIdentifier,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import Placeholder, SigmaString, SpecialChars

from converter.results import ConversionWarning, Direction
from converter.schema.ecs import MAX_TOKEN_LENGTH, TOKEN_CHARS
from converter.schema.model import Schema
from converter.targets import regex
from converter.targets.base import WarningCollector
from converter.targets.regex_superset import Need

Part = str | SpecialChars | Placeholder
# A node of pySigma's condition tree (leaves are not ConditionItems).
Node = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression
WILD = SpecialChars.WILDCARD_MULTI


# --- field variants --------------------------------------------------------------------------


def ignores_case(schema: Schema, field: str) -> bool:
    """A keyword field whose normalizer folds case (the model reads unknown normalizers as
    ``lowercase``: open point ``dsl.unknown_analysis``)."""
    spec = schema.field(field)
    return spec.is_keyword and spec.normalizer is not None


@cache
def _children(schema: Schema) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for name in schema.names():
        parent = name.rpartition(".")[0]
        if parent:
            found.setdefault(parent, []).append(name)
    return {k: tuple(v) for k, v in found.items()}


def caseless_variant(schema: Schema, field: str) -> str | None:
    """``field`` itself if it ignores case, else a multi-field of it with a normalizer
    (``process.command_line.caseless`` in Elastic Agent mappings), else None."""
    if ignores_case(schema, field):
        return field
    return next((c for c in _children(schema).get(field, ()) if ignores_case(schema, c)), None)


def cased_variant(schema: Schema, field: str) -> str | None:
    """A field holding the same value with its case kept: ``field`` when no normalizer applies,
    else the parent of a normalized multi-field (``process.executable`` for
    ``process.executable.caseless``), else None."""
    if not ignores_case(schema, field):
        return field
    parent = field.rpartition(".")[0]
    spec = schema.field(parent) if parent else None
    if spec is not None and spec.is_keyword and spec.normalizer is None:
        return parent
    return None


# --- warnings ----------------------------------------------------------------------------------


class DistinctWarnings(WarningCollector):
    """Each warning once per rule (a value list would repeat it for every value)."""

    def warn(self, cause: str, direction: Direction, message: str) -> None:
        if ConversionWarning(cause, direction, message) not in getattr(
            self, "conversion_warnings", []
        ):
            super().warn(cause, direction, message)


def keyword_child(schema: Schema, field: str, cased: bool) -> str | None:
    """A keyword multi-field of a text field (``message.keyword``), which keeps the whole value:
    one with a normalizer for a case-insensitive value, one without for ``|cased``, else any."""
    children = [c for c in _children(schema).get(field, ()) if schema.field(c).is_keyword]
    preferred = [c for c in children if ignores_case(schema, c) != cased]
    return next(iter(preferred or children), None)


# --- negation and direction ------------------------------------------------------------------


def from_logsource(cond: Node) -> bool:
    """Whether the condition was added by the pipeline to select the logsource (pySigma's
    AddConditionTransformation names its detection ``_cond_<random>``): its value is the one the
    integration stores (``winlog.channel:Security``), so its case is not the rule's business."""
    return any(
        isinstance(p, ConditionIdentifier) and p.identifier.startswith("_cond_")
        for p in cond.parent_chain()
    )


_BOOLEAN = (ConditionAND, ConditionOR, ConditionNOT)


def logical_parent(cond: Node) -> ConditionItem | None:
    """The nearest AND, OR or NOT above the node (skipping detections and identifiers)."""
    return next(
        (
            p
            for p in cond.parent_chain()
            if isinstance(p, (ConditionAND, ConditionOR, ConditionNOT))
        ),
        None,
    )


def negated(cond: Node) -> bool:
    """Whether an odd number of NOTs encloses the condition: a warning's direction flips."""
    return sum(isinstance(p, ConditionNOT) for p in cond.parent_chain()) % 2 == 1


def direction(matches_more: bool, flipped: bool) -> Direction:
    """The direction of a query part that matches more (or less) than the rule's item, seen
    from the whole query (an enclosing NOT turns more into less)."""
    return "over-match" if matches_more != flipped else "under-match"


# --- case ------------------------------------------------------------------------------------


def has_case(text: str) -> bool:
    """Whether some character has another case form that ``re.IGNORECASE`` also matches."""
    return any(_cased_char(c) for c in text)


@cache
def _cased_char(char: str) -> bool:
    # Python's IGNORECASE folds a character with its simple lower and upper forms (and the
    # characters sharing them); a character that is its own lower and upper form folds alone.
    return char.lower() != char or char.upper() != char


def string_has_case(value: SigmaString) -> bool:
    return any(isinstance(p, str) and has_case(p) for p in value.s)


def folds_unevenly(value: SigmaString) -> bool:
    """Whether a lowercase normalizer would fold some letter of the value differently from
    ``re.IGNORECASE`` (converter.targets.regex.folds_unevenly: sigmas, long s, dotted i...)."""
    return any(isinstance(p, str) and regex.folds_unevenly(p) for p in value.s)


# --- text fields -----------------------------------------------------------------------------


class UnknownAnalyzer(ValueError):
    """The field's analyzer is not one whose token characters are known."""


@dataclass(frozen=True)
class TokenPatterns:
    """Patterns that each must match one token of the field for the value to match the rule.

    ``patterns`` are wildcard patterns over one token (lower-case runs of token characters with
    ``*`` where the run may continue); ``exact``: matching all of them is exactly the rule's
    item, otherwise it is a superset of it.
    """

    patterns: tuple[tuple[Part, ...], ...]
    exact: bool

    @property
    def summary(self) -> str:
        """How the value is matched, for a warning's message."""
        if not self.patterns:
            return "no token is certain, so any value of the field matches"
        shown = " ".join("".join("*" if p == WILD else str(p) for p in t) for t in self.patterns)
        return f"matched as the tokens {shown}"


# The analyzers whose tokenizer splits at every character outside TOKEN_CHARS (a pattern
# tokenizer): a run next to such a character ends its token there. The standard tokenizer (UAX
# #29) keeps some punctuation inside tokens (``net.webclient``), so only whitespace ends a run.
_SPLITS_AT_EVERY_OTHER_CHAR = frozenset({"powershell_script"})


def token_patterns(value: SigmaString, analyzer: str) -> TokenPatterns:
    """The token patterns implied by a Sigma string matched against a text field's value."""
    if analyzer not in TOKEN_CHARS:
        raise UnknownAnalyzer(analyzer)
    chars, longest = TOKEN_CHARS[analyzer], MAX_TOKEN_LENGTH[analyzer]
    runs = list(_runs(list(value.s), chars, analyzer in _SPLITS_AT_EVERY_OTHER_CHAR))
    kept = [r for r in runs if longest is None or len(r[1]) <= longest]
    patterns = tuple(_token_pattern(*run) for run in kept)
    return TokenPatterns(patterns, exact=_is_contains_one_run(value, chars, longest))


def sigma_string(parts: tuple[Part, ...]) -> SigmaString:
    """A SigmaString of the given parts (wildcards as SpecialChars)."""
    value = SigmaString()
    value.s = list(parts)
    return value


def _runs(parts: list[Part], chars: str, strict: bool) -> Iterator[tuple[bool, str, bool]]:
    """(bounded on the left, run, bounded on the right) for every run of token characters.

    A run is bounded where the value certainly ends its token: at the start or end of the value
    (no wildcard there) or next to a separator (any other character for a pattern tokenizer,
    whitespace for the standard one). Wildcards and non-string parts bound nothing."""
    splitter = re.compile(f"[{chars}]+")
    for i, part in enumerate(parts):
        if not isinstance(part, str):
            continue
        for m in splitter.finditer(part):
            before = part[m.start() - 1] if m.start() else None
            after = part[m.end()] if m.end() < len(part) else None
            left = _bounds(before, strict) if before is not None else i == 0
            right = _bounds(after, strict) if after is not None else i == len(parts) - 1
            yield left, m.group(0).lower(), right


def _bounds(char: str, strict: bool) -> bool:
    return strict or char.isspace()


def _token_pattern(left: bool, run: str, right: bool) -> tuple[Part, ...]:
    return tuple(p for p in (None if left else WILD, run, None if right else WILD) if p)


def _is_contains_one_run(value: SigmaString, chars: str, longest: int | None) -> bool:
    """``*run*`` with run made of token characters only: a value contains run exactly when one
    of its tokens does (both lower-cased), unless a token over ``longest`` is split there."""
    parts = value.s
    if len(parts) != 3 or parts[0] != WILD or parts[2] != WILD or not isinstance(parts[1], str):
        return False
    run = parts[1]
    fits = longest is None or len(run) <= longest
    return fits and re.fullmatch(f"[{chars}]*[A-Za-z0-9][{chars}]*", run) is not None


# --- required literals -------------------------------------------------------------------------


def render_need(
    need: Need, leaf: Callable[[str], str | None], and_token: str, or_token: str
) -> str | None:
    """A boolean expression of ``leaf`` queries for a regex's required literals (a superset);
    None where nothing is certain (``leaf`` returns None for a literal it cannot use)."""
    parts = [
        leaf(item) if isinstance(item, str) else render_need(item, leaf, and_token, or_token)
        for item in need.items
    ]
    if need.any_of and (not parts or None in parts):
        return None  # an alternative that needs nothing makes the whole choice certain
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    joiner = f" {or_token if need.any_of else and_token} "
    return "(" + joiner.join(kept) + ")"
