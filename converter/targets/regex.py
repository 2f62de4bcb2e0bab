"""Translate Sigma ``|re`` regular expressions (and wildcard literals) into Lucene RegExp bodies.

A Sigma regular expression means what Python's ``re.search(pattern, value, flags)`` answers (the
oracle, converter/oracle.py): it matches *anywhere* in the value, case-sensitively unless the
``i`` flag or an inline ``(?i)`` says otherwise. Lucene's RegExp (Elasticsearch ``regexp``,
query_string ``/.../``, EQL ``regex``, ES|QL ``RLIKE``) always matches the *whole* value, has no
anchors, lookaround, backreferences, lazy or possessive quantifiers, no ``\\xHH``/``\\n`` escapes
and no case-insensitive inline flag; with the default flags ``# @ & < > ~`` are operators and
``"`` quotes a string. So the translator:

* parses the pattern with Python's own parser (``sre_parse``), so it reads exactly what the oracle
  compiles, and rebuilds it from character sets (exact code-point ranges), sequences, unions and
  counted repeats;
* wraps each top-level alternative in ``.*`` unless it starts/ends with an anchor (``^ \\A`` drop
  the prefix, ``$`` allows one final newline, ``\\Z`` nothing, multiline ``^``/``$`` allow a line
  break before/after; a group at an edge holding anchors, ``(^|\\\\)``, is distributed); anchors
  elsewhere, lookaround, backreferences, ``\\b``, possessive quantifiers and atomic groups raise
  :class:`Untranslatable` (or, with ``approximate=True``, are widened: a reported over-match);
* drops laziness (``*?`` matches where ``*`` does) and groups (``(?:`` ``(?P<n>`` are precedence);
* escapes every ASCII punctuation character (Lucene's reserved set plus ``^ $ /``, harmless
  escapes), writes control and non-ASCII characters raw (Lucene has no ``\\x`` escape; callers
  escape them for their own string syntax) and never writes ``\\`` before a letter (an error);
* writes PCRE ``.`` as ``[^\\n]`` unless dotall; folds case (when asked) with Python's own
  ``re.IGNORECASE`` equivalence, so ``k`` becomes ``[Kk\\u212a]`` exactly as the oracle folds it;
* writes ``\\s`` as Python's exact Unicode class and ``\\d \\w`` as their ASCII classes, never as
  Lucene's own ``\\d \\s \\w`` (added in Lucene 8.6, apache/lucene-solr#1489, and for wildcard
  fields only by elastic/elasticsearch#90064): Python's Unicode ``\\d \\w`` have hundreds of
  ranges. That is the one approximation; :func:`translate` reports its direction.

Sources: https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax (reserved
characters, whole-term anchoring, optional operators), Lucene's RegExp javadoc
https://lucene.apache.org/core/9_12_0/core/org/apache/lucene/util/automaton/RegExp.html (grammar:
``\\`` + any character is that character, ``()`` the empty string, ``[^...]`` any code point not
listed), https://docs.python.org/3/library/re.html (``$`` before a final newline, ``\\Z``,
``(?aiLmsux-imsx:...)``, Unicode ``\\d \\w \\s``). Output is validated against the project's model
converter/engines/lucene_regexp.py in tests/test_regex_translate.py.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sigma.types import Placeholder, SigmaString, SpecialChars

from converter.engines.lucene_regexp import MAX_REGEX_LENGTH

with warnings.catch_warnings():  # the public alias of re._parser is deprecated, not its API
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_parse

Direction = Literal["over-match", "under-match", "either"]
Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, non-adjacent code-point ranges


class Untranslatable(Exception):
    """The pattern has no Lucene RegExp equivalent; ``str(e)`` is a one-line reason."""


@dataclass(frozen=True)
class Translation:
    """A Lucene RegExp body, plus what (if anything) makes it differ from Python ``re``."""

    body: str
    inexact: tuple[str, ...] = ()  # one-line reasons, empty when exact
    direction: Direction | None = None  # how the body errs when inexact


# --- code-point range sets ---------------------------------------------------------------------

MAX_CP = sys.maxunicode
ALL: Ranges = ((0, MAX_CP),)
NEWLINE = ord("\n")


def _normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    gaps, start = [], 0
    for low, high in ranges:
        if low > start:
            gaps.append((start, low - 1))
        start = high + 1
    if start <= MAX_CP:
        gaps.append((start, MAX_CP))
    return tuple(gaps)


def _char(cp: int) -> Ranges:
    return ((cp, cp),)


@functools.cache
def _case_classes() -> tuple[list[int], dict[int, frozenset[int]]]:
    """Python's IGNORECASE equivalence: x ~ y when their simple lowercases agree or are listed
    together in re._casefix (sre_compile folds with the same two tables). Only classes with more
    than one member are kept; their members, sorted, index the table."""
    tolower: Callable[[int], int] = importlib.import_module("_sre").unicode_tolower
    extra: dict[int, tuple[int, ...]] = importlib.import_module("re._casefix")._EXTRA_CASES
    members: dict[int, set[int]] = {}
    for cp in range(MAX_CP + 1):
        low = tolower(cp)
        if low != cp:
            members.setdefault(low, {low}).add(cp)
    for low, others in extra.items():
        members.setdefault(low, {low}).update(others)
    classes: dict[int, frozenset[int]] = {}
    for low, group in members.items():
        linked = set(group)
        for other in extra.get(low, ()):
            linked |= members.get(other, {other})
        for cp in linked:
            classes[cp] = classes.get(cp, frozenset()) | frozenset(linked)
    return sorted(classes), classes


def _fold(ranges: Ranges) -> Ranges:
    """``ranges`` plus every character Python's IGNORECASE treats as equal to one of them."""
    cased, classes = _case_classes()
    extra: list[tuple[int, int]] = []
    for low, high in ranges:
        for cp in cased[bisect.bisect_left(cased, low) : bisect.bisect_right(cased, high)]:
            extra.extend((other, other) for other in classes[cp])
    return _normalize((*ranges, *extra)) if extra else ranges


