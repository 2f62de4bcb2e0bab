"""Property tests over hostile values (issue 7): every target means what the Sigma value means.

Each test draws one-item rules for one modifier family from bench/fuzz.py's alphabet (the
characters query languages treat specially, whitespace, non-ASCII letters whose case folds
unevenly, and/or/not, leading and trailing backslashes) and runs them through all six targets,
parity profile, with no declared exceptions. The property: on the witness events (the field
holds exactly what the value means, built from the Sigma specification in bench/fuzz.py, which
also holds the oracle to them) and on near misses (one character changed; the oracle decides),
each target's query, run in its engine model, answers as the oracle does, or its conversion was
declared unsupported or warned in the direction it errs. A divergence whose cause is an
``assumed:`` engine-model open point (docs/engines.md) is not a failure here, unless the points
named are about multi-valued fields or over-long values, which these events never have.

Bounded for CI: ``derandomize=True`` draws the same examples on every run, no example database.
bench/fuzz.py runs the same property over 100,000 examples per target.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from converter.parity import Harness, Outcome
from converter.targets import TARGETS

T = TypeVar("T")
BENCH = Path(__file__).resolve().parent.parent / "bench" / "fuzz.py"


def _load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()
Case = fuzz.Case
EXAMPLES = 150  # per family: ten families, 15-40 ms per example on two shared cores
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
_numbers = itertools.count()


@cache
def harness() -> Harness:
    """One harness for every example (building pipelines and engines takes seconds)."""
    built: Harness = fuzz.make_harness(list(TARGETS))
    return built


class _Hypothesis:
    """bench/fuzz.py's Draw over hypothesis, so failing cases shrink."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]):
        self.draw = draw

    def pick(self, options: Sequence[T]) -> T:
        picked: T = self.draw(st.sampled_from(options))
        return picked

    def count(self, low: int, high: int) -> int:
        counted: int = self.draw(st.integers(low, high))
        return counted


def cases(family: str) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
        return fuzz.FAMILIES[family](_Hypothesis(draw))

    return build()


def holds(case: Any) -> None:
    """The property for one case; pySigma refusing the rule (a wildcard under base64) is no
    example at all."""
    result = fuzz.run_case(harness(), case, next(_numbers))
    assume(not result.invalid)
    failures = {f.key: f for f in result.failures}  # one per target and cause
    assert not failures, "\n\n".join(f.describe() for f in failures.values())


# Hand-picked rows (a test is the family's own; the values are the nastiest known ones).
TRAILING_BACKSLASH = Case("equals", "CommandLine", (), ("C:\\a\\",), fill="")
ESCAPED_STAR = Case("contains", "Image", ("contains",), ("a\\*b",))
AND_WORD = Case("equals", "User", (), (" AND ",), "not sel")
QUOTES = Case("contains", "CommandLine", ("contains",), ('it\'s "q"',))
NEWLINE = Case("endswith", "Image", ("endswith",), ("a\nb",))
TAB_CASED = Case("cased", "User", ("cased",), ("a\tb",))
UNMAPPED_QUESTION = Case("startswith", "FuzzField", ("startswith",), ("\\?x",), pad="\\")
WINDASH = Case("windash", "CommandLine", ("contains", "windash"), (" -a\\",))
NOT_WINDASH = Case("windash", "CommandLine", ("windash",), ("-a",), "not sel")  # NOT over an OR
ALL = Case("all", "CommandLine", ("contains", "all"), (" OR ", "\\"), "not sel")
REGEX = Case("re", "CommandLine", ("re",), ('\\\\"\\&',), sample='\\"&')
BASE64 = Case("base64", "CommandLine", ("base64offset", "contains"), ("C:\\a\\",))
WIDE = Case("utf16", "CommandLine", ("wide", "base64offset", "contains"), ("-x \\",))


