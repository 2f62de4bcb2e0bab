"""Hostile-input fuzzing: Sigma values built from every character that matters, on every target.

    python bench/fuzz.py [--examples N] [--targets splunk,lucene,...] [--seed S] [--jobs J]
                         [--json bench-fuzz-failures.json]

Each example is a one-item rule (Windows process_creation, so every target maps the field; one
unmapped field too) whose value is drawn from the characters query languages treat specially
(``* ? \\ " ' : ( ) [ ] { } < > | & ! ~ / ^ $ = ,``), whitespace, non-ASCII letters, the words
and/or/not in both cases and leading/trailing backslashes, through one string modifier family.
Its events are built here from what the value means in the Sigma specification, not from the
converter: the witness holds exactly the value (wildcards filled), a case variant, windash
variants, the base64 forms; near misses change one character. Synthesized events
(converter.synth) are added. The parity harness runs every emitted query in its engine model.

Property: no target answers differently from the Sigma meaning unless its conversion said so
(verdict ``warned`` or ``unsupported``). ``diverge`` and ``error`` are failures; a divergence
whose cause is an ``assumed:`` open point of an engine model (docs/engines.md) is counted apart,
unless every point named is about multi-valued fields or over-long values, which these events
never have (then it is a divergence the label does not explain).
Witness verdicts are stated here and also hold the oracle to them (pseudo-target ``oracle``).

Sigma semantics relied on (SigmaHQ sigma-specification, "Value modifiers" and "Escape
Character", https://github.com/SigmaHQ/sigma-specification): ``*``/``?`` are wildcards, ``\\``
escapes ``*``, ``?`` and itself and is literal before anything else (also at the end); values
ignore case unless ``|cased``; ``|re`` is a case-sensitive search unless ``|re|i``;
windash turns a ``-`` or ``/`` that starts a word into each of ``-``, ``/``, en dash, em dash and
horizontal bar (pySigma 1.5 ``sigma/modifiers.py`` SigmaWindowsDashModifier, pattern
``\\B[-/]\\b``); base64offset is the base64 of the value at the three byte offsets (same file,
SigmaBase64OffsetModifier).
Also imported by tests/test_properties.py, which draws the same cases through hypothesis.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any, Protocol, TypeVar

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sigma.collection import SigmaCollection  # noqa: E402
from sigma.rule import SigmaRule  # noqa: E402

from converter.conversion import Settings  # noqa: E402
from converter.fixtures import FixtureEvent  # noqa: E402
from converter.loader import RuleSource  # noqa: E402
from converter.logsources import sigma_view  # noqa: E402
from converter.parity import Harness, Outcome, Report  # noqa: E402
from converter.synth import synthesize  # noqa: E402
from converter.targets import TARGETS  # noqa: E402

T = TypeVar("T")

# --- the alphabet ------------------------------------------------------------------------------

# whitespace: also CR, no-break space (KQL's whitespace) and ideographic space (Lucene's)
SPECIALS = (*"*?\\\"':()[]{}<>|&!~/^$=,", " ", "\t", "\n", "\r", "\u00a0", "\u3000")
# dotted/dotless i, long s, Kelvin sign, sigma and final sigma: case folds Unicode, not ASCII
LETTERS = ("a", "B", "7", "é", "ß", "İ", "\u0131", "\u017f", "\u212a", "Ж", "\u03c3", "ς", "中")
WORDS = ("and", "or", "not", "AND", "OR", "NOT", " AND ", " or ", " not ", "-x", "/x", "C:\\a\\")
ESCAPES = ("\\*", "\\?", "\\\\")
TOKENS = SPECIALS + LETTERS + WORDS + ESCAPES
# base64 rejects live wildcards and wide/utf16 non-ASCII (pySigma modifiers.py). base64offset
# cuts its encodings by the value's length in characters, not in the bytes it encodes, so a
# non-ASCII value, an escaped wildcard (encoded with its backslash, see _pysigma_bytes) or
# |utf16's BOM get wrong cuts and match only some alignments: left out (pySigma bugs).
ASCII_TOKENS = tuple(t for t in TOKENS if t.isascii() and t not in ("*", "?"))
OFFSET_TOKENS = tuple(t for t in ASCII_TOKENS if t not in ("\\*", "\\?"))
FILLS = ("", "Qz", " ", "\n", "*", "\\", "é AND ")  # what * stands for in a witness
ONES = ("k", "?", "\n", "é")  # what ? stands for
PADS = ("", "x", "xy", " - ", "\\")  # text around a contains/startswith/endswith value
FIELDS = ("CommandLine", "Image", "User", "FuzzField")  # FuzzField: mapped by no pipeline
STATE = {"Computer": "fuzz-host", "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
CODECS = {"utf16": "utf-16le", "utf16be": "utf-16-be", "wide": "utf-16le"}
WINDASH = ("-", "/", "\u2013", "\u2014", "\u2015")
# |re pieces: (regex, a text it matches in the middle of a value, with no flags)
RE_PIECES = (
    (".*", "Qz"),
    (r"\d+", "42"),
    ("[a-c]", "b"),
    ("(?:and|or)", "or"),
    ("(x|y)", "y"),
    (r"\s", "\t"),
    ("[^x]", "y"),
    ("a{2}", "aa"),
    (".", "k"),
    (r"\w+", "é1"),
    ("[*?]", "?"),
    (r"\\", "\\"),
    (r"\.", "."),
    (r"[\]\[]", "]"),
    (r"\/", "/"),
    (r"\"", '"'),
)
RE_FLAGS = ((), ("i",), ("m",), ("s",), ("i", "s"))


class Draw(Protocol):
    """Where choices come from: a seeded Random here, hypothesis in the tests."""

    def pick(self, options: Sequence[T]) -> T: ...

    def count(self, low: int, high: int) -> int: ...


@dataclass
class RandomDraw:
    random: Random

    def pick(self, options: Sequence[T]) -> T:
        return options[self.random.randrange(len(options))]

    def count(self, low: int, high: int) -> int:
        return self.random.randint(low, high)


@dataclass(frozen=True)
class Case:
    """One example: ``sel: {field|modifiers: values}`` under ``condition``, and how to fill it."""

    family: str
    field: str
    modifiers: tuple[str, ...]
    values: tuple[str, ...]
    condition: str = "sel"
    fill: str = "Qz"
    one: str = "k"
    pad: str = "x"
    sample: str = ""  # |re: a text the pattern matches (between its anchors, if any)
    anchored: tuple[bool, bool] = (False, False)  # |re: starts with ^, ends with $

    def rule(self, rule_id: str) -> dict[str, Any]:
        key = "|".join((self.field, *self.modifiers))
        value: Any = list(self.values) if len(self.values) > 1 else self.values[0]
        return {
            "title": f"fuzz {self.family}",
            "id": rule_id,
            "status": "test",
            "logsource": {"product": "windows", "category": "process_creation"},
            "detection": {"sel": {key: value}, "condition": self.condition},
        }

    def yaml(self, rule_id: str = "00000000-0000-0000-0000-000000000000") -> str:
        return yaml.safe_dump(self.rule(rule_id), allow_unicode=True, sort_keys=False)


# --- drawing cases -----------------------------------------------------------------------------


def _text(draw: Draw, tokens: Sequence[str], most: int = 6) -> str:
    value = "".join(draw.pick(tokens) for _ in range(draw.count(0, most)))
    return draw.pick(("", "\\")) + value + draw.pick(("", "\\", "\\\\"))


def _base(draw: Draw, family: str, modifiers: tuple[str, ...], *values: str) -> Case:
    return Case(
        family,
        draw.pick(FIELDS),
        modifiers,
        values,
        draw.pick(("sel", "not sel")),
        draw.pick(FILLS),
        draw.pick(ONES),
        draw.pick(PADS),
    )


def _string_family(modifier: str | None) -> Callable[[Draw], Case]:
    def build(draw: Draw) -> Case:
        mods = (modifier,) if modifier else ()
        return _base(draw, modifier or "equals", mods, _text(draw, TOKENS))

    return build


def _cased(draw: Draw) -> Case:
    mods = (*draw.pick(((), ("contains",), ("startswith",), ("endswith",))), "cased")
    return _base(draw, "cased", mods, _text(draw, TOKENS))


def _windash_case(draw: Draw) -> Case:
    mods = (*draw.pick(((), ("contains",), ("startswith",), ("endswith",))), "windash")
    value = _text(draw, (*TOKENS, " -a", " /b", "-", "/"), 5)
    return _base(draw, "windash", mods, draw.pick(("-", "/", " -")) + value)


def _all(draw: Draw) -> Case:
    values = [_text(draw, TOKENS, 4) for _ in range(draw.count(2, 3))]
    return _base(draw, "all", ("contains", "all"), *values)


def _base64(draw: Draw) -> Case:
    mods = draw.pick((("base64",), ("base64", "contains"), ("base64offset", "contains")))
    return _base(draw, "base64", mods, _text(draw, _encodable(mods)))


def _encodable(modifiers: tuple[str, ...]) -> tuple[str, ...]:
    return OFFSET_TOKENS if "base64offset" in modifiers else ASCII_TOKENS


def _utf16(draw: Draw) -> Case:
    mods = draw.pick(
        (
            ("wide", "base64offset", "contains"),
            ("utf16be", "base64offset", "contains"),
            ("utf16", "base64", "contains"),
        )
    )
    return _base(draw, "utf16", mods, _text(draw, _encodable(mods)))


def _regex(draw: Draw) -> Case:
    parts: list[tuple[str, str]] = []
    for _ in range(draw.count(1, 5)):
        if draw.count(0, 2):  # two thirds literals, escaped the way Python's re documents
            token = draw.pick(TOKENS)
            parts.append((re.escape(token), token))
        else:
            parts.append(draw.pick(RE_PIECES))
    start, end = draw.pick(("", "^")), draw.pick(("", "$"))
    pattern = start + "".join(p for p, _ in parts) + end
    case = _base(draw, "re", ("re", *draw.pick(RE_FLAGS)), pattern)
    sample = "".join(s for _, s in parts)
    return Case(**{**case.__dict__, "sample": sample, "anchored": (bool(start), bool(end))})


FAMILIES: dict[str, Callable[[Draw], Case]] = {
    "equals": _string_family(None),
    "contains": _string_family("contains"),
    "startswith": _string_family("startswith"),
    "endswith": _string_family("endswith"),
    "cased": _cased,
    "windash": _windash_case,
    "all": _all,
    "re": _regex,
    "base64": _base64,
    "utf16": _utf16,
}


# --- what a case means: witness values, built from the Sigma specification ---------------------


def meaning(raw: str, many: str, one: str) -> list[tuple[bool, str]]:
    """``raw`` as (is_wildcard, text) parts with ``*`` as ``many`` and ``?`` as ``one``.

    The backslash escapes ``*``, ``?`` and itself; anywhere else (also last) it is literal.
    """
    parts: list[tuple[bool, str]] = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and raw[i + 1 : i + 2] in ("*", "?", "\\"):
            parts.append((False, raw[i + 1]))
            i += 2
            continue
        parts.append((True, many) if c == "*" else (True, one) if c == "?" else (False, c))
        i += 1
    return parts


def _joined(parts: list[tuple[bool, str]]) -> str:
    return "".join(text for _, text in parts)


def _literal_runs(parts: list[tuple[bool, str]]) -> Iterator[tuple[bool, str]]:
    """Consecutive literal characters as one run (pySigma applies windash per literal part)."""
    run = ""
    for wild, text in parts:
        if wild:
            yield (False, run)
            yield (True, text)
            run = ""
        else:
            run += text
    yield (False, run)


def _dashed(parts: list[tuple[bool, str]], dash: str) -> str:
    return "".join(
        text if wild else re.sub(r"\B[-/]\b", dash, text) for wild, text in _literal_runs(parts)
    )


def _wrap(case: Case, core: str) -> str:
    if "contains" in case.modifiers:
        return case.pad + core + case.pad
    if "startswith" in case.modifiers:
        return core + case.pad
    if "endswith" in case.modifiers:
        return case.pad + core
    return core


def _swap_ascii(text: str) -> str:
    return "".join(c.swapcase() if c.isascii() else c for c in text)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def witnesses(case: Case) -> list[str]:
    """Field values ``sel`` must match: what the value means, filled and padded."""
    if case.family == "re":
        pre = "" if case.anchored[0] else case.pad
        text = pre + case.sample + ("" if case.anchored[1] else case.pad)
        return [text, _swap_ascii(text)] if "i" in case.modifiers else [text]
    if case.family == "all":
        texts = [_joined(meaning(v, case.fill, case.one)) for v in case.values]
        return [case.pad + case.pad.join(texts) + case.pad]
    parts = meaning(case.values[0], case.fill, case.one)
    core = _joined(parts)
    if case.family in ("base64", "utf16"):
        return _encoded(case, core)
    found = [_wrap(case, core)]
    if "cased" not in case.modifiers:
        found.append(_swap_ascii(found[0]))
    if "windash" in case.modifiers:
        found += [_wrap(case, _dashed(parts, dash)) for dash in WINDASH]
    return found


def _encoded(case: Case, core: str) -> list[str]:
    codec = CODECS.get(case.modifiers[0], "utf-8")
    value = _pysigma_bytes(case.modifiers[0], core)
    if "base64offset" in case.modifiers:  # every alignment of the value in the encoded text
        return [
            _b64(lead.encode(codec) + value + case.pad.encode(codec)) for lead in ("", "x", "xy")
        ]
    return [_wrap(case, _b64(value))]


def _pysigma_bytes(modifier: str, text: str) -> bytes:
    """The bytes pySigma 1.5 encodes for a value without live wildcards, which the project takes
    as the meaning (DESIGN.md) where it departs from the specification: ``bytes(SigmaString)``
    is ``str(...).encode()`` and ``str`` re-escapes a literal ``*`` or ``?`` with a backslash
    (types.py ``to_plain``), and |utf16 puts its BOM in as the character U+FEFF, encoded as
    UTF-8, before the UTF-16LE text (modifiers.py ``SigmaUTF16Modifier``)."""
    if modifier in CODECS:  # ASCII only: each UTF-16 byte is one character
        text = text.encode(CODECS[modifier]).decode("utf-8")
    text = ("\ufeff" if modifier == "utf16" else "") + text
    return re.sub(r"([*?])", r"\\\1", text).encode()


def mutations(text: str) -> list[str]:
    """Near misses of a witness: one character dropped, swapped or added (the oracle decides)."""
    middle = len(text) // 2
    found = [text[1:], text[:-1], text[:middle] + text[middle + 1 :], _swap_ascii(text)]
    special = next((i for i, c in enumerate(text) if c in SPECIALS), None)
    if special is not None:
        found.append(text[:special] + "x" + text[special + 1 :])
    found += [text.replace(" ", "\t"), text.replace("\\", "/"), text + "\n", ""]
    return list(dict.fromkeys(m for m in found if m != text))


def events(case: Case, rule_id: str) -> list[tuple[FixtureEvent, bool | None]]:
    """Witnesses with the rule's verdict on them; near misses and a missing field (None: the
    oracle decides). The harness judges every target against the oracle; the stated verdicts
    hold the oracle to the specification."""
    holds = case.condition == "sel"  # what the rule answers when sel holds
    found: list[tuple[str, dict[str, str], bool | None]] = [
        (f"w{n}", {case.field: w}, holds) for n, w in enumerate(witnesses(case))
    ]
    first = str(found[0][1][case.field])
    found += [(f"m{n}", {case.field: m}, None) for n, m in enumerate(mutations(first))]
    found.append(("absent", {}, None))
    return [
        (FixtureEvent(name, {**STATE, **event}, None, (rule_id,), "fuzz"), match)
        for name, event, match in found
    ]


# --- running a case through the harness --------------------------------------------------------

KINDS = ("agree", "unsupported", "warned", "assumed", "diverge", "error")  # worst last
FAILING = ("diverge", "error")


@dataclass(frozen=True)
class Failure:
    """One failing outcome with everything needed to reproduce it."""

    target: str
    kind: str
    cause: str
    rule: str  # the rule's YAML
    event: dict[str, Any]
    query: str
    expected: bool | None = None
    actual: bool | None = None

    @property
    def key(self) -> str:
        return f"{self.target}: {self.kind}: {self.cause}"

    def size(self) -> int:
        return len(self.rule) + len(json.dumps(self.event, ensure_ascii=False))

    def describe(self) -> str:
        event = json.dumps(self.event, ensure_ascii=False)
        return (
            f"[{self.target}] {self.kind}: {self.cause}\nrule:\n{self.rule}event: {event}\n"
            f"expected {self.expected}, got {self.actual}\nquery: {self.query}"
        )


@dataclass
class Result:
    """Per target the worst kind of outcome an example had, and its failures."""

    kinds: dict[str, str] = field(default_factory=dict)
    assumed: set[str] = field(default_factory=set)  # "target: cause" of assumed outcomes
    failures: list[Failure] = field(default_factory=list)
    invalid: str = ""  # pySigma refused the rule (e.g. a wildcard under base64)


def make_harness(targets: Sequence[str]) -> Harness:
    return Harness(Settings(list(targets), profile="parity"), "parity", declared=[])


# The events here hold one short string per field: open points about multi-valued fields or
# values past ignore_above (docs/engines.md) cannot be why a target differs on them.
INAPPLICABLE = frozenset({"spl-multivalue-negation", "eql.multivalue", "esql-ignore-above"})


def kind_of(outcome: Outcome) -> str:
    """The outcome's verdict; ``assumed`` for a divergence an applicable open point explains."""
    if outcome.verdict in ("diverge", "declared") and outcome.cause.startswith("assumed:"):
        points = {p.strip() for p in outcome.cause.removeprefix("assumed:").split(",")}
        return "diverge" if points <= INAPPLICABLE else "assumed"
    return "diverge" if outcome.verdict == "declared" else outcome.verdict


