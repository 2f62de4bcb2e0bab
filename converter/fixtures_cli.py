"""``sigma-parity fixtures``: synthesize witness and near-miss fixture files for rules.

Exit codes follow convert's (DESIGN.md): 0 when every rule got fixtures that pass their own intent
check, 1 when a rule failed to load or the generator missed an intent, 2 for usage errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from converter.errors import ConverterError
from converter.loader import find_rule_files, load_rule_file
from converter.options import pipeline_specs
from converter.synth.generate import DEFAULT_MAX_EVENTS
from converter.synth.output import FileFixtures, fixture_paths, fixture_yaml, synthesize_file
from converter.writers import write_atomic


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the fixture files (one per rule file).",
)
@click.option(
    "--max-events",
    default=DEFAULT_MAX_EVENTS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Events per rule at most.",
)
@click.option("-p", "--pipeline", "pipelines", multiple=True, help="Extra pipeline (placeholders).")
@click.option("-v", "--verbose", is_flag=True, help="List every note.")
def fixtures(
    paths: tuple[Path, ...],
    output: Path,
    max_events: int,
    pipelines: tuple[str, ...],
    verbose: bool,
) -> None:
    """Write synthesized fixture events for the rules in PATH... to DIR."""
    try:
        files, notes = find_rule_files(paths)
        specs = pipeline_specs(pipelines)
    except ConverterError as e:
        raise click.UsageError(str(e)) from e
    for note in notes:
        click.echo(note, err=True)
    failed = counted = rules = 0
    show = sys.stderr.isatty() and not verbose
    for path, target in tqdm(list(fixture_paths(files, output)), disable=not show, leave=False):
        found = synthesize_file(load_rule_file(path), specs, max_events)
        failed += _report(found, verbose)
        rules += len(found.rules)
        counted += sum(len(r.events) for r in found.rules)
        if any(r.events for r in found.rules):
            write_atomic(target, fixture_yaml(found))
    click.echo(f"synthesized {counted} events for {rules} rules into {output}", err=True)
    sys.exit(1 if failed else 0)


def _report(found: FileFixtures, verbose: bool) -> int:
    """Echo errors and generator problems (and notes with --verbose); the number of failures."""
    problems = [p for rule in found.rules for p in rule.problems]
    for line in [*found.errors, *problems]:
        click.echo(
            f"error: {line}" if not line.startswith(str(found.source.path)) else line, err=True
        )
    for note in (n for rule in found.rules for n in rule.notes):
        if verbose:
            click.echo(f"{found.source.path}: note: {note}", err=True)
    return len(found.errors) + len(problems)