@PROPERTY
@given(cases("equals"))
@example(TRAILING_BACKSLASH)
@example(AND_WORD)
def test_equals(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("contains"))
@example(ESCAPED_STAR)
@example(QUOTES)
def test_contains(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("startswith"))
@example(UNMAPPED_QUESTION)
def test_startswith(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("endswith"))
@example(NEWLINE)
def test_endswith(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("cased"))
@example(TAB_CASED)
def test_cased(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("windash"))
@example(WINDASH)
@example(NOT_WINDASH)
def test_windash(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("all"))
@example(ALL)
def test_all(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("re"))
@example(REGEX)
def test_regex(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("base64"))
@example(BASE64)
def test_base64(case: Any) -> None:
    holds(case)


@PROPERTY
@given(cases("utf16"))
@example(WIDE)
def test_utf16(case: Any) -> None:
    holds(case)


# The witnesses' own reference, by hand from the specification's escaping rules.
MEANINGS = [
    ("C:\\a\\", "C:\\a\\"),  # a backslash before a letter, and a trailing one, are literal
    ("a\\*b", "a*b"),  # an escaped wildcard is the character
    ("a*b?", "aQzbk"),  # live wildcards: * as Qz, ? as k
    ("\\\\*", "\\Qz"),  # an escaped backslash, then a live *
    ("\\\\\\*", "\\*"),  # an escaped backslash, then an escaped *
    ("\\", "\\"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "meant"), MEANINGS)
def test_meaning(raw: str, meant: str) -> None:
    assert fuzz._joined(fuzz.meaning(raw, "Qz", "k")) == meant


WITNESSES = [
    # contains pads both sides; a case variant where the value is not |cased
    (Case("contains", "Image", ("contains",), ("a\\",), pad="x"), ["xa\\x", "XA\\X"]),
    (Case("cased", "Image", ("startswith", "cased"), ("a*",), fill="", pad="x"), ["ax"]),
    # windash: a dash that starts a word takes each of its five forms; -x inside a word does not
    (
        Case("windash", "Image", ("windash",), ("a-b -c",), pad=""),
        ["a-b -c", "A-B -C", "a-b -c", "a-b /c", "a-b \u2013c", "a-b \u2014c", "a-b \u2015c"],
    ),
    # base64 of "ab", and base64offset: the value after 0, 1 and 2 bytes of other text
    (Case("base64", "Image", ("base64",), ("ab",)), ["YWI="]),
    (
        Case("base64", "Image", ("base64offset", "contains"), ("ab",), pad=""),
        ["YWI=", "eGFi", "eHlhYg=="],
    ),
    # wide: UTF-16LE, so "a" is 61 00
    (
        Case("utf16", "Image", ("wide", "base64offset", "contains"), ("a",), pad=""),
        ["YQA=", "eABhAA==", "eAB5AGEA"],
    ),
    # |re: the sample between the anchors, padded where not anchored; |i adds a case variant
    (
        Case("re", "Image", ("re", "i"), ("^a.",), pad="x", sample="ak", anchored=(True, False)),
        ["akx", "AKX"],
    ),
]


@pytest.mark.parametrize(("case", "expected"), WITNESSES)
def test_witnesses(case: Any, expected: list[str]) -> None:
    assert fuzz.witnesses(case) == expected


KINDS = [
    ("agree", "", "agree"),
    ("warned", "T1 case (under-match)", "warned"),
    ("diverge", "unexplained", "diverge"),
    ("diverge", "assumed: dsl.default_field", "assumed"),
    # an open point about multi-valued fields cannot explain an event with one value per field
    ("diverge", "assumed: spl-multivalue-negation", "diverge"),
    ("diverge", "assumed: eql.multivalue, esql-ignore-above", "diverge"),
    ("diverge", "assumed: spl-empty-value, spl-multivalue-negation", "assumed"),
    ("declared", "T2 literal '*' cannot be escaped", "diverge"),  # nothing is declared here
]


@pytest.mark.parametrize(("verdict", "cause", "kind"), KINDS)
def test_kind(verdict: str, cause: str, kind: str) -> None:
    outcome = Outcome("r", "e", "splunk", "q", True, False, verdict, cause)
    assert fuzz.kind_of(outcome) == kind
