"""converter/targets/regex.py: Sigma |re (Python re.search semantics) -> Lucene RegExp.

Every row states, by hand from the Python ``re`` documentation
(https://docs.python.org/3/library/re.html), whether ``re.search`` finds the pattern in the value;
the test checks that Python agrees (so the row itself is right) and that the project's Lucene
RegExp model (converter/engines/lucene_regexp.py) gives the same answer on the translation.
"""

from __future__ import annotations

import random
import re
import string
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from sigma.types import SigmaRegularExpressionFlag, SigmaString

from converter.engines import lucene_regexp
from converter.targets.regex import (
    Untranslatable,
    case_forms,
    folds_unevenly,
    ignores_case,
    literal_to_lucene,
    to_lucene,
    translate,
)

_BITS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def python_search(pattern: str, flags: str, value: str) -> bool:
    bits = 0
    for flag in flags:
        bits |= _BITS[flag]
    return re.search(pattern, value, bits) is not None


def lucene_match(body: str, value: str, case_insensitive: bool = False) -> bool:
    return lucene_regexp.fullmatch(lucene_regexp.parse(body, case_insensitive), value)


# (pattern, flags, value, re.search finds a match)
AGREE: list[tuple[str, str, str, bool]] = [
    # unanchored search
    ("abc", "", "abc", True),
    ("abc", "", "xxabcxx", True),
    ("abc", "", "ab", False),
    ("abc", "", "a\nbc", False),
    ("b", "", "a\nb\nc", True),  # the implicit prefix/suffix cross newlines
    ("", "", "", True),
    ("", "", "anything", True),
    ("a|", "", "zzz", True),
    ("a(|b)c", "", "ac", True),
    ("a(|b)c", "", "abc", True),
    ("a(?:)c", "", "ac", True),
    # anchors at the edges
    ("^abc", "", "abcx", True),
    ("^abc", "", "xabc", False),
    ("^abc", "", "x\nabc", False),
    ("abc$", "", "xabc", True),
    ("abc$", "", "abc\n", True),  # $ also matches before a final newline
    ("abc$", "", "abc\n\n", False),
    ("abc$", "", "abcx", False),
    ("abc\\Z", "", "abc\n", False),
    ("abc\\Z", "", "xabc", True),
    ("\\Aabc", "", "abc", True),
    ("\\Aabc", "", "xabc", False),
    ("^abc$", "", "abc", True),
    ("^abc$", "", "abcabc", False),
    ("^$", "", "", True),
    ("^$", "", "\n", True),
    ("^$", "", "a", False),
    ("^^a$$", "", "a", True),
    ("^\\Aa$\\Z", "", "a\n", False),
    ("^a|b$", "", "ab", True),
    ("^a|b$", "", "ba", False),
    ("^a|b$", "", "xb", True),
    ("(?:^a|^b)c", "", "bc", True),
    ("(a|^b)c", "", "xbc", False),
    ("(a|^b)c", "", "bc", True),
    ("(a|^b)c", "", "xac", True),
    ("x(a|b$)", "", "xb\n", True),
    ("x(a|b$)", "", "xbz", False),
    ("x(a|b$)", "", "xaz", True),
    ("(^|\\\\)cmd\\.exe$", "i", "C:\\Windows\\CMD.EXE", True),
    ("(^|\\\\)cmd\\.exe$", "i", "cmd.exe", True),
    ("(^|\\\\)cmd\\.exe$", "i", "xcmd.exe", False),
    ("(\\\\|^)cmd\\.exe$", "", "a\\cmd.exe.bak", False),
    ("^(^a|b)", "", "b", True),
    ("^(^a|b)", "", "xa", False),
    # multiline anchors at the edges
    ("^b", "m", "a\nb", True),
    ("^b", "m", "ab", False),
    ("(?m)^b$", "", "a\nb\nc", True),
    ("(?m)^b$", "", "a\nbc", False),
    ("b$", "m", "b\na", True),
    ("b$", "m", "ba", False),
    ("(?m)^$", "", "a\n\nb", True),
    ("(?m)^$", "", "a\nb", False),
    ("^a$", "m", "x\na\ny", True),
    ("\\Aa", "m", "x\na", False),
    ("a\\Z", "m", "a\nx", False),
    # dot and dotall
    ("a.c", "", "abc", True),
    ("a.c", "", "a\nc", False),
    ("a.c", "s", "a\nc", True),
    ("(?s)a.c", "", "a\nc", True),
    ("(?s:a.)c", "", "a\nc", True),
    ("a(?s:.)(.)", "", "a\n\n", False),
    ("^.*$", "", "x\ny", False),
    ("^.*$", "s", "x\ny", True),
    # quantifiers, lazy ones included
    ("^a{2}$", "", "aa", True),
    ("^a{2}$", "", "aaa", False),
    ("^a{2,}$", "", "aaaa", True),
    ("^a{2,}$", "", "a", False),
    ("^a{,2}$", "", "", True),
    ("^a{,2}$", "", "aaa", False),
    ("^a{2,3}$", "", "aaa", True),
    ("^a{2,3}$", "", "aaaa", False),
    ("^ax{0}b$", "", "ab", True),
    ("^a+?$", "", "aaa", True),
    ("^a*?b", "", "aab", True),
    ("^a??b$", "", "b", True),
    ("^(ab)*$", "", "abab", True),
    ("^(ab)*$", "", "aba", False),
    ("^(?:a|bc)+$", "", "abca", True),
    ("^(?:a|bc)+$", "", "abcb", False),
    ("^(?:(?:)a*)+$", "", "aa", True),
    ("(?:x{2}){3}", "", "xxxxxx", True),
    ("^(?:x{2}){3}$", "", "xxxxx", False),
    # character classes
    ("[a-c]", "", "zbz", True),
    ("[a-c]", "", "xyz", False),
    ("^[^a-c]+$", "", "xyz", True),
    ("[^a]", "", "\n", True),  # a negated class matches a newline
    ("[]]", "", "]", True),
    ("[\\]]", "", "]", True),
    ("[\\^]", "", "^", True),
    ("[x^]", "", "^", True),
    ("[-a]", "", "-", True),
    ("[a-]", "", "-", True),
    ("[a\\-z]", "", "b", False),
    ("[\\\\]", "", "\\", True),
    ("[.]", "", "x", False),
    ("[.]", "", ".", True),
    ('["#@&<>~]', "", "@", True),
    ('["#@&<>~]', "", "a", False),
    ("[\\d]", "", "7", True),
    ("[\\s]", "", "\u00a0", True),  # Python's Unicode \s includes NO-BREAK SPACE
    ("\\s", "", "\u2003", True),
    ("\\s", "", "\x1c", True),
    ("\\S", "", " ", False),
    ("\\S", "", " x", True),
    ("\\W", "", "_", False),
    ("\\W", "", "-", True),
    ("^[^\\W\\d]+$", "", "ab_c", True),
    ("^[^\\W\\d]+$", "", "a1", False),
    ("\\D", "", "12", False),
    ("[\\D]", "", "1a", True),
    ("(?a)\\w", "", "x", True),
    ("[\u00e0-\u00ff]", "", "caf\u00e9", True),
    ("[\u00e0-\u00ff]", "", "cafe", False),
    ("caf\u00e9", "", "CAF\u00c9", False),
    ("caf\u00e9", "i", "CAF\u00c9", True),
    ("[^\\x00-\\U0010ffff]", "", "a", False),
    ("[\\x00-\\U0010ffff]", "", "\n", True),
    # escapes: control characters, hex, Unicode, escaped punctuation
    ("a\\tb", "", "a\tb", True),
    ("a\\nb", "", "a\nb", True),
    ("a\\nb", "", "anb", False),
    ("\\x41", "", "A", True),
    ("\\x2e", "", ".", True),
    ("\\x2e", "", "x", False),
    ("\\u00e9", "", "\u00e9", True),
    ("\\U0001F600", "", "\U0001f600", True),
    ("\\.", "", "x", False),
    ("\\\\", "", "a\\b", True),
    ("\\$", "", "$", True),
    ("\\^", "", "a^", True),
    ("a\\/b", "", "a/b", True),
    ("\\0", "", "\x00", True),
    ("\\a\\f\\v\\r", "", "\a\f\v\r", True),
    # Lucene operators that PCRE reads as literals
    ('a"b', "", 'a"b', True),
    ("x#y", "", "x#y", True),
    ("x#y", "", "xy", False),
    ("me@host", "", "me@host", True),
    ("a&b", "", "a&b", True),
    ("a&b", "", "a", False),
    ("<1-9>", "", "<1-9>", True),
    ("<1-9>", "", "5", False),
    ("~a", "", "~a", True),
    ("~a", "", "b", False),
    ("a b", "", "a b", True),
    ("a/b", "", "a/b", True),
    ("a-b,c=d:e!%", "", "a-b,c=d:e!%", True),
    # groups of every kind that only group
    ("(?P<n>ab)c", "", "abc", True),
    ("(?:ab)c", "", "abc", True),
    ("(?#comment)ab", "", "ab", True),
    ("(?x) a b # spaces and comments ignored", "", "ab", True),
    # case
    ("abc", "", "ABC", False),
    ("abc", "i", "ABC", True),
    ("(?i)abc", "", "AbC", True),
    ("(?i:a)b", "", "Ab", True),
    ("(?i:a)b", "", "AB", False),
    ("a(?-i:b)", "i", "Ab", True),
    ("a(?-i:b)", "i", "AB", False),
    ("[a-z]", "i", "Q", True),
    ("[^a-z]", "i", "Q", False),
    ("[^a]", "i", "A", False),
    ("[^a]", "", "A", True),
    ("k", "i", "\u212a", True),  # KELVIN SIGN folds to k
    ("K", "i", "\u212a", True),
    ("[j-l]", "i", "\u212a", True),
    ("s", "i", "\u017f", True),  # LATIN SMALL LETTER LONG S folds to s
    ("\u00df", "i", "\u1e9e", True),  # CAPITAL SHARP S
    ("i", "i", "\u0130", True),  # I WITH DOT ABOVE lowercases to i
    ("\u03c3", "i", "\u03a3", True),  # sigma
    ("\u03c3", "i", "\u03c2", True),  # final sigma
    ("x", "i", "Y", False),
    ("[^k]", "i", "\u212a", False),
    ("\\x41", "i", "a", True),
]


