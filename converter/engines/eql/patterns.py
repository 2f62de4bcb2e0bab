"""EQL wildcard and regular-expression patterns, compiled to Python ``re`` for evaluation.

Wildcards (``:``, ``like``): ``*`` any run, ``?`` one character, over the whole value; a backslash
is a literal character, so ``*`` and ``?`` cannot be escaped (Elasticsearch
x-pack/plugin/eql/.../util/StringUtils.toLikePattern; eql-syntax.md "Wildcards").

Regular expressions (``regex``, ``regex~``): Lucene RegExp syntax (query-dsl/regexp-syntax.md)
over the whole value. Case-insensitive matching is Lucene's ASCII_CASE_INSENSITIVE flag, which
folds single characters but not character ranges. The optional operators ``~ & < >`` (flag ALL)
are not modelled: such a pattern raises UnsupportedPattern.
"""

from __future__ import annotations

import re
from functools import cache

from converter.engines.base import NotModelled


class UnsupportedPattern(NotModelled):
    """A valid Lucene pattern this model cannot evaluate (complement, intersection, interval)."""


@cache
def wildcard(pattern: str, insensitive: bool) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if insensitive else 0))


_CLASS_ESCAPES = {"d": r"\d", "D": r"\D", "s": r"\s", "S": r"\S", "w": r"\w", "W": r"\W"}


@cache
def lucene_regex(pattern: str, insensitive: bool) -> re.Pattern[str]:
    return re.compile(_Translator(pattern, insensitive).run(), re.DOTALL)


class _Translator:
    """Lucene RegExp -> Python regex, one construct at a time."""

    def __init__(self, pattern: str, insensitive: bool) -> None:
        self.src = pattern
        self.ci = insensitive
        self.pos = 0
        self.out: list[str] = []

    def run(self) -> str:
        while self.pos < len(self.src):
            self.step()
        return "".join(self.out)

    def step(self) -> None:
        char = self.src[self.pos]
        self.pos += 1
        if char in "~&<>":
            raise UnsupportedPattern(f"Lucene regex operator {char!r} is not modelled")
        if char == "\\":
            self.escape(in_class=False)
        elif char == '"':
            self.quoted()
        elif char == "[":
            self.char_class()
        elif char == "@":
            self.out.append(".*")
        elif char == "#":
            self.out.append("(?!)")
        elif char in ".|()*+?{},0123456789" or not char.isalpha():
            self.out.append(char if char in ".|()*+?{},0123456789" else re.escape(char))
        else:
            self.out.append(self.literal(char))

    def literal(self, char: str) -> str:
        if self.ci and char.isascii() and char.isalpha() and char.lower() != char.upper():
            return f"[{char.lower()}{char.upper()}]"
        return re.escape(char)

    def escape(self, in_class: bool) -> None:
        char = self.src[self.pos]
        self.pos += 1
        if char in _CLASS_ESCAPES:
            self.out.append(_CLASS_ESCAPES[char])
        elif in_class:
            self.out.append(re.escape(char))
        else:
            self.out.append(self.literal(char))

    def quoted(self) -> None:
        end = self.src.index('"', self.pos)
        self.out.extend(self.literal(c) for c in self.src[self.pos : end])
        self.pos = end + 1

    def char_class(self) -> None:
        self.out.append("[")
        if self.src.startswith("^", self.pos):
            self.out.append("^")
            self.pos += 1
        while self.src[self.pos] != "]":
            self.class_item()
        self.pos += 1
        self.out.append("]")

    def class_item(self) -> None:
        char = self.src[self.pos]
        self.pos += 1
        if char == "\\":
            self.escape(in_class=True)
        elif self.src.startswith("-", self.pos) and self.src[self.pos + 1] != "]":
            # A range: not case-folded (Lucene folds single characters only).
            end = self.src[self.pos + 1]
            self.pos += 2
            self.out.append(f"{re.escape(char)}-{re.escape(end)}")
        elif self.ci and char.isascii() and char.isalpha():
            self.out.append(char.lower() + char.upper())
        else:
            self.out.append(re.escape(char))