def run_case(harness: Harness, case: Case, number: int) -> Result:
    """Convert the case's rule for every target and check its events; the harness is reused."""
    rule_id = str(uuid.UUID(int=number + 1))
    document = case.rule(rule_id)
    parsed = SigmaCollection.from_dicts([document], collect_errors=True)
    errors = parsed.errors + [e for r in parsed.rules for e in r.errors]
    if errors:
        return Result(invalid=str(errors[0]))
    harness.report = Report(harness.targets)
    try:
        harness.load([RuleSource(Path(f"fuzz-{number}.yml"), [document])])
        return _judge(harness, case, rule_id)
    finally:
        harness.rules.pop(rule_id, None)


def _judge(harness: Harness, case: Case, rule_id: str) -> Result:
    result = Result()
    text = case.yaml(rule_id)
    for problem in harness.report.problems:  # conversion errors other than engine refusals
        target = next((t for t in harness.targets if f"[{t}]" in problem), "load")
        result.kinds[target] = "error"
        result.failures.append(Failure(target, "error", problem, text, {}, ""))
    checked = harness.rules.get(rule_id)
    if checked is None:
        return result
    stated = events(case, rule_id)
    fixtures = [f for f, _ in stated] + _synthesized(checked.rule)
    by_name = {f.name: f.event for f in fixtures}
    for fixture, match in stated:
        if (
            match is not None
            and checked.oracle.matches(sigma_view(checked.rule, fixture.event)) != match
        ):
            cause = f"the oracle disagrees with the Sigma meaning ({case.family})"
            result.failures.append(
                Failure("oracle", "diverge", cause, text, fixture.event, "", match, not match)
            )
            result.kinds["oracle"] = "diverge"
    for outcome in harness.check(fixtures).outcomes:
        kind = kind_of(outcome)
        worst = result.kinds.get(outcome.target, "agree")
        result.kinds[outcome.target] = max(worst, kind, key=KINDS.index)
        if kind == "assumed":
            result.assumed.add(f"{outcome.target}: {outcome.cause}")
        if kind in FAILING:
            failure = Failure(
                outcome.target,
                kind,
                outcome.cause,
                text,
                by_name[outcome.event],
                outcome.query,
                outcome.expected,
                outcome.actual,
            )
            result.failures.append(failure)
    return result