@pytest.mark.parametrize(("pattern", "flags", "value", "expected"), AGREE)
def test_agrees_with_python(pattern: str, flags: str, value: str, expected: bool) -> None:
    assert python_search(pattern, flags, value) is expected, "the row itself is wrong"
    body = to_lucene(pattern, set(flags), fold_case=True)
    assert lucene_match(body, value) is expected, body


# Without fold_case the caller ignores case at the engine level exactly when ignores_case says so
# (the model's case_insensitive switch folds ASCII, as Lucene's does).
# (pattern, flags, value, found)
ENGINE_CASE: list[tuple[str, str, str, bool]] = [
    ("abc", "i", "xABCx", True),
    ("(?i)abc", "", "ABC", True),
    ("abc", "", "ABC", False),
    ("(?i:1)a", "", "1a", True),  # a scope without letters changes nothing
    ("(?i:1)a", "", "1A", False),
    ("[^a]", "i", "A", False),
]


@pytest.mark.parametrize(("pattern", "flags", "value", "expected"), ENGINE_CASE)
def test_engine_level_case(pattern: str, flags: str, value: str, expected: bool) -> None:
    assert python_search(pattern, flags, value) is expected, "the row itself is wrong"
    body = to_lucene(pattern, set(flags), fold_case=False)
    assert lucene_match(body, value, ignores_case(pattern, set(flags))) is expected, body