def folds_unevenly(text: str) -> bool:
    """Whether a non-ASCII character of ``text`` has case forms Python's ``re.IGNORECASE``
    treats as equal but a per-character lowercasing does not map to one form (its class holds
    several simple lowercases: final and medial sigma, long s, dotless and dotted i, micro sign
    and mu, ...). A lowercase normalizer (Lucene's LowerCaseFilter, Java
    ``Character.toLowerCase``: the simple mapping) or ``TO_LOWER`` then misses some of the forms
    the oracle matches. ASCII ``i``/``s`` (equal to U+0131/U+017F in Python) are left out: only an
    event holding U+0131/U+017F where the rule has ``i``/``s`` tells the difference."""
    return any(not c.isascii() and _uneven(ord(c)) for c in text)


def case_forms(char: str) -> tuple[str, ...]:
    """Every character ``re.IGNORECASE`` treats as equal to ``char`` (itself included)."""
    _, classes = _case_classes()
    return tuple(chr(cp) for cp in sorted(classes.get(ord(char), (ord(char),))))


@functools.cache
def _uneven(cp: int) -> bool:
    tolower: Callable[[int], int] = importlib.import_module("_sre").unicode_tolower
    _, classes = _case_classes()
    return len({tolower(other) for other in classes.get(cp, (cp,))}) > 1


@functools.cache
def _unicode_space() -> Ranges:
    """Python's Unicode ``\\s`` (str.isspace per character): a short, exact list."""
    return _normalize((cp, cp) for cp in range(MAX_CP + 1) if chr(cp).isspace())


_DIGIT: Ranges = ((0x30, 0x39),)
_WORD: Ranges = _normalize(((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)))
_ASCII_SPACE: Ranges = _normalize((ord(c), ord(c)) for c in " \t\n\r\f\v")


def _category(name: str, ascii_only: bool) -> tuple[Ranges, int]:
    """A ``\\d \\w \\s`` class and its error sign: 0 exact, -1 subset, +1 superset of Python's."""
    base, _, negated = name.removeprefix("CATEGORY_").partition("NOT_")
    kind = negated or base
    if kind == "SPACE":
        ranges, sign = (_ASCII_SPACE if ascii_only else _unicode_space()), 0
    else:
        ranges, sign = (_DIGIT if kind == "DIGIT" else _WORD), (0 if ascii_only else -1)
    return (_complement(ranges), -sign) if negated else (ranges, sign)


