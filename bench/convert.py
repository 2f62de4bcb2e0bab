"""Benchmark: sigma-parity converting the SigmaHQ corpus to all six targets vs sigma-cli to one.

Both run cold, as fresh processes, on the same rules in the same run, alternating, and the median
of ``--repeat`` runs is reported with the ratio (ours / sigma-cli's). Goal: ratio <= 1.0.

    python bench/convert.py [--repeat 3] [--rules DIR]

Needs sigma-cli (``pip install -e '.[bench]'``) and the shared corpus at ../shared or
$SIGMA_PARITY_SHARED.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    env = os.environ.get("SIGMA_PARITY_SHARED")
    candidate = Path(env) if env else ROOT.parent / "shared"
    return candidate if candidate.is_dir() else None


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1 = some rule failed, still a complete run
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return elapsed, proc.stderr


def ours(rules: Path, out: Path) -> list[str]:
    exe = shutil.which("sigma-parity") or sys.exit("sigma-parity is not installed")
    return [exe, "convert", "-t", "all", "--skip-unsupported", str(rules), "-o", str(out)]


def ours_splunk(rules: Path, out: Path) -> list[str]:
    exe = shutil.which("sigma-parity") or sys.exit("sigma-parity is not installed")
    return [
        exe,
        "convert",
        "-t",
        "splunk",
        "--skip-unsupported",
        str(rules),
        "-o",
        str(out / "ours.spl"),
    ]


def sigma_cli(rules: Path, out: Path) -> list[str]:
    exe = shutil.which("sigma") or sys.exit("sigma-cli is not installed: pip install -e '.[bench]'")
    return [
        exe,
        "convert",
        "-t",
        "splunk",
        "-p",
        "splunk_windows",
        "--skip-unsupported",
        str(rules),
        "-o",
        str(out / "splunk.spl"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rules", type=Path)
    parser.add_argument(
        "--tmp",
        type=Path,
        help="where outputs go (default: the system temp "
        "folder; /dev/shm separates file-system cost from conversion cost)",
    )
    args = parser.parse_args()
    shared = shared_dir()
    rules = args.rules or (shared / "sigmahq" / "rules" if shared else None)
    if rules is None or not rules.is_dir():
        sys.exit("no corpus: set SIGMA_PARITY_SHARED or pass --rules")
    files = sum(1 for _ in rules.rglob("*.yml"))
    mine, one, theirs, summary = [], [], [], ""
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            elapsed, summary = timed(ours(rules, Path(tmp) / "out"))
            mine.append(elapsed)
            one.append(timed(ours_splunk(rules, Path(tmp)))[0])
            theirs.append(timed(sigma_cli(rules, Path(tmp)))[0])
    ours_s, one_s, cli_s = (statistics.median(x) for x in (mine, one, theirs))
    where = args.tmp or Path(tempfile.gettempdir())
    print(
        f"corpus: {rules} ({files} rule files), {os.cpu_count()} cores, {args.repeat} runs, "
        f"outputs in {where}"
    )
    print("sigma-parity, all six targets:", ", ".join(f"{t:.2f}s" for t in mine))
    print("sigma-parity, splunk only:    ", ", ".join(f"{t:.2f}s" for t in one))
    print("sigma-cli, splunk only:       ", ", ".join(f"{t:.2f}s" for t in theirs))
    print(
        f"median: six targets {ours_s:.2f}s / sigma-cli {cli_s:.2f}s = ratio {ours_s / cli_s:.2f}"
    )
    print(f"median: splunk only {one_s:.2f}s / sigma-cli {cli_s:.2f}s = ratio {one_s / cli_s:.2f}")
    print(
        "per-target counts:\n  "
        + "\n  ".join(line for line in summary.splitlines() if "converted," in line)
    )


if __name__ == "__main__":
    main()