# (pattern, flags, fold_case, words of the reason)
REFUSED: list[tuple[str, str, bool, str]] = [
    ("a\\bb", "", True, "word boundary"),
    ("\\Bx", "", True, "word boundary"),
    ("(?=a)", "", True, "lookaround"),
    ("a(?!b)", "", True, "lookaround"),
    ("(?<=a)b", "", True, "lookaround"),
    ("(?<!a)b", "", True, "lookaround"),
    ("(a)\\1", "", True, "backreference"),
    ("(?P<n>a)(?P=n)", "", True, "backreference"),
    ("(a)?(?(1)b|c)", "", True, "conditional"),
    ("a++", "", True, "possessive"),
    ("a*+", "", True, "possessive"),
    ("(?>ab|a)b", "", True, "atomic"),
    ("a$b", "", True, "anchor"),
    ("a^b", "m", True, "anchor"),
    ("(^a)+", "", True, "anchor"),
    ("(?:\\.|$){4}", "", True, "anchor"),
    ("(", "", True, "not a valid regular expression"),
    ("a{2,1}", "", True, "not a valid regular expression"),
    ("[z-a]", "", True, "not a valid regular expression"),
    ("a" * 1001, "", True, "max_regex_length"),
    ("\u00e9" * 600, "i", True, "max_regex_length"),
    ("(?i:a)b", "", False, "fold_case=True"),
    ("a(?-i:b)", "i", False, "fold_case=True"),
    ("a", "x", True, "unknown regular expression flag"),
]