# --- the pattern as sets, sequences, unions, repeats and anchors -------------------------------


@dataclass(frozen=True)
class _Set:
    ranges: Ranges


@dataclass(frozen=True)
class _Seq:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alt:
    options: tuple[_Node, ...]


@dataclass(frozen=True)
class _Rep:
    item: _Node
    low: int
    high: int | None


@dataclass(frozen=True)
class _Anchor:
    kind: str  # "^" "^m" (start kinds), "$" "$m" "\\Z" (end kinds)


_Node = _Set | _Seq | _Alt | _Rep | _Anchor

_REFUSED = {
    "ASSERT": "lookaround assertion",
    "ASSERT_NOT": "negative lookaround assertion",
    "GROUPREF": "backreference",
    "GROUPREF_EXISTS": "conditional group (?(n)...)",
    "POSSESSIVE_REPEAT": "possessive quantifier",
    "ATOMIC_GROUP": "atomic group (?>...)",
    "AT": "word boundary \\b/\\B",
}
_ANCHORS = {"AT_BEGINNING": "^", "AT_BEGINNING_STRING": "^", "AT_END": "$", "AT_END_STRING": "\\Z"}


class _Reader:
    """Python's parse tree -> _Node, resolving flags (case, dotall, multiline, ascii) per scope."""

    def __init__(self, fold_case: bool, global_flags: int, approximate: bool) -> None:
        self.fold_case = fold_case
        self.global_ignore = bool(global_flags & re.IGNORECASE)
        self.approximate = approximate
        self.signs: list[int] = []  # -1/+1/2 per inexact \d \w class (see _category)
        self.dropped: list[str] = []  # constructs widened in approximate mode

    def seq(self, sub: Iterable[Any], flags: int) -> _Node:
        items = tuple(self.item(str(op), av, flags) for op, av in sub)
        return items[0] if len(items) == 1 else _Seq(items)

    def item(self, op: str, av: Any, flags: int) -> _Node:
        if op == "LITERAL":
            return _Set(self.cased(_char(av), flags))
        if op == "NOT_LITERAL":
            return _Set(_complement(self.cased(_char(av), flags)))
        if op == "ANY":
            return _Set(ALL if flags & re.DOTALL else _complement(_char(NEWLINE)))
        if op == "IN":
            return _Set(self.charset(av, flags))
        if op == "BRANCH":
            return _Alt(tuple(self.seq(option, flags) for option in av[1]))
        if op == "SUBPATTERN":
            return self.seq(av[3], (flags | av[1]) & ~av[2])
        if op in ("MAX_REPEAT", "MIN_REPEAT"):  # laziness cannot change whether a match exists
            high = None if av[1] == sre_parse.MAXREPEAT else int(av[1])
            return _Rep(self.seq(av[2], flags), int(av[0]), high)
        if op == "AT":
            return self.anchor(str(av), flags)
        return self.widen(op, _REFUSED.get(op, op), av, flags)

    def widen(self, op: str, what: str, av: Any, flags: int) -> _Node:
        """Approximate mode: a superset of the construct (assertions hold, a backreference is
        any string, possessive/atomic backtrack): dropping a filter can only over-match."""
        if not self.approximate or op not in _REFUSED:
            raise Untranslatable(f"{what} has no Lucene RegExp equivalent")
        self.dropped.append(what)
        if op == "GROUPREF":
            return _Rep(_Set(ALL), 0, None)
        if op == "GROUPREF_EXISTS":
            return _Alt((self.seq(av[1], flags), self.seq(av[2] or (), flags)))
        if op == "POSSESSIVE_REPEAT":
            return self.item("MAX_REPEAT", av, flags)
        return self.seq(av, flags) if op == "ATOMIC_GROUP" else _Seq(())

    def anchor(self, at: str, flags: int) -> _Node:
        kind = _ANCHORS.get(at)
        if kind is None:
            return self.widen("AT", "word boundary \\b/\\B", None, flags)
        multiline = flags & re.MULTILINE and at in ("AT_BEGINNING", "AT_END")
        return _Anchor(kind + "m" if multiline else kind)

    def cased(self, ranges: Ranges, flags: int) -> Ranges:
        """Fold where Python ignores case; without fold_case the caller's engine ignores case
        exactly where the flags say, so a scope that differs cannot be expressed."""
        ignore = bool(flags & re.IGNORECASE)
        if self.fold_case:
            return _fold(ranges) if ignore else ranges
        if ignore != self.global_ignore and _fold(ranges) != ranges:
            raise Untranslatable("a scoped (?i:...)/(?-i:...) group needs fold_case=True")
        return ranges

    def charset(self, items: list[tuple[Any, Any]], flags: int) -> Ranges:
        literal: list[tuple[int, int]] = []
        categories: list[Ranges] = []
        signs: set[int] = set()
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                literal.append((av, av))
            elif name == "RANGE":
                literal.append((av[0], av[1]))
            elif name == "CATEGORY":
                ranges, sign = _category(str(av), bool(flags & re.ASCII))
                categories.append(ranges)
                signs.add(sign)
        # Python tests lower(ch) against categories: they are not folded (close enough: Python's
        # own \w \s \d are closed under case, and the ASCII \d \w are reported as inexact).
        union = _normalize((*self.cased(_normalize(literal), flags), *sum(categories, ())))
        negate = bool(items) and str(items[0][0]) == "NEGATE"
        self.note(signs, negate)
        return _complement(union) if negate else union

    def note(self, signs: set[int], negate: bool) -> None:
        signs.discard(0)
        if signs:
            sign = signs.pop() if len(signs) == 1 else 2
            self.signs.append(-sign if negate and sign != 2 else sign)


