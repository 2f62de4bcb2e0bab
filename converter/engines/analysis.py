"""Elasticsearch text analysis as the Query DSL evaluator needs it: analyzers and normalizers.

A ``text``/``match_only_text`` field is searched token by token, so the evaluator analyses both the
event value (index time) and the query text (search time) with the field's analyzer. Modelled:

* ``standard``: the standard tokenizer (Unicode word boundaries, UAX #29) + lowercase filter, no
  stop words; tokens longer than ``max_token_length`` (255) are split at 255-character intervals.
* ``simple`` (letter runs, lowercased), ``whitespace`` (no lowercasing), ``keyword`` (one token).
* ``powershell_script``: the pattern analyzer of the Windows integration (``[\\W&&[^-]]+``,
  lowercase; Java's ``\\W`` is ASCII-only).

The standard tokenizer here implements the UAX #29 word rules that matter for Latin-script log
data (letters, digits, ``_``, and the mid-word punctuation rules WB6/7 and WB11/12); other scripts
are approximated (see OPEN_POINT_TOKENIZER in dsl_eval).

Sources: https://www.elastic.co/docs/reference/text-analysis/analysis-standard-tokenizer,
https://www.unicode.org/reports/tr29/#Word_Boundary_Rules,
https://www.elastic.co/docs/reference/text-analysis/analysis-lowercase-tokenfilter.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # CPython: the simple case mapping re uses
import re
import unicodedata
from collections.abc import Callable

STANDARD_MAX_TOKEN_LENGTH = 255

_MID_LETTER = frozenset(":\u00b7\u0387\u05f4\u2027\ufe13\ufe55\uff1a")
_MID_NUM_LET = frozenset(".'\u2018\u2019\u2024\ufe52\uff07\uff0e")
_MID_NUM = frozenset(
    ",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54\uff0c\uff1b"
)

# Character classes of the word-break rules (a subset of Unicode's Word_Break property).
LETTER, NUMBER, EXTEND_NUM, KATAKANA, SINGLE, EXTEND, OTHER = range(7)


def lowercase(text: str) -> str:
    """Lucene's LowerCaseFilter: per code point (Character.toLowerCase), length-preserving."""
    return "".join(_lower_char(c) for c in text)


def _lower_char(c: str) -> str:
    """Java's Character.toLowerCase: the simple mapping of UnicodeData.txt (U+0130 -> i), where
    Python's str.lower applies SpecialCasing (U+0130 -> i + combining dot)."""
    return chr(_sre.unicode_tolower(ord(c)))


def _char_class(c: str) -> int:
    if c.isascii():
        if c.isalpha():
            return LETTER
        if c.isdigit():
            return NUMBER
        return EXTEND_NUM if c == "_" else OTHER
    category = unicodedata.category(c)
    if category in ("Mn", "Me", "Mc", "Cf"):
        return EXTEND
    if category == "Nd":
        return NUMBER
    if category == "Pc":
        return EXTEND_NUM
    if category.startswith("L"):
        return _letter_class(c)
    # Emoji and other symbols: one token each (StandardTokenizer's <EMOJI>), approximately.
    return SINGLE if category == "So" else OTHER


def _letter_class(c: str) -> int:
    name = unicodedata.name(c, "")
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA")):
        return SINGLE  # <IDEOGRAPHIC> / <HIRAGANA>: one token per character
    if name.startswith(("KATAKANA", "HALFWIDTH KATAKANA")):
        return KATAKANA
    return LETTER


def _joins(left: int, right: int) -> bool:
    """WB5, WB8-WB10, WB13, WB13a/b: no break between these two classes."""
    wordish = (LETTER, NUMBER, EXTEND_NUM)
    if left in wordish and right in wordish:
        return True
    kata = (KATAKANA, EXTEND_NUM)
    return left in kata and right in kata


def _bridges(mid: str, left: int, right: int) -> bool:
    """WB6/7 (letter mid letter) and WB11/12 (digit mid digit)."""
    if left == right == LETTER:
        return mid in _MID_LETTER or mid in _MID_NUM_LET
    if left == right == NUMBER:
        return mid in _MID_NUM or mid in _MID_NUM_LET
    return False


def standard_tokens(text: str, max_token_length: int = STANDARD_MAX_TOKEN_LENGTH) -> list[str]:
    """The standard tokenizer's tokens (case preserved), in order."""
    classes = [_char_class(c) for c in text]
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        kind = classes[i]
        if kind == SINGLE:
            tokens.append(text[i])
            i += 1
        elif kind in (LETTER, NUMBER, EXTEND_NUM, KATAKANA):
            end = _word_end(text, classes, i)
            if any(classes[k] != EXTEND_NUM for k in range(i, end)):
                tokens.extend(_split(text[i:end], max_token_length))
            i = end
        else:
            i += 1
    return tokens


def _word_end(text: str, classes: list[int], i: int) -> int:
    last, j, n = classes[i], i + 1, len(text)
    while j < n:
        kind = classes[j]
        if kind == EXTEND:
            j += 1  # WB4: extend and format characters attach to what precedes them
        elif _joins(last, kind):
            last, j = kind, j + 1
        elif j + 1 < n and _bridges(text[j], last, classes[j + 1]):
            last, j = classes[j + 1], j + 2
        else:
            break
    return j


def _split(token: str, limit: int) -> list[str]:
    return [token[k : k + limit] for k in range(0, len(token), limit)]


_POWERSHELL_SPLIT = re.compile(r"[^A-Za-z0-9_\-]+")
_LETTER_SPLIT = re.compile(r"[^\w]|[\d_]+")


def _pattern_tokens(text: str) -> list[str]:
    return [t for t in _POWERSHELL_SPLIT.split(text) if t]


def _simple_tokens(text: str) -> list[str]:
    # The letter tokenizer: maximal runs of letters (Character.isLetter).
    return [t for t in _LETTER_SPLIT.split(text) if t]


Tokenizer = Callable[[str], list[str]]

# analyzer name -> (tokenizer, lowercases)
ANALYZERS: dict[str, tuple[Tokenizer, bool]] = {
    "standard": (standard_tokens, True),
    "simple": (_simple_tokens, True),
    "whitespace": (str.split, False),
    "keyword": (lambda text: [text], False),
    "powershell_script": (_pattern_tokens, True),
}

# Normalizers the model knows: Elasticsearch's built-in ``lowercase`` normalizer.
NORMALIZERS: dict[str, Callable[[str], str]] = {"lowercase": lowercase}


def known_analyzer(name: str) -> bool:
    return name in ANALYZERS


def known_normalizer(name: str) -> bool:
    return name in NORMALIZERS


def analyze(text: str, analyzer: str) -> list[str]:
    """Index/search-time tokens of ``text``; unknown analyzers fall back to standard."""
    tokenizer, lowers = ANALYZERS.get(analyzer, ANALYZERS["standard"])
    tokens = tokenizer(text)
    return [lowercase(t) for t in tokens] if lowers else tokens


def analyzer_normalize(text: str, analyzer: str) -> str:
    """``Analyzer.normalize``: only the character-level filters (lowercase), no tokenizing.

    query_string applies this to wildcard and prefix terms on text fields.
    """
    _, lowers = ANALYZERS.get(analyzer, ANALYZERS["standard"])
    return lowercase(text) if lowers else text


def normalize(text: str, normalizer: str | None) -> str:
    """A keyword normalizer; an unknown name counts as ``lowercase`` (an assumed open point)."""
    if normalizer is None:
        return text
    return NORMALIZERS.get(normalizer, lowercase)(text)
