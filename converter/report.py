"""The reports of ``sigma-parity check``: terminal matrix, JSON, JUnit XML and one HTML page.

The JSON layout is fixed by DESIGN.md ("check"); JUnit has one test case per rule x target
(failure: a divergence, error: an engine-model error, skipped: unsupported); the HTML page is
self-contained and escapes every value (autoescaping Jinja2 environment).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from converter.parity import VERDICTS, Outcome, Report
from converter.render import TEMPLATES_DIR

# One symbol per rule x target cell, worst verdict first.
_SYMBOLS = (
    ("error", "!"),
    ("diverge", "X"),
    ("declared", "d"),
    ("warned", "w"),
    ("agree", "."),
    ("unsupported", "-"),
)


def by_target(report: Report) -> dict[str, dict[str, int]]:
    counts = Counter((o.target, o.verdict) for o in report.outcomes)
    targets = [*report.targets, *(["oracle"] if any(t == "oracle" for t, _ in counts) else [])]
    return {t: {v: counts[(t, v)] for v in VERDICTS} for t in targets}


def cells(report: Report) -> dict[str, dict[str, str]]:
    """rule id -> target -> the symbol of its worst verdict over all events."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for outcome in report.outcomes:
        seen[(outcome.rule_id, outcome.target)].add(outcome.verdict)
    matrix: dict[str, dict[str, str]] = defaultdict(dict)
    for (rule_id, target), verdicts in seen.items():
        matrix[rule_id][target] = next(s for v, s in _SYMBOLS if v in verdicts)
    return dict(matrix)


def terminal(report: Report, titles: dict[str, str], limit: int | None = 50) -> str:
    """The matrix (rules x targets), the per-target counts, then each divergence."""
    lines = [_header(report)]
    width = max((len(t) for t in report.targets), default=6) + 1
    lines.append(f"{'rule':40} " + "".join(f"{t:>{width}}" for t in report.targets))
    for rule_id, row in sorted(cells(report).items(), key=lambda kv: titles.get(kv[0], "")):
        title = (titles.get(rule_id) or rule_id)[:40]
        lines.append(
            f"{title:40} " + "".join(f"{row.get(t, ' '):>{width}}" for t in report.targets)
        )
    lines.append("legend: . agree  w warned  d declared  X diverge  - unsupported  ! error")
    for target, counts in by_target(report).items():
        lines.append(f"{target}: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS))
    failing = [o for o in report.outcomes if o.verdict in ("diverge", "error")]
    for outcome in failing[:limit] if limit is not None else failing:
        lines.append(_divergence(outcome, titles))
    if limit is not None and len(failing) > limit:
        lines.append(f"... {len(failing) - limit} more (all of them with --verbose or in --json)")
    lines += [f"problem: {p}" for p in report.problems]
    return "\n".join(lines) + "\n"


def _header(report: Report) -> str:
    return (
        f"checked {report.rules} rules against {report.events} events on "
        f"{len(report.targets)} targets"
    )


def _divergence(o: Outcome, titles: dict[str, str]) -> str:
    return (
        f"{o.verdict.upper()} [{o.target}] {titles.get(o.rule_id, o.rule_id)} / {o.event}: "
        f"expected {_bool(o.expected)}, got {_bool(o.actual)}; cause: {o.cause or '-'}\n"
        f"    query: {o.query}"
    )


def _bool(value: bool | None) -> str:
    return "no answer" if value is None else ("match" if value else "no match")


def to_json(report: Report) -> str:
    pick = {
        v: [o.to_json() for o in report.outcomes if o.verdict == v]
        for v in ("diverge", "declared", "warned", "error")
    }
    document: dict[str, Any] = {
        "summary": {
            "rules": report.rules,
            "events": report.events,
            "targets": report.targets,
            "verdicts": len(report.outcomes),
            "divergences": len(pick["diverge"]),
            "by_target": by_target(report),
            "problems": report.problems,
        },
        "divergences": pick["diverge"],
        "declared": pick["declared"],
        "warned": pick["warned"],
        "errors": pick["error"],  # beyond DESIGN.md's keys: engine-model failures, for triage
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_junit(report: Report, titles: dict[str, str]) -> str:
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for outcome in report.outcomes:
        groups[(outcome.target, outcome.rule_id)].append(outcome)
    suite = ET.Element("testsuite", name="sigma-parity check", tests=str(len(groups)))
    for (target, rule_id), outcomes in sorted(groups.items()):
        case = ET.SubElement(
            suite, "testcase", classname=target, name=f"{titles.get(rule_id, rule_id)} [{rule_id}]"
        )
        _junit_result(case, outcomes)
    for kind in ("failures", "errors", "skipped"):
        suite.set(kind, str(sum(1 for c in suite if c.find(_JUNIT[kind]) is not None)))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


_JUNIT = {"failures": "failure", "errors": "error", "skipped": "skipped"}


def _junit_result(case: ET.Element, outcomes: list[Outcome]) -> None:
    for verdict, tag in (("error", "error"), ("diverge", "failure")):
        bad = [o for o in outcomes if o.verdict == verdict]
        if bad:
            text = "\n".join(
                f"{o.event}: expected {_bool(o.expected)}, got {_bool(o.actual)}; cause: {o.cause}"
                for o in bad
            )
            ET.SubElement(case, tag, message=f"{len(bad)} {verdict}").text = text
            return
    if all(o.verdict == "unsupported" for o in outcomes):
        ET.SubElement(case, "skipped", message=outcomes[0].cause or "unsupported")


@lru_cache(maxsize=1)
def _html_environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "j2"]),
    )


def to_html(report: Report, titles: dict[str, str]) -> str:
    template = _html_environment().get_template("report/check.html.j2")
    return template.render(
        header=_header(report),
        targets=report.targets,
        titles=titles,
        matrix=cells(report),
        counts=by_target(report),
        verdicts=VERDICTS,
        problems=report.problems,
        failing=[o for o in report.outcomes if o.verdict in ("diverge", "error")],
        declared=[o for o in report.outcomes if o.verdict in ("declared", "warned")],
    )