def _synthesized(rule: SigmaRule) -> list[FixtureEvent]:
    found = synthesize(rule, 8, "synthesized").events
    return [FixtureEvent("s" + f.name, f.event, f.match, f.rule_ids, f.origin) for f in found]


# --- the command line: many examples in worker processes ---------------------------------------

CHUNK = 250  # examples per task: large enough to amortise, small enough to balance two workers
_HARNESS: list[Harness] = []  # one per worker process


@dataclass
class Tally:
    """Counts over many examples, and the smallest example of each failure class."""

    examples: int = 0
    invalid: Counter[str] = field(default_factory=Counter)
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    assumed: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    failures: dict[str, Failure] = field(default_factory=dict)

    def add(self, result: Result) -> None:
        self.examples += 1
        if result.invalid:
            self.invalid[result.invalid[:100]] += 1
        self.kinds.update(result.kinds.items())
        self.assumed.update(result.assumed)
        for key, failure in {_class(f): f for f in reversed(result.failures)}.items():
            self.seen[key] += 1
            if key not in self.failures or failure.size() < self.failures[key].size():
                self.failures[key] = failure

    def merge(self, other: Tally) -> None:
        self.examples += other.examples
        self.invalid += other.invalid
        self.kinds += other.kinds
        self.assumed += other.assumed
        self.seen += other.seen
        for key, failure in other.failures.items():
            if key not in self.failures or failure.size() < self.failures[key].size():
                self.failures[key] = failure


