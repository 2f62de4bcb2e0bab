"""Time the synthesized-fixture runs over the SigmaHQ corpus (issue 5's budgets).

    python bench/synth.py [--profile parity|stock]... [--skip-fixtures]

1. `sigma-parity fixtures ../shared/sigmahq/rules -o TMP` (budget: 60 s), with the number of
   events and generator problems it reports;
2. `sigma-parity check ../shared/sigmahq/rules --synthesize` on all six targets per profile
   (budget: 10 minutes each), with the verdict counts per target and the divergences by cause.

Both are the commands a user runs, timed as subprocesses (wall clock, median of one run: the
machine is shared, so compare runs made back to back). Needs ../shared or $SIGMA_PARITY_SHARED.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "sigma-parity"
FIXTURES_BUDGET = 60.0
CHECK_BUDGET = 600.0


def shared_dir() -> Path:
    env = os.environ.get("SIGMA_PARITY_SHARED")
    path = Path(env) if env else ROOT.parent / "shared"
    if not (path / "sigmahq").is_dir():
        sys.exit("no shared corpora: set SIGMA_PARITY_SHARED")
    return path


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    return time.perf_counter() - start, done


def fixtures(rules: Path) -> None:
    with tempfile.TemporaryDirectory() as out:
        seconds, done = timed([str(BIN), "fixtures", str(rules), "-o", out])
        files = len(list(Path(out).glob("*.yml")))
    summary = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    print(
        f"fixtures: {seconds:.1f} s (budget {FIXTURES_BUDGET:.0f} s), exit {done.returncode}, "
        f"{files} files; {summary}"
    )


def check(rules: Path, profile: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "check.json"
        args = [str(BIN), "check", str(rules), "--synthesize", "--profile", profile]
        seconds, done = timed([*args, "--json", str(report)])
        data = json.loads(report.read_text(encoding="utf-8"))
    summary = data["summary"]
    print(
        f"check --synthesize --profile {profile}: {seconds:.1f} s (budget {CHECK_BUDGET:.0f} s), "
        f"exit {done.returncode}, {summary['rules']} rules, {summary['events']} events"
    )
    for target, counts in summary["by_target"].items():
        print(f"  {target:7} " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    causes = Counter((d["target"], d["cause"].split(" (")[0][:90]) for d in data["divergences"])
    for (target, cause), n in sorted(causes.items()):
        print(f"  diverge {target:7} {n:5}  {cause}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="append", choices=["parity", "stock"])
    parser.add_argument("--skip-fixtures", action="store_true")
    args = parser.parse_args()
    rules = shared_dir() / "sigmahq" / "rules"
    if not args.skip_fixtures:
        fixtures(rules)
    for profile in args.profile or ["parity", "stock"]:
        check(rules, profile)


if __name__ == "__main__":
    main()
