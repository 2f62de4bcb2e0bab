"""Generate docs/parity.md: what each target detects compared with what the rules mean.

    python bench/parity_report.py [--events-stride N] [--profiles stock,parity] [-o docs/parity.md]

Runs, for each profile (stock and parity), with the project's exceptions file:
1. the project's rules against their hand-written fixtures (tests/fixtures);
2. the SigmaHQ rules against the SigmaHQ regression events (expected verdicts: the oracle), and
   per target how many of those events it detects compared with the oracle;
3. the SigmaHQ rules against their synthesized witness and near-miss events
   (``check --synthesize``), with the run time;
4. a backtest: the SigmaHQ Windows rules against the real events in ../shared/events, every
   N-th event (--events-stride, default 10: the whole file takes hours on two cores), with the
   rules that fire most (false-positive candidates);
5. the pipeline findings (converter.findings: projection against Elastic's stored Sysmon documents).
A summary compares the profiles per target on the synthesized corpus, with the warned share.
Needs the shared corpora at ../shared or $SIGMA_PARITY_SHARED.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from converter import findings  # noqa: E402
from converter.conversion import Settings  # noqa: E402
from converter.events import load_events  # noqa: E402
from converter.exceptions import load_exceptions  # noqa: E402
from converter.fixtures import FixtureEvent, load_fixtures  # noqa: E402
from converter.loader import find_rule_files, load_rule_file  # noqa: E402
from converter.parity import VERDICTS, Harness, Report  # noqa: E402
from converter.regression import load_regression  # noqa: E402
from converter.targets import TARGETS  # noqa: E402

PLACEHOLDERS = str(ROOT / "pipelines" / "placeholders.yml")


def shared_dir() -> Path:
    env = os.environ.get("SIGMA_PARITY_SHARED")
    path = Path(env) if env else ROOT.parent / "shared"
    if not (path / "sigmahq").is_dir():
        sys.exit("no shared corpora: set SIGMA_PARITY_SHARED")
    return path


def harness(rules: Path, pipelines: list[str], profile: str) -> Harness:
    declared = load_exceptions(ROOT / "parity-exceptions.yml")
    h = Harness(Settings(list(TARGETS), pipelines, profile=profile), profile, declared)
    files, _ = find_rule_files([rules])
    h.load(load_rule_file(f) for f in files)
    return h


def fresh(h: Harness) -> Report:
    """Start a new report on a loaded harness (rules are converted once per profile)."""
    h.report = Report(h.targets)
    h.report.rules = len(h.rules)
    return h.report


def verdict_table(report: Report) -> list[str]:
    lines = ["| target | " + " | ".join(VERDICTS) + " |", "|---|" + "---|" * len(VERDICTS)]
    for target in report.targets:
        lines.append(
            f"| {target} | " + " | ".join(str(report.count(target, v)) for v in VERDICTS) + " |"
        )
    return lines


# Positions and quoted patterns make every rejection message unique; group them without.
_DETAIL = re.compile(
    r"\s*(at line \d+,? col(umn)? \d+\.?|line \d+:\d+:|at position \d+ of /.*/|"
    r"in the current parser context)"
)


def cause_key(cause: str) -> str:
    text = _DETAIL.sub("", cause.split(" (")[0])
    return text if len(text) <= 110 else text[:107] + "..."


def causes_table(report: Report) -> list[str]:
    counts = Counter(
        (o.target, cause_key(o.cause))
        for o in report.outcomes
        if o.verdict in ("declared", "warned", "diverge")
    )
    verdicts = Counter(
        (o.target, cause_key(o.cause), o.verdict)
        for o in report.outcomes
        if o.verdict in ("declared", "warned", "diverge")
    )
    lines = ["| target | cause | verdicts | of which diverge |", "|---|---|---|---|"]
    lines += [
        f"| {t} | {c} | {n} | {verdicts[(t, c, 'diverge')]} |"
        for (t, c), n in sorted(counts.items())
    ]
    return lines


def detection_table(report: Report) -> list[str]:
    """Per target: events the oracle matches, and how many of those the target detects."""
    oracle = {(o.rule_id, o.event) for o in report.outcomes if o.expected}
    lines = ["| target | oracle matches | target detects | missed | extra |", "|---" * 5 + "|"]
    for target in report.targets:
        hits = {(o.rule_id, o.event) for o in report.outcomes if o.target == target and o.actual}
        lines.append(
            f"| {target} | {len(oracle)} | {len(hits & oracle)} | "
            f"{len(oracle - hits)} | {len(hits - oracle)} |"
        )
    return lines


def divergences(report: Report, titles: dict[str, str], limit: int = 30) -> list[str]:
    found = [o for o in report.outcomes if o.verdict == "diverge"]
    if not found:
        return ["No undeclared divergence."]
    lines = ["| target | rule | event | expected | actual | cause |", "|---" * 6 + "|"]
    lines += [
        f"| {o.target} | {titles.get(o.rule_id, o.rule_id)} | {o.event} | {o.expected} | "
        f"{o.actual} | {cause_key(o.cause)} |"
        for o in found[:limit]
    ]
    return lines + ([f"... {len(found) - limit} more"] if len(found) > limit else [])


def strided(path: Path, stride: int) -> Iterator[FixtureEvent]:
    for index, event in enumerate(load_events(path)):
        if index % stride == 0:
            yield event


def top_rules(report: Report, titles: dict[str, str], limit: int = 15) -> list[str]:
    fired = Counter(o.rule_id for o in report.outcomes if o.target == "python" and o.expected)
    lines = ["| rule | events it matches (oracle) |", "|---|---|"]
    lines += [f"| {titles.get(r, r)} | {n} |" for r, n in fired.most_common(limit)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-stride", type=int, default=10)
    parser.add_argument("--profiles", default="stock,parity")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "parity.md")
    args = parser.parse_args()
    shared = shared_dir()
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    sections: dict[str, list[str]] = {}
    synthesized: dict[str, Report] = {}
    for profile in profiles:
        print(f"profile {profile}", file=sys.stderr)
        sections[profile] = section_fixtures(profile)
        sigmahq = harness(shared / "sigmahq" / "rules", [], profile)
        sections[profile] += section_regression(shared, sigmahq)
        text, synthesized[profile] = section_synthesized(sigmahq)
        sections[profile] += text
        sections[profile] += section_backtest(shared, args.events_stride, profile)
    out = [
        "# Parity: what each target detects compared with what the rules mean",
        "",
        f"Generated by `python bench/parity_report.py --events-stride {args.events_stride}` "
        f"(profiles {', '.join(profiles)}; exceptions from parity-exceptions.yml). Verdicts per "
        "DESIGN.md: `declared` divergences are known traps or engine open points, each with its "
        "reason in parity-exceptions.yml; `warned` ones differ only in the direction the "
        "converter warned about.",
        "",
        *summary(synthesized),
    ]
    for profile in profiles:
        out += [f"# Profile `{profile}`", "", *sections[profile]]
    out += ["# Projection findings", "", *projection_findings()]
    args.output.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


def summary(reports: dict[str, Report]) -> list[str]:
    """Per target and profile, on the synthesized corpus: verdicts and the warned share."""
    lines = [
        "## Summary: SigmaHQ rules against synthesized events",
        "",
        "| target | profile | " + " | ".join(VERDICTS) + " | warned share |",
        "|---|---|" + "---|" * (len(VERDICTS) + 1),
    ]
    first = next(iter(reports.values()), None)
    for target in first.targets if first else []:
        for profile, report in reports.items():
            counts = [report.count(target, v) for v in VERDICTS]
            checked = sum(counts) - counts[VERDICTS.index("unsupported")]
            share = f"{100 * counts[1] / checked:.1f}%" if checked else "-"
            lines.append(
                f"| {target} | {profile} | " + " | ".join(map(str, counts)) + f" | {share} |"
            )
    return [*lines, ""]


def section_fixtures(profile: str) -> list[str]:
    h = harness(ROOT / "rules", [PLACEHOLDERS], profile)
    report = h.check(load_fixtures([ROOT / "tests" / "fixtures"]))
    intro = f"{report.rules} rules, {report.events} hand-written events."
    return [
        "## Project rules against their fixtures",
        "",
        intro,
        "",
        *verdict_table(report),
        "",
        "Causes of declared, warned and diverging verdicts:",
        "",
        *causes_table(report),
        "",
    ]


def section_regression(shared: Path, h: Harness) -> list[str]:
    start = time.perf_counter()
    report = fresh(h)
    data = load_regression(shared / "sigmahq" / "regression_data")
    h.check(data.events)
    h.require_matches(data)
    intro = (
        f"{report.rules} rules, {report.events} regression events from {data.info_files} "
        f"info.yml files (skipped: {data.skips_by_reason()}); the oracle meets every entry's "
        f"match_count: {not report.problems}. Run time {time.perf_counter() - start:.0f} s."
    )
    return [
        "## SigmaHQ regression events",
        "",
        intro,
        "",
        "Detection compared with the oracle:",
        "",
        *detection_table(report),
        "",
        "Verdicts:",
        "",
        *verdict_table(report),
        "",
        "Causes:",
        "",
        *causes_table(report),
        "",
    ]


def section_synthesized(h: Harness) -> tuple[list[str], Report]:
    start = time.perf_counter()
    report = fresh(h)
    h.check(h.synthesized())
    intro = (
        f"{report.rules} rules, {report.events} synthesized events (witnesses and near misses, "
        f"at most 24 per rule; `sigma-parity check ../shared/sigmahq/rules --synthesize`). "
        f"Generator problems: {len(report.problems)}. Check time (rules already converted) "
        f"{time.perf_counter() - start:.0f} s."
    )
    text = [
        "## SigmaHQ rules against synthesized events",
        "",
        intro,
        "",
        *verdict_table(report),
        "",
        "Causes:",
        "",
        *causes_table(report),
        "",
        "Undeclared divergences:",
        "",
        *divergences(report, h.titles()),
        "",
    ]
    return text, report


def section_backtest(shared: Path, stride: int, profile: str) -> list[str]:
    events = shared / "events" / "windows_attack_events.jsonl.gz"
    start = time.perf_counter()
    h = harness(shared / "sigmahq" / "rules" / "windows", [], profile)
    report = h.check(strided(events, stride))
    intro = (
        f"{report.rules} SigmaHQ Windows rules against every {stride}th event of "
        f"`{events.name}` ({report.events} events; each event is checked against the rules whose "
        f"logsource it belongs to); expected verdicts from the oracle. Run time "
        f"{time.perf_counter() - start:.0f} s."
    )
    return [
        "## Backtest on real Windows events",
        "",
        intro,
        "",
        *verdict_table(report),
        "",
        "Causes:",
        "",
        *causes_table(report),
        "",
        "Undeclared divergences (new causes to triage):",
        "",
        *divergences(report, h.titles()),
        "",
        "Rules that fire most (false-positive candidates):",
        "",
        *top_rules(report, h.titles()),
        "",
    ]


def projection_findings() -> list[str]:
    buffer = io.StringIO()
    saved, sys.stdout = sys.stdout, buffer
    try:
        findings.main([])
    finally:
        sys.stdout = saved
    text = buffer.getvalue()
    return [line for line in text.splitlines() if not line.startswith("# ")]


if __name__ == "__main__":
    main()
