"""Lucene RegExp syntax (as Elasticsearch's ``regexp`` query and query_string ``/.../`` use it).

Lucene's dialect is not PCRE: the pattern always matches the whole term, and with the syntax flags
Elasticsearch passes (``ALL``) ``~`` (complement), ``&`` (intersection), ``@`` (any string),
``#`` (empty language) and ``<n-m>`` (numeric interval) are operators, ``"..."`` quotes a literal
string, and ``\\d \\D \\s \\S \\w \\W`` are the only shorthand classes (any other backslash before a
letter is an error). Complement and intersection have no Python ``re`` equivalent, so patterns are
parsed here (following the grammar of ``org.apache.lucene.util.automaton.RegExp``) and matched by
computing, for each node and start offset, the set of offsets where a match can end (a bitmask).

Sources: https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax and
apache/lucene ``lucene/core/src/java/org/apache/lucene/util/automaton/RegExp.java``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Elasticsearch refuses longer patterns (index.max_regex_length, default 1000).
MAX_REGEX_LENGTH = 1000

CharTest = Callable[[str], bool]


class RegexpSyntaxError(ValueError):
    """The pattern is not valid Lucene RegExp syntax (Elasticsearch answers 400)."""


@dataclass(frozen=True, eq=False)
class Chars:
    """One character out of a set."""

    test: CharTest


@dataclass(frozen=True, eq=False)
class Literal:
    text: str


@dataclass(frozen=True, eq=False)
class AnyString:
    pass


@dataclass(frozen=True, eq=False)
class Empty:
    """``#``: the empty language (matches nothing)."""


@dataclass(frozen=True, eq=False)
class Interval:
    low: int
    high: int
    digits: int  # > 0: exactly this many digits (zero-padded)


@dataclass(frozen=True, eq=False)
class Seq:
    parts: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Union:
    parts: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Inter:
    parts: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Complement:
    inner: Node


@dataclass(frozen=True, eq=False)
class Repeat:
    inner: Node
    low: int
    high: int | None  # None: unbounded


Node = Chars | Literal | AnyString | Empty | Interval | Seq | Union | Inter | Complement | Repeat

_PREDEFINED: dict[str, CharTest] = {
    "d": lambda c: "0" <= c <= "9",
    "D": lambda c: not "0" <= c <= "9",
    "s": lambda c: c in " \t\n\r",
    "S": lambda c: c not in " \t\n\r",
    "w": lambda c: c.isascii() and (c.isalnum() or c == "_"),
    "W": lambda c: not (c.isascii() and (c.isalnum() or c == "_")),
}
# Lucene: "It is an error to use a backslash prior to any alphabetic character that does not
# denote an escaped construct" (RegExp.matchPredefinedCharacterClass).
_BAD_ESCAPES = frozenset("abcefghijklmnopqrtuvxyzABCEFGHIJKLMNOPQRTUVXYZ")


def _ascii_fold(c: str) -> str:
    return c.lower() if c.isascii() else c


