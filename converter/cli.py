"""The ``sigma-parity`` command line: domain errors become one-line messages and exit codes here.

Exit codes (DESIGN.md): 0 everything converted (or only unsupported rules, with
--skip-unsupported); 1 a rule failed to load or convert; 2 usage errors.
"""

from __future__ import annotations

import sys
import traceback
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click

from converter import __version__
from converter.batch import convert_files, default_jobs
from converter.check_cli import check
from converter.conversion import Settings
from converter.errors import ConfigError, ConverterError
from converter.fixtures_cli import fixtures
from converter.loader import find_rule_files
from converter.options import PROFILES, chosen_profile, pipeline_specs, schema_path
from converter.pipelines import known_pipelines
from converter.results import RuleResult
from converter.targets import TARGETS
from converter.targets.base import Format, Target
from converter.writers import TreeWriter, render, report_json, write_atomic

# Past this many, per-rule warnings and unsupported notes are summarised unless --verbose.
_LIST_LIMIT = 20


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sigma-parity")
def cli() -> None:
    """Convert Sigma rules to SIEM queries and prove they mean what the rule means."""


@cli.command()
@click.option(
    "-t",
    "--target",
    required=True,
    type=click.Choice([*TARGETS, "all"]),
    help="Target language, or 'all' (needs -o DIR).",
)
@click.option("-f", "--format", "fmt", help="Output format (see 'sigma-parity targets').")
@click.option(
    "-p",
    "--pipeline",
    "pipelines",
    multiple=True,
    help="Pipeline name or pySigma pipeline YAML, added to the target's default.",
)
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    help="Conversion profile (default: [tool.sigma-parity] profile, else parity).",
)
@click.option(
    "--schema",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Index mapping (JSON of GET <index>/_mapping) instead of the built-in ECS.",
)
@click.option("--index", "indexes", multiple=True, help="Index pattern for Elastic artifacts.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output file (one target) or directory (-t all); default stdout.",
)
@click.option("--json-report", type=click.Path(path_type=Path), help="Write a JSON report here.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--skip-unsupported", is_flag=True, help="Unsupported rules do not fail the run.")
@click.option("--strict", is_flag=True, help="A conversion warning fails the rule.")
@click.option("-v", "--verbose", is_flag=True, help="List every note; tracebacks on errors.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def convert(
    target: str,
    fmt: str | None,
    pipelines: tuple[str, ...],
    profile: str | None,
    schema: Path | None,
    indexes: tuple[str, ...],
    output: Path | None,
    json_report: Path | None,
    jobs: int | None,
    skip_unsupported: bool,
    strict: bool,
    verbose: bool,
    paths: tuple[Path, ...],
) -> None:
    """Convert Sigma rules in PATH... (files or directories) to queries or artifacts."""
    keys = list(TARGETS) if target == "all" else [target]
    formats = _formats(keys, fmt, all_targets=target == "all")
    if target == "all" and (output is None or output.is_file()):
        raise click.UsageError("-t all writes one folder per target: give -o DIR")
    try:
        files, notes = find_rule_files(paths)
        chosen = chosen_profile(profile)
        mapping = schema_path(schema)
        settings = Settings(
            keys, pipeline_specs(pipelines), verbose, strict, schema=mapping, profile=chosen
        )
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    for note in notes:
        click.echo(note, err=True)
    writer = None
    if target == "all":
        assert output is not None
        writer = TreeWriter.for_files(output, files, formats, indexes)
    results = convert_files(files, settings, jobs or default_jobs(), writer=writer)
    if writer is not None:
        writer.finish(results)
    else:
        _emit(TARGETS[target], formats[target], results, output, indexes)
    if json_report is not None:
        write_atomic(json_report, report_json(results, keys))
    _report(results, keys, skip_unsupported, verbose)
    sys.exit(_exit_code(results, skip_unsupported))


def _formats(keys: Sequence[str], fmt: str | None, all_targets: bool) -> dict[str, Format]:
    chosen = {}
    for key in keys:
        target = TARGETS[key]
        if fmt is not None and fmt in target.formats:
            chosen[key] = target.formats[fmt]
        elif fmt is not None and not all_targets:
            names = ", ".join(target.formats)
            raise click.UsageError(f"target {key} has no format {fmt!r} (formats: {names})")
        else:
            chosen[key] = target.format(None)
    if fmt is not None and all_targets and not any(fmt in TARGETS[k].formats for k in keys):
        raise click.UsageError(f"no target has a format {fmt!r}")
    return chosen


def _emit(
    target: Target,
    fmt: Format,
    results: list[RuleResult],
    output: Path | None,
    indexes: Sequence[str],
) -> None:
    """One target: all converted rules in one query file or artifact, on stdout or in -o."""
    try:
        text = render(target, fmt, results, indexes)
    except ConverterError as e:
        raise click.ClickException(str(e)) from e
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


def _report(results: list[RuleResult], keys: Sequence[str], skip: bool, verbose: bool) -> None:
    for result in results:
        if result.status == "error":
            click.echo(f"{_where(result)}: error [{result.target}]: {result.message}", err=True)
    _list_notes(
        [
            f"{_where(r)}: unsupported [{r.target}]: {r.message}"
            for r in results
            if r.status == "unsupported"
        ],
        "unsupported",
        verbose or not skip,
    )
    _list_notes(
        [
            f"{_where(r)}: warning [{r.target}] {w.cause} ({w.direction}): {w.message}"
            for r in results
            if r.status == "converted"
            for w in r.warnings
        ],
        "warnings",
        verbose,
    )
    for key in keys:
        counts = Counter(r.status for r in results if r.target == key)
        click.echo(
            f"{key}: {counts['converted']} converted, {counts['unsupported']} "
            f"unsupported, {counts['error']} errors",
            err=True,
        )


def _list_notes(lines: list[str], what: str, show_all: bool) -> None:
    if show_all or len(lines) <= _LIST_LIMIT:
        for line in lines:
            click.echo(line, err=True)
    else:
        click.echo(f"{len(lines)} {what} (listed with --verbose or in --json-report)", err=True)


def _where(result: RuleResult) -> str:
    return f"{result.path}:{result.line}" if result.line else str(result.path)


def _exit_code(results: list[RuleResult], skip_unsupported: bool) -> int:
    failing = {"error"} if skip_unsupported else {"error", "unsupported"}
    return 1 if any(r.status in failing for r in results) else 0


@cli.command()
def targets() -> None:
    """List targets, their formats and default pipelines, the profiles and known pipelines."""
    for target in TARGETS.values():
        fmts = ", ".join(
            f"{n}{' (default)' if n == target.default_format else ''}" for n in target.formats
        )
        pipeline = target.default_pipeline or "none"
        click.echo(
            f"{target.key:8} {target.language}\n{'':8} formats: {fmts}\n"
            f"{'':8} default pipeline: {pipeline}"
        )
    click.echo("profiles: " + "; ".join(f"{k}: {v}" for k, v in PROFILES.items()))
    click.echo("pipelines: " + ", ".join(known_pipelines()))


cli.add_command(check)
cli.add_command(fixtures)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one-line errors, tracebacks only with --verbose."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=args, prog_name="sigma-parity", standalone_mode=True)
    except Exception as e:  # standalone click handles its own exceptions; this is a bug
        if "--verbose" in args or "-v" in args:
            traceback.print_exc()
        click.echo(f"sigma-parity: internal error: {e}", err=True)
        sys.exit(1)


def convert_main() -> None:
    """The ``convert`` console script: ``convert ARGS`` is ``sigma-parity convert ARGS``."""
    main(["convert", *sys.argv[1:]])