@pytest.mark.parametrize(("pattern", "flags", "fold_case", "reason"), REFUSED)
def test_untranslatable(pattern: str, flags: str, fold_case: bool, reason: str) -> None:
    with pytest.raises(Untranslatable, match=re.escape(reason)) as raised:
        to_lucene(pattern, set(flags), fold_case=fold_case)
    assert "\n" not in str(raised.value)


# approximate=True widens what has no equivalent: (pattern, value, Python finds it, Lucene does)
WIDENED: list[tuple[str, str, bool, bool]] = [
    ("a\\bb", "ab", False, True),
    ("a\\b", "a b", True, True),
    ("x(?=y)", "xz", False, True),
    ("x(?!y)", "xz", True, True),
    ("(a)\\1", "ab", False, True),
    ("(a)\\1", "aa", True, True),
    ("a++a", "aa", False, True),
    ("a$b", "ab", False, True),
    ("q", "a", False, False),  # widening never invents a match elsewhere
]


@pytest.mark.parametrize(("pattern", "value", "python", "lucene"), WIDENED)
def test_approximate_over_matches(pattern: str, value: str, python: bool, lucene: bool) -> None:
    assert python_search(pattern, "", value) is python, "the row itself is wrong"
    result = translate(pattern, fold_case=True, approximate=True)
    assert lucene_match(result.body, value) is lucene, result.body
    assert result.direction == (None if pattern == "q" else "over-match")


# \d and \w are ASCII in the translation: (pattern, value, Python, Lucene, direction)
ASCII_CLASSES: list[tuple[str, str, bool, bool, str | None]] = [
    ("\\d", "\u0663", True, False, "under-match"),  # ARABIC-INDIC DIGIT THREE
    ("\\w", "\u00e9", True, False, "under-match"),
    ("\\D", "\u0663", False, True, "over-match"),
    ("[^\\w]", "\u00e9", False, True, "over-match"),
    ("\\d\\W", "1\u00e9", False, True, "either"),
    ("(?a)\\d", "\u0663", False, False, None),  # ASCII mode: exact
    ("\\s", "\u3000", True, True, None),  # \s is translated exactly
]


@pytest.mark.parametrize(("pattern", "value", "python", "lucene", "direction"), ASCII_CLASSES)
def test_ascii_classes_reported(
    pattern: str, value: str, python: bool, lucene: bool, direction: str | None
) -> None:
    assert python_search(pattern, "", value) is python, "the row itself is wrong"
    result = translate(pattern, fold_case=False)
    assert lucene_match(result.body, value) is lucene
    assert result.direction == direction
    assert bool(result.inexact) is (direction is not None)


@pytest.mark.parametrize("char", list(string.printable))
def test_every_ascii_character_literal(char: str) -> None:
    body = to_lucene(re.escape(char), set(), fold_case=True)
    assert lucene_match(body, f"x{char}y")
    assert not lucene_match(body, "ab" if char not in "ab" else "cd")


@pytest.mark.parametrize("letter", ["a", "k", "s", "i", "\u00df", "\u03b8", "\u0434"])
def test_fold_case_matches_python_ignorecase(letter: str) -> None:
    """Over the whole BMP: the folded literal accepts exactly what Python's IGNORECASE does."""
    python = re.compile(re.escape(letter), re.IGNORECASE)
    node = lucene_regexp.parse(literal_to_lucene(letter, fold_case=True))
    for cp in range(0x10000):
        char = chr(cp)
        expected = python.fullmatch(char) is not None
        assert lucene_regexp.fullmatch(node, char) is expected, hex(cp)