def _has_anchor(node: _Node) -> bool:
    if isinstance(node, _Anchor):
        return True
    if isinstance(node, _Seq):
        return any(_has_anchor(i) for i in node.items)
    if isinstance(node, _Alt):
        return any(_has_anchor(o) for o in node.options)
    return isinstance(node, _Rep) and _has_anchor(node.item)


def _flat(items: Iterable[_Node]) -> list[_Node]:
    out: list[_Node] = []
    for item in items:
        out.extend(_flat(item.items) if isinstance(item, _Seq) else [item])
    return out


_INNER_ANCHOR = "an anchor (^ $ \\A \\Z) inside the pattern has no Lucene RegExp equivalent"
_START_RANK = {None: 0, "^m": 1, "^": 2}
_END_RANK = {None: 0, "$m": 1, "$": 2, "\\Z": 3}


def _split(
    items: Sequence[_Node],
    dropped: list[str] | None,
    start: str | None = None,
    end: str | None = None,
) -> list[tuple[str | None, list[_Node], str | None]]:
    """Top-level alternatives as (start anchor, items, end anchor); a union at an edge that holds
    anchors is distributed over the rest (``(^|\\\\)x`` = ``^x|\\\\x``). Two anchors at one
    edge both hold: the stronger wins. Other anchors raise, or with ``dropped`` (approximate
    mode) are dropped and listed there."""
    items = _flat(items)
    if items and isinstance(items[0], _Anchor) and items[0].kind.startswith("^"):
        kind = max(start, items[0].kind, key=_START_RANK.__getitem__)
        return _split(items[1:], dropped, kind, end)
    if items and isinstance(items[-1], _Anchor) and not items[-1].kind.startswith("^"):
        kind = max(end, items[-1].kind, key=_END_RANK.__getitem__)
        return _split(items[:-1], dropped, start, kind)
    for index in (0, -1):
        edge = items[index] if items else None
        if isinstance(edge, _Alt) and _has_anchor(edge):
            rest = items[1:] if index == 0 else items[:-1]
            return [
                split
                for option in edge.options
                for split in _split(
                    [option, *rest] if index == 0 else [*rest, option], dropped, start, end
                )
            ]
    if any(_has_anchor(item) for item in items):
        if dropped is None:
            raise Untranslatable(_INNER_ANCHOR)
        dropped.append("anchor inside the pattern")
        items = [_drop_anchors(item) for item in items]
    return [(start, items, end)]


