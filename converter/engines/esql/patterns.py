"""LIKE wildcards and RLIKE regular expressions of ES|QL, compiled to Python ``re`` patterns.

LIKE: ES|QL's WildcardPattern builds Lucene's WildcardQuery automaton: ``*`` any run, ``?`` one
character, ``\\`` escapes the next character (a trailing ``\\`` is a literal backslash), matched
against the whole string, case-sensitive (x-pack/plugin/esql-core/.../predicate/regex/
WildcardPattern.java; Lucene WildcardQuery.toAutomaton).

RLIKE: ES|QL's RLikePattern builds ``new RegExp(pattern, RegExp.ALL | DEPRECATED_COMPLEMENT)``,
Lucene's own regular-expression language (not Java's): matched against the whole string, ``.``
is any character (newline included), ``^`` and ``$`` are ordinary characters, ``"..."`` quotes a
literal string, ``@`` is any string, ``#`` the empty language, and ``\\d \\s \\w`` (with their
upper-case complements) are character classes (RLikePattern.java; Lucene RegExp javadoc;
https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax). Complement
``~``, intersection ``&`` and numeric intervals ``<n-m>`` have no ``re`` equivalent here: they
raise UnsupportedPattern (the engine model, not the query, is at fault). Lucene reads any other
character literally where an atom is expected, so PCRE-only syntax such as ``(?i)`` or ``(?:``
is accepted and means literal characters (trap T7).
"""

from __future__ import annotations

import re
from functools import cache

from converter.engines.base import NotModelled

_CLASSES = {"d": r"\d", "D": r"\D", "s": r"\s", "S": r"\S", "w": r"\w", "W": r"\W"}


class UnsupportedPattern(NotModelled):
    """A valid Lucene RegExp construct this model does not translate."""


@cache
def like_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


@cache
def rlike_regex(pattern: str) -> re.Pattern[str]:
    """Python regex of a Lucene RegExp; ValueError for a syntax error, as Lucene would throw."""
    parser = _LuceneRegex(pattern)
    translated = parser.union()
    if parser.pos != len(pattern):
        raise ValueError(f"unexpected character at position {parser.pos} of {pattern!r}")
    return re.compile(translated, re.DOTALL)


class _LuceneRegex:
    """Recursive descent over Lucene's RegExp grammar (union, concatenation, repeat, atom)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        if self.pos >= len(self.text):
            raise ValueError(f"unexpected end of regular expression {self.text!r}")
        self.pos += 1
        return self.text[self.pos - 1]

    def union(self) -> str:
        branches = [self.concat()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.concat())
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    def concat(self) -> str:
        parts = []
        while self.peek() and self.peek() not in "|)":
            if self.peek() == "&":
                raise UnsupportedPattern("Lucene RegExp intersection '&'")
            parts.append(self.repeat())
        return "".join(parts)

    def repeat(self) -> str:
        if self.peek() == "~":
            raise UnsupportedPattern("Lucene RegExp complement '~'")
        atom = self.atom()
        while self.peek() and self.peek() in "?*+{":
            atom = f"(?:{atom})" + self.quantifier()
        return atom

    def quantifier(self) -> str:
        char = self.take()
        if char != "{":
            return char
        end = self.text.find("}", self.pos)
        body = self.text[self.pos : end] if end >= 0 else ""
        if not re.fullmatch(r"\d+(,\d*)?", body):
            raise ValueError(f"bad repetition in {self.text!r}")
        self.pos = end + 1
        return "{" + body + "}"

    def atom(self) -> str:
        char = self.take()
        simple = {".": ".", "@": ".*", "#": "(?!)"}
        if char in simple:
            return simple[char]
        if char == "(":
            inner = self.union() if self.peek() != ")" else ""
            if self.take() != ")":
                raise ValueError(f"missing ')' in {self.text!r}")
            return f"(?:{inner})"
        if char == "[":
            return self.char_class()
        if char == '"':
            return self.quoted()
        if char == "<":
            return self.interval()
        if char == "\\":
            return self.escape()
        # Lucene's parseCharExp takes any other character literally, a quantifier with nothing
        # before it included: "(?i)" is a group of a literal '?' and 'i', not a flag.
        return re.escape(char)

    def interval(self) -> str:
        """``<n-m>`` (INTERVAL); any other ``<name>`` is an automaton reference (AUTOMATON),
        which fails without a provider, as ES|QL has none: IllegalArgumentException."""
        end = self.text.find(">", self.pos)
        body = self.text[self.pos : end] if end >= 0 else ""
        if re.fullmatch(r"\d+-\d+", body):
            raise UnsupportedPattern("Lucene RegExp numeric interval '<n-m>'")
        raise ValueError(f"unsupported automaton or malformed interval at '<' in {self.text!r}")

    def escape(self) -> str:
        char = self.take()
        return _CLASSES.get(char, re.escape(char))

    def quoted(self) -> str:
        end = self.text.find('"', self.pos)
        if end < 0:
            raise ValueError(f"unterminated quoted string in {self.text!r}")
        literal = self.text[self.pos : end]
        self.pos = end + 1
        return re.escape(literal)

    def char_class(self) -> str:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        items = []
        while self.peek() != "]":
            items.append(self.class_item())
        self.pos += 1
        if not items:
            raise ValueError(f"empty character class in {self.text!r}")
        return "[" + ("^" if negate else "") + "".join(items) + "]"

    def class_item(self) -> str:
        start = self.class_char()
        if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
            self.pos += 1
            return f"{start}-{self.class_char()}"
        return start

    def class_char(self) -> str:
        char = self.take()
        if char == "\\":
            nxt = self.take()
            return _CLASSES.get(nxt, re.escape(nxt))
        return re.escape(char)