class _Parser:
    """Recursive descent over Lucene's RegExp grammar (all optional syntax enabled)."""

    def __init__(self, pattern: str, case_insensitive: bool) -> None:
        self.s = pattern
        self.pos = 0
        self.ci = case_insensitive

    def error(self, message: str) -> RegexpSyntaxError:
        return RegexpSyntaxError(f"{message} at position {self.pos} of /{self.s}/")

    def more(self) -> bool:
        return self.pos < len(self.s)

    def peek(self, chars: str) -> bool:
        return self.more() and self.s[self.pos] in chars

    def match(self, char: str) -> bool:
        if self.more() and self.s[self.pos] == char:
            self.pos += 1
            return True
        return False

    def next(self) -> str:
        if not self.more():
            raise self.error("unexpected end-of-string")
        self.pos += 1
        return self.s[self.pos - 1]

    def parse(self) -> Node:
        if not self.s:
            return Literal("")
        node = self.union()
        if self.more():
            raise self.error("end-of-string expected")
        return node

    def union(self) -> Node:
        parts = [self.inter()]
        while self.match("|"):
            parts.append(self.inter())
        return parts[0] if len(parts) == 1 else Union(tuple(parts))

    def inter(self) -> Node:
        parts = [self.concat()]
        while self.match("&"):
            parts.append(self.concat())
        return parts[0] if len(parts) == 1 else Inter(tuple(parts))

    def concat(self) -> Node:
        parts = [self.repeat()]
        while self.more() and not self.peek(")|&"):
            parts.append(self.repeat())
        return parts[0] if len(parts) == 1 else Seq(tuple(parts))

    def repeat(self) -> Node:
        node = self.complement()
        while self.peek("?*+{"):
            op = self.next()
            if op == "?":
                node = Repeat(node, 0, 1)
            elif op == "*":
                node = Repeat(node, 0, None)
            elif op == "+":
                node = Repeat(node, 1, None)
            else:
                node = self.bounded(node)
        return node

    def bounded(self, node: Node) -> Node:
        low = self.integer()
        high: int | None = low
        if self.match(","):
            high = self.integer() if self.peek("0123456789") else None
        if not self.match("}"):
            raise self.error("expected '}'")
        return Repeat(node, low, high)

    def integer(self) -> int:
        start = self.pos
        while self.peek("0123456789"):
            self.pos += 1
        if start == self.pos:
            raise self.error("integer expected")
        return int(self.s[start : self.pos])

    def complement(self) -> Node:
        if self.match("~"):
            return Complement(self.complement())
        return self.char_class()

    def char_class(self) -> Node:
        if not self.match("["):
            return self.simple()
        negate = self.match("^")
        tests = [self.class_item()]
        while self.more() and not self.peek("]"):
            tests.append(self.class_item())
        if not self.match("]"):
            raise self.error("expected ']'")
        return Chars(_class_test(tuple(tests), negate))

    def class_item(self) -> CharTest:
        predefined = self.predefined()
        if predefined is not None:
            return predefined
        low = self.char_exp()
        if self.match("-"):
            high = self.char_exp()
            if low > high:
                raise self.error("invalid range")
            # Ranges are not case-folded, even with case_insensitive (Lucene #14378).
            return lambda c: low <= c <= high
        return self.char_test(low)

    def char_test(self, char: str) -> CharTest:
        if self.ci and char.isascii() and char.isalpha():
            folded = char.lower()
            return lambda c: _ascii_fold(c) == folded
        return lambda c: c == char

    def predefined(self) -> CharTest | None:
        if not self.match("\\"):
            return None
        if self.peek("dDwWsS"):
            return _PREDEFINED[self.next()]
        if self.peek("\\"):
            return self.char_test(self.next())
        if self.peek("".join(_BAD_ESCAPES)):
            raise self.error(f"invalid character class \\{self.s[self.pos]}")
        return None  # the backslash escapes the next character (read by char_exp)

    def char_exp(self) -> str:
        self.match("\\")
        return self.next()

    def simple(self) -> Node:
        if self.match("."):
            return Chars(lambda c: True)
        if self.match("#"):
            return Empty()
        if self.match("@"):
            return AnyString()
        if self.match('"'):
            return self.quoted()
        if self.match("("):
            if self.match(")"):
                return Literal("")
            node = self.union()
            if not self.match(")"):
                raise self.error("expected ')'")
            return node
        if self.match("<"):
            return self.interval()
        predefined = self.predefined()
        if predefined is not None:
            return Chars(predefined)
        char = self.char_exp()
        if self.ci and char.isascii() and char.isalpha():
            return Chars(self.char_test(char))
        return Literal(char)

    def quoted(self) -> Node:
        start = self.pos
        while self.more() and not self.peek('"'):
            self.pos += 1
        if not self.match('"'):
            raise self.error("expected '\"'")
        text = self.s[start : self.pos - 1]
        if self.ci:
            return Seq(tuple(Chars(self.char_test(c)) for c in text)) if text else Literal("")
        return Literal(text)

    def interval(self) -> Node:
        start = self.pos
        while self.more() and not self.peek(">"):
            self.pos += 1
        if not self.match(">"):
            raise self.error("expected '>'")
        body = self.s[start : self.pos - 1]
        low, sep, high = body.partition("-")
        if not sep:
            # Named automata: Elasticsearch gives Lucene no automaton provider.
            raise self.error(f"'{body}' not found")
        if not (low.isdigit() and high.isdigit()):
            raise self.error("interval syntax error")
        digits = len(low) if len(low) == len(high) else 0
        a, b = sorted((int(low), int(high)))
        return Interval(a, b, digits)