def _drop_anchors(node: _Node) -> _Node:
    if isinstance(node, _Anchor):
        return _Seq(())
    if isinstance(node, _Seq):
        return _Seq(tuple(_drop_anchors(item) for item in node.items))
    if isinstance(node, _Alt):
        return _Alt(tuple(_drop_anchors(option) for option in node.options))
    if isinstance(node, _Rep):
        return _Rep(_drop_anchors(node.item), node.low, node.high)
    return node


# --- writing Lucene RegExp ---------------------------------------------------------------------

_ESCAPED = frozenset('.?+*|{}[]()"\\#@&<>~^$/-')
_PREFIX = {None: ".*", "^": "", "^m": "(.*\n)?"}
_SUFFIX = {None: ".*", "\\Z": "", "$": "\n?", "$m": "(\n.*)?"}


def _escape(cp: int) -> str:
    char = chr(cp)
    return "\\" + char if char in _ESCAPED else char


def _class_body(ranges: Ranges) -> str:
    parts = []
    for low, high in ranges:
        if high - low > 1:
            parts.append(f"{_escape(low)}-{_escape(high)}")
        else:
            parts.append("".join(_escape(cp) for cp in range(low, high + 1)))
    return "".join(parts)


def _write_set(ranges: Ranges) -> str:
    if ranges == ALL:
        return "."
    if not ranges:  # the empty language without ``#``, which depends on optional syntax flags
        return f"[^{_class_body(ALL)}]"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _escape(ranges[0][0])
    positive, negative = _class_body(ranges), _class_body(_complement(ranges))
    return f"[^{negative}]" if len(negative) < len(positive) else f"[{positive}]"


def _quantifier(low: int, high: int | None) -> str:
    if high is None:
        return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"


def _write(node: _Node, level: int) -> str:
    """``level``: 0 a union may stand bare, 1 inside a sequence, 2 an atom is needed."""
    if isinstance(node, _Set):
        return _write_set(node.ranges)
    if isinstance(node, _Rep):
        text = _write(node.item, 2) + _quantifier(node.low, node.high)
        return f"({text})" if level == 2 else text
    if isinstance(node, _Alt):
        text = "|".join(_write(option, 1) for option in node.options)
        return f"({text})" if level >= 1 else text
    if isinstance(node, _Seq):
        items = [item for item in node.items if item != _Seq(())]
        if len(items) < 2:
            return _write(items[0], level) if items else "()"
        text = "".join(_write(item, 1) for item in items)
        return f"({text})" if level == 2 else text
    raise Untranslatable(_INNER_ANCHOR)


def _checked(body: str) -> str:
    if len(body.encode("utf-16-le")) // 2 > MAX_REGEX_LENGTH:  # Java counts UTF-16 units
        raise Untranslatable(f"translation exceeds index.max_regex_length ({MAX_REGEX_LENGTH})")
    return body


# --- public API --------------------------------------------------------------------------------

_FLAG_BITS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_FLAG_NAMES = {"IGNORECASE": "i", "MULTILINE": "m", "DOTALL": "s"}


def _flag_bits(flags: Iterable[object]) -> int:
    """Sigma's flags as ``"i" "m" "s"`` strings or pySigma SigmaRegularExpressionFlag members."""
    bits = 0
    for flag in flags:
        name = getattr(flag, "name", flag)
        key = _FLAG_NAMES.get(str(name), str(name).lower())
        if key not in _FLAG_BITS:
            raise Untranslatable(f"unknown regular expression flag {flag!r}")
        bits |= _FLAG_BITS[key]
    return bits


def _parse(pattern: str, bits: int) -> Any:
    try:
        return sre_parse.parse(pattern, bits)
    except re.error as e:
        raise Untranslatable(f"not a valid regular expression: {e}") from e


def ignores_case(pattern: str, flags: Iterable[object]) -> bool:
    """Whether Python matches the whole pattern ignoring case (flag ``i`` or a leading ``(?i)``):
    what a caller with an engine-level case-insensitive switch and ``fold_case=False`` sets."""
    return bool(_parse(pattern, _flag_bits(flags)).state.flags & re.IGNORECASE)