# (Sigma string as written in a rule, fold_case, value, matches the whole value)
LITERALS: list[tuple[str | SigmaString, bool, str, bool]] = [
    ("a.b", False, "a.b", True),
    ("a.b", False, "axb", False),
    ("a*b", False, "a*b", True),  # a plain str has no wildcards
    ("a*b", False, "axb", False),
    (SigmaString("a*b"), False, "axxb", True),
    (SigmaString("a*b"), False, "a\nb", True),
    (SigmaString("a*b"), False, "axbc", False),
    (SigmaString("a?b"), False, "axb", True),
    (SigmaString("a?b"), False, "ab", False),
    (SigmaString("a\\*b"), False, "a*b", True),
    (SigmaString("a\\*b"), False, "axb", False),
    (SigmaString("*\\cmd.exe"), True, "C:\\Windows\\CMD.EXE", True),
    (SigmaString("*\\cmd.exe"), False, "C:\\Windows\\CMD.EXE", False),
    ('"<>#@&~', False, '"<>#@&~', True),
    ("Kelvin", True, "\u212aELVIN", True),
    ("", False, "", True),
    ("", False, "x", False),
]


@pytest.mark.parametrize(("text", "fold_case", "value", "expected"), LITERALS)
def test_literal_to_lucene(
    text: str | SigmaString, fold_case: bool, value: str, expected: bool
) -> None:
    assert lucene_match(literal_to_lucene(text, fold_case=fold_case), value) is expected


def test_literal_placeholder_refused() -> None:
    with pytest.raises(Untranslatable, match="placeholder"):
        literal_to_lucene(SigmaString("%admins%").insert_placeholders(), fold_case=False)


# (pattern, flags, Python ignores case over the whole pattern)
IGNORES_CASE: list[tuple[str, Any, bool]] = [
    ("abc", set(), False),
    ("abc", {"i"}, True),
    ("abc", {SigmaRegularExpressionFlag.IGNORECASE}, True),
    ("(?i)abc", set(), True),
    ("(?i:a)bc", set(), False),
]


@pytest.mark.parametrize(("pattern", "flags", "expected"), IGNORES_CASE)
def test_ignores_case(pattern: str, flags: Any, expected: bool) -> None:
    assert ignores_case(pattern, flags) is expected


def test_pysigma_flags_accepted() -> None:
    flags = {SigmaRegularExpressionFlag.DOTALL, SigmaRegularExpressionFlag.MULTILINE}
    assert lucene_match(to_lucene("^a.b$", flags, fold_case=False), "x\na\nb\ny")


# --- the SigmaHQ corpus ------------------------------------------------------------------------


def _corpus_regexes(rules: Path) -> list[tuple[str, frozenset[Any]]]:
    from sigma.rule import SigmaRule
    from sigma.types import SigmaRegularExpression

    from converter.fields import detection_items

    found = []
    for path in sorted(rules.rglob("*.yml")):
        try:
            rule = SigmaRule.from_yaml(path.read_text(encoding="utf-8"))
        except Exception:  # not a detection rule (correlation, filter) or not valid
            continue
        for item in detection_items(rule):
            for value in item.value:
                if isinstance(value, SigmaRegularExpression):
                    found.append((str(value.regexp), frozenset(value.flags)))
    return found


