"""Tokenizer for Elasticsearch query_string, following Lucene's classic QueryParser.jj.

The token definitions mirror lucene/queryparser/.../classic/QueryParser.jj (apache/lucene): three
lexical states (DEFAULT, Boost after ``^``, Range inside ``[``/``{``), the longest match wins and a
tie goes to the token declared first (JavaCC's rule). Anything no token matches is a lexical error,
which Elasticsearch reports as a failed query ("Failed to parse query"): e.g. an unterminated
quote or regex, a lone ``\\`` or a stray ``]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from converter.engines.base import QueryRejected

# Characters that cannot start a term (QueryParser.jj _TERM_START_CHAR); "-" and "+" may continue
# one (_TERM_CHAR). Escaped characters (backslash + any character) are always allowed.
_NOT_START = r" \t\n\r\u3000+\-!():^\[\]\"{}~*?\\/"
_START = rf"(?:[^{_NOT_START}]|\\.)"
_CHAR = rf"(?:[^{_NOT_START}]|\\.|[-+])"
WHITESPACE = " \t\n\r\u3000"

# DEFAULT-state tokens in declaration order (the order breaks ties between equal-length matches).
_DEFAULT: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.DOTALL))
    for kind, pattern in (
        ("AND", r"AND|&&"),
        ("OR", r"OR|\|\|"),
        ("NOT", r"NOT|!"),
        ("PLUS", r"\+"),
        ("MINUS", r"-"),
        ("BAREOPER", rf"[-+!][{WHITESPACE}]"),
        ("LPAREN", r"\("),
        ("RPAREN", r"\)"),
        ("COLON", r":"),
        ("STAR", r"\*"),
        ("CARAT", r"\^"),
        ("QUOTED", r'"(?:[^"\\]|\\.)*"'),
        ("TERM", rf"{_START}{_CHAR}*"),
        ("FUZZY_SLOP", rf"~(?:[0-9]+(?:\.[0-9]+)?{_CHAR}*|{_CHAR}*)"),
        ("PREFIXTERM", rf"\*|{_START}{_CHAR}*\*"),
        ("WILDTERM", rf"(?:{_START}|[*?])(?:{_CHAR}|[*?])*"),
        ("REGEXPTERM", r"/(?:\\/|[^/])*/"),
        ("RANGEIN_START", r"\["),
        ("RANGEEX_START", r"\{"),
    )
)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_RANGE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("RANGE_TO", re.compile(r"TO")),
    ("RANGEIN_END", re.compile(r"\]")),
    ("RANGEEX_END", re.compile(r"\}")),
    # The escaped quote comes first so that backtracking finds the longest match, as JavaCC does.
    ("RANGE_QUOTED", re.compile(r'"(?:\\"|[^"])+"', re.DOTALL)),
    # Only the space ends a range operand (QueryParser.jj RANGE_GOOP), not tabs or newlines.
    ("RANGE_GOOP", re.compile(r"[^ \]}]+")),
)


@dataclass(frozen=True)
class Token:
    kind: str
    image: str
    pos: int


def _longest(
    patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str, pos: int
) -> tuple[str, str] | None:
    """JavaCC's choice: the longest match, the earliest declared token on a tie."""
    best: tuple[str, str] | None = None
    for kind, pattern in patterns:
        m = pattern.match(text, pos)
        if m and m.end() > pos and (best is None or len(m.group()) > len(best[1])):
            best = (kind, m.group())
    return best


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, ending with an EOF token; QueryRejected on a lexical error."""
    tokens: list[Token] = []
    state, pos = "DEFAULT", 0
    while True:
        if state != "Boost":  # the Boost state skips no whitespace (QueryParser.jj SKIP)
            while pos < len(text) and text[pos] in WHITESPACE:
                pos += 1
        if pos >= len(text):
            tokens.append(Token("EOF", "", pos))
            return tokens
        kind, image = _next_token(text, pos, state)
        tokens.append(Token(kind, image, pos))
        pos += len(image)
        state = _next_state(kind, state)


def _next_token(text: str, pos: int, state: str) -> tuple[str, str]:
    if state == "Boost":
        m = _NUMBER.match(text, pos)
        found = ("NUMBER", m.group()) if m else None
    else:
        found = _longest(_RANGE if state == "Range" else _DEFAULT, text, pos)
    if found is None:
        raise QueryRejected(f"lexical error at position {pos}: unexpected {text[pos]!r}")
    return found


def _next_state(kind: str, state: str) -> str:
    if kind == "CARAT":
        return "Boost"
    if kind in ("RANGEIN_START", "RANGEEX_START"):
        return "Range"
    if kind in ("NUMBER", "RANGEIN_END", "RANGEEX_END"):
        return "DEFAULT"
    return state


def discard_escape_char(text: str) -> str:
    """Lucene's QueryParserBase.discardEscapeChar: drop escapes, decode ``\\uXXXX``."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(text):
            raise QueryRejected("Term can not end with escape character.")
        if text[i + 1] == "u":
            out.append(_unicode_escape(text[i + 2 : i + 6]))
            i += 6
        else:
            out.append(text[i + 1])
            i += 2
    return "".join(out)


def _unicode_escape(digits: str) -> str:
    if len(digits) < 4:
        raise QueryRejected("Truncated unicode escape sequence.")
    for d in digits:
        if d not in "0123456789abcdefABCDEF":
            raise QueryRejected(f"Non-hex character in Unicode escape sequence: {d}")
    return chr(int(digits, 16))