def translate(
    pattern: str, flags: Iterable[object] = (), *, fold_case: bool, approximate: bool = False
) -> Translation:
    """The Lucene RegExp body that matches a whole value exactly when ``re.search`` finds
    ``pattern`` in it (see :func:`to_lucene`), and how it may differ (non-ASCII ``\\d \\w``).

    ``approximate=True``: instead of raising for lookaround, ``\\b``, backreferences, possessive
    or atomic groups and inner anchors, widen them (an over-match, reported in ``inexact``).
    """
    return _translate(pattern, _flag_bits(flags), fold_case, approximate)


@functools.lru_cache(maxsize=4096)  # backends translate the same rule values per target
def _translate(pattern: str, bits: int, fold_case: bool, approximate: bool) -> Translation:
    parsed = _parse(pattern, bits)
    reader = _Reader(fold_case, parsed.state.flags, approximate)
    tree = reader.seq(parsed.data, parsed.state.flags)
    alternatives = _split([tree], reader.dropped if approximate else None)
    body = "|".join(_alternative(start, items, end) for start, items, end in alternatives)
    return Translation(_checked(body), *_inexact(reader.signs, reader.dropped))


def _alternative(start: str | None, items: list[_Node], end: str | None) -> str:
    prefix, suffix = _PREFIX[start], _SUFFIX[end]
    if items:
        return prefix + _write(_Seq(tuple(items)), 1) + suffix
    return ".*" if prefix == suffix == ".*" else (prefix + suffix or "()")


def _inexact(signs: list[int], dropped: list[str]) -> tuple[tuple[str, ...], Direction | None]:
    reasons = [
        f"{what} dropped (Lucene RegExp has no equivalent)" for what in dict.fromkeys(dropped)
    ]
    if signs:
        reasons.append(_ASCII_CLASSES)
    if not reasons:
        return (), None
    kinds = set(signs) | ({1} if dropped else set())
    direction: Direction = (
        "under-match" if kinds == {-1} else "over-match" if kinds == {1} else "either"
    )
    return tuple(reasons), direction


_ASCII_CLASSES = (
    "\\d and \\w are ASCII in Lucene but Unicode in Python re (non-ASCII digits/letters)"
)


def to_lucene(pattern: str, flags: Iterable[object] = (), *, fold_case: bool) -> str:
    """A Lucene RegExp body matching a whole value exactly when Python
    ``re.search(pattern, value, flags)`` finds a match in it.

    ``flags``: Sigma's ``i m s`` (strings or SigmaRegularExpressionFlag). ``fold_case=True``
    expands letters into their case variants wherever Python ignores case (flag ``i``, ``(?i)``,
    ``(?i:...)``), for engines without a case-insensitive switch. ``fold_case=False`` leaves
    letters alone: the caller must match case-insensitively exactly when
    :func:`ignores_case` says so (a scope that differs raises). Raises Untranslatable.
    """
    return translate(pattern, flags, fold_case=fold_case).body


def literal_to_lucene(text: str | SigmaString, *, fold_case: bool) -> str:
    """A Lucene RegExp body matching exactly the values the Sigma string matches as a whole.

    ``text`` is either a plain ``str`` (every character literal, no wildcards) or a pySigma
    ``SigmaString``, whose ``*``/``?`` wildcards become ``.*``/``.`` (any characters, newlines
    included, as pySigma's own to_regex with DOTALL). ``fold_case=True`` folds case exactly as
    Python's ``re.IGNORECASE`` (the oracle's case-insensitive matching). Placeholders raise.
    """
    parts = text.s if isinstance(text, SigmaString) else (text,)
    items: list[_Node] = []
    for part in parts:
        if isinstance(part, str):
            items.extend(_Set(_fold(_char(ord(c))) if fold_case else _char(ord(c))) for c in part)
        elif part == SpecialChars.WILDCARD_MULTI:
            items.append(_Rep(_Set(ALL), 0, None))
        elif part == SpecialChars.WILDCARD_SINGLE:
            items.append(_Set(ALL))
        else:
            name = part.name if isinstance(part, Placeholder) else part
            raise Untranslatable(f"unresolved placeholder %{name}%")
    return _checked(_write(_Seq(tuple(items)), 1) if items else "()")