def _class_test(tests: tuple[CharTest, ...], negate: bool) -> CharTest:
    if negate:
        return lambda c: not any(t(c) for t in tests)
    return lambda c: any(t(c) for t in tests)


def parse(pattern: str, case_insensitive: bool = False) -> Node:
    """Parse ``pattern``; raise RegexpSyntaxError where Lucene would refuse it."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise RegexpSyntaxError(
            f"the length of regex [{len(pattern)}] exceeds the allowed maximum of "
            f"[{MAX_REGEX_LENGTH}] (index.max_regex_length)"
        )
    return _Parser(pattern, case_insensitive).parse()


def fullmatch(node: Node, text: str) -> bool:
    """True when the whole of ``text`` is in the language of ``node`` (Lucene anchoring)."""
    return bool(_Matcher(text).ends(node, 0) >> len(text) & 1)


class _Matcher:
    """End-offset sets (bitmasks over 0..len) per node and start offset, memoised."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.memo: dict[tuple[int, int], int] = {}

    def upto_end(self, i: int) -> int:
        """Every offset from i to the end of the text."""
        return ((1 << (self.n + 1)) - 1) ^ ((1 << i) - 1)

    def ends(self, node: Node, i: int) -> int:
        key = (id(node), i)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self.compute(node, i)
        return found

    def compute(self, node: Node, i: int) -> int:
        if isinstance(node, Chars):
            return 1 << (i + 1) if i < self.n and node.test(self.text[i]) else 0
        if isinstance(node, Literal):
            return 1 << (i + len(node.text)) if self.text.startswith(node.text, i) else 0
        if isinstance(node, AnyString):
            return self.upto_end(i)
        if isinstance(node, Empty):
            return 0
        if isinstance(node, Interval):
            return self.interval(node, i)
        if isinstance(node, Seq):
            return self.seq(node.parts, 1 << i)
        if isinstance(node, Union):
            return _fold_or(self.ends(p, i) for p in node.parts)
        if isinstance(node, Inter):
            return _fold_and(self.upto_end(i), (self.ends(p, i) for p in node.parts))
        if isinstance(node, Complement):
            return self.upto_end(i) & ~self.ends(node.inner, i)
        return self.repeat(node, i)

    def step(self, node: Node, frontier: int) -> int:
        reached = 0
        while frontier:
            low = frontier & -frontier
            reached |= self.ends(node, low.bit_length() - 1)
            frontier ^= low
        return reached

    def seq(self, parts: tuple[Node, ...], frontier: int) -> int:
        for part in parts:
            frontier = self.step(part, frontier)
            if not frontier:
                break
        return frontier

    def repeat(self, node: Repeat, i: int) -> int:
        frontier, result, count = 1 << i, 0, 0
        if node.high is not None and node.low > node.high:
            return 0
        while count < node.low:
            frontier, count = self.step(node.inner, frontier), count + 1
        result = frontier
        while frontier and (node.high is None or count < node.high):
            frontier = self.step(node.inner, frontier) & ~result
            result, count = result | frontier, count + 1
        return result

    def interval(self, node: Interval, i: int) -> int:
        result, j = 0, i
        while j < self.n and "0" <= self.text[j] <= "9":
            j += 1
            digits = self.text[i:j]
            width_ok = node.digits == 0 or len(digits) == node.digits
            if width_ok and node.low <= int(digits) <= node.high:
                result |= 1 << j
        return result


def _fold_or(masks: Iterable[int]) -> int:
    result = 0
    for mask in masks:
        result |= mask
    return result


def _fold_and(start: int, masks: Iterable[int]) -> int:
    for mask in masks:
        start &= mask
    return start