def _class(failure: Failure) -> str:
    """Target, kind and cause without the example's own text (quoted parts, positions), and
    whether the example has a letter whose case folds outside one-to-one pairs (the oracle folds
    them as Python's re.IGNORECASE does: s and long s, k and the Kelvin sign, the sigmas)."""
    cause = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", failure.cause)
    cause = re.sub(r"at position \d+", "at position N", cause)
    text = failure.rule + json.dumps(failure.event, ensure_ascii=False)
    odd = " [odd case folding]" if any(_folds_oddly(c) for c in text) else ""
    return f"{failure.target}: {failure.kind}: {cause[:160]}{odd}"


def _folds_oddly(c: str) -> bool:
    """Not one lower- and one upper-case form that map to each other; Greek sigma too, whose
    lower case depends on the context (final sigma in Python's and Java's lower())."""
    if c.isascii():
        return False
    if c in "\u03a3\u03c3\u03c2":
        return True
    lower, upper = c.lower(), c.upper()
    return len(lower) != 1 or len(upper) != 1 or upper.lower() != lower or lower.upper() != upper


def case_for(seed: int, number: int, families: Sequence[str]) -> Case:
    """Example ``number`` of a run: the same case whichever worker draws it."""
    family = families[number % len(families)]
    return FAMILIES[family](RandomDraw(Random(f"{seed}:{number}")))