class _Witness:
    """A random string that the parsed pattern matches (ASCII choices for \\d \\w \\s)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def seq(self, items: Any) -> str:
        return "".join(self.item(str(op), av) for op, av in items)

    def item(self, op: str, av: Any) -> str:
        if op == "LITERAL":
            return chr(av)
        if op in ("NOT_LITERAL", "ANY"):
            return self.rng.choice([c for c in "xZ9_-. \\/" if ord(c) != av])
        if op == "IN":
            return self.pick(av)
        if op == "BRANCH":
            return self.seq(self.rng.choice(av[1]))
        if op == "SUBPATTERN":
            return self.seq(av[3])
        if op in ("MAX_REPEAT", "MIN_REPEAT"):
            count = self.rng.randint(av[0], min(av[1], av[0] + 3))
            return "".join(self.seq(av[2]) for _ in range(count))
        return ""  # anchors

    def pick(self, items: Any) -> str:
        candidates = string.ascii_letters + string.digits + string.punctuation + " "
        allowed = [c for c in candidates if re.fullmatch(_in_regex(items), c)]
        return self.rng.choice(allowed) if allowed else "x"


def _in_regex(items: Any) -> str:
    """The class back as a Python regex, to filter candidate characters."""
    parts, negate = [], False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            parts.append(re.escape(chr(av)))
        elif name == "RANGE":
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        else:
            parts.append({"DIGIT": "\\d", "WORD": "\\w", "SPACE": "\\s"}[str(av).split("_")[-1]])
            if "NOT" in str(av):
                parts[-1] = parts[-1].upper()
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def _samples(pattern: str, flags: frozenset[Any], rng: random.Random) -> list[str]:
    with warnings.catch_warnings():  # the deprecated alias of re._parser
        warnings.simplefilter("ignore", DeprecationWarning)
        import sre_parse

    witness = _Witness(rng).seq(sre_parse.parse(pattern).data)
    mutated = list(witness)
    if mutated:
        mutated[rng.randrange(len(mutated))] = rng.choice("aZ0.\\ ")
    return [witness, f"pre {witness} post", "".join(mutated), witness.upper(), witness[1:]]


_SIGMA_FLAGS = {"IGNORECASE": "i", "MULTILINE": "m", "DOTALL": "s"}


@pytest.mark.shared
def test_sigmahq_regexes(shared: Path) -> None:
    regexes = _corpus_regexes(shared / "sigmahq" / "rules")
    translated, refused, checked = 0, [], 0
    rng = random.Random(1)
    for pattern, flags in regexes:
        python_flags = "".join(_SIGMA_FLAGS[flag.name] for flag in flags)
        try:
            result = translate(pattern, flags, fold_case=True)
        except Untranslatable as e:
            refused.append(f"{pattern!r}: {e}")
            continue
        translated += 1
        node = lucene_regexp.parse(result.body)
        for value in _samples(pattern, flags, rng):
            if result.inexact and not value.isascii():
                continue
            expected = python_search(pattern, python_flags, value)
            assert lucene_regexp.fullmatch(node, value) is expected, (pattern, value, result.body)
            checked += 1
    print(f"\n{len(regexes)} |re values: {translated} translated, {len(refused)} refused")
    print("\n".join(refused), file=sys.stderr)
    assert len(regexes) > 100 and len(refused) <= 2 and checked > 4 * translated


# (text, whether a per-character lowercasing misses a form re.IGNORECASE joins to one of its
# letters): Java's Character.toLowerCase maps U+03A3 to U+03C3 but leaves U+03C2; U+017F and s,
# U+00B5 and U+03BC, U+0130 and U+0131 likewise; the Kelvin sign lowercases to k (one form).
UNEVEN = [
    ("abc", False),
    ("is", False),  # ASCII i and s are left out (see folds_unevenly)
    ("\u00e9\u00c9", False),
    ("\u212a", False),
    ("\u0416", False),
    ("a\u03c2", True),
    ("\u03a3", True),
    ("\u017f", True),
    ("\u00b5", True),
    ("\u0130", True),
    ("\u0131", True),
]


@pytest.mark.parametrize(("text", "uneven"), UNEVEN)
def test_folds_unevenly(text: str, uneven: bool) -> None:
    assert folds_unevenly(text) is uneven


CASE_FORMS = [
    ("a", ("A", "a")),
    ("7", ("7",)),
    ("\u03c2", ("\u03a3", "\u03c2", "\u03c3")),
    ("k", ("K", "k", "\u212a")),
    ("\u0130", ("I", "i", "\u0130", "\u0131")),
]


@pytest.mark.parametrize(("char", "forms"), CASE_FORMS)
def test_case_forms(char: str, forms: tuple[str, ...]) -> None:
    assert case_forms(char) == forms