def _work(task: tuple[int, int, int, tuple[str, ...], tuple[str, ...]]) -> Tally:
    seed, low, high, families, targets = task
    if not _HARNESS:
        _HARNESS.append(make_harness(targets))
    tally = Tally()
    for number in range(low, high):
        tally.add(run_case(_HARNESS[0], case_for(seed, number, families), number))
    return tally


def run(args: argparse.Namespace) -> tuple[Tally, float]:
    tasks = [
        (args.seed, low, min(low + CHUNK, args.examples), args.families, args.targets)
        for low in range(0, args.examples, CHUNK)
    ]
    total, start = Tally(), time.monotonic()
    if args.jobs == 1:
        parts: Iterator[Tally] = map(_work, tasks)
    else:
        pool = multiprocessing.get_context("fork").Pool(args.jobs)
        parts = pool.imap_unordered(_work, tasks)
    for part in parts:
        total.merge(part)
        rate = total.examples / (time.monotonic() - start)
        print(f"\r{total.examples}/{args.examples} ({rate:.1f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    return total, time.monotonic() - start


def table(tally: Tally, targets: Sequence[str], seconds: float) -> list[str]:
    rows = ["| target | examples | " + " | ".join(KINDS) + " | examples/s |"]
    rows.append("|---" * (len(KINDS) + 3) + "|")
    checked = tally.examples - sum(tally.invalid.values())
    for target in [*targets, "oracle"]:
        counts = [tally.kinds[(target, kind)] for kind in KINDS]
        if target == "oracle":  # the oracle is only held to witnesses: agree where it was not
            counts[0] = checked - sum(counts[1:])
        cells = " | ".join(str(n) for n in counts)
        rows.append(f"| {target} | {checked} | {cells} | {checked / seconds:.1f} |")
    return rows


def report(tally: Tally, args: argparse.Namespace, seconds: float) -> None:
    print("\n".join(table(tally, args.targets, seconds)))
    print(f"\n{tally.examples} examples in {seconds:.0f} s, seed {args.seed}, jobs {args.jobs}")
    for reason, count in tally.invalid.most_common():
        print(f"refused by pySigma ({count}): {reason}")
    for key, count in sorted(tally.seen.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{count:7d}  {key}")
    print("\nassumed (engine-model open points, docs/engines.md), examples per cause:")
    for key, count in sorted(tally.assumed.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{count:7d}  {key}")
    failures = [
        {"class": key, "examples": tally.seen[key], **tally.failures[key].__dict__}
        for key in sorted(tally.failures, key=lambda k: -tally.seen[k])
    ]
    Path(args.json).write_text(json.dumps(failures, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(failures)} failure classes written to {args.json}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000, help="examples per target")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated")
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", default="bench-fuzz-failures.json", help="failures file")
    args = parser.parse_args(argv)
    args.targets = tuple(t for t in args.targets.split(",") if t)
    args.families = tuple(f for f in args.families.split(",") if f)
    unknown = [t for t in args.targets if t not in TARGETS]
    unknown += [f for f in args.families if f not in FAMILIES]
    if unknown:
        parser.error(f"unknown target or family: {', '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tally, seconds = run(args)
    report(tally, args, seconds)
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
