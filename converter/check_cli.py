"""``sigma-parity check``: run every target's query against identical events and judge them.

Exit codes (DESIGN.md): 0 iff no ``diverge`` and no ``error`` verdict and every rule and fixture
loaded; 1 otherwise; 2 for usage errors.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path

import click
from tqdm import tqdm

from converter import report as reports
from converter.conversion import Settings
from converter.errors import ConfigError, ConverterError
from converter.events import load_events
from converter.exceptions import Declared, load_exceptions
from converter.fixtures import FixtureEvent, load_fixtures
from converter.loader import find_rule_files, load_rule_file
from converter.options import PROFILES, chosen_profile, pipeline_specs, schema_path
from converter.parity import Harness, Report
from converter.regression import RegressionData, load_regression
from converter.synth import DEFAULT_MAX_EVENTS
from converter.targets import TARGETS
from converter.writers import write_atomic


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--fixtures",
    "fixture_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of fixture files (YAML), checked against the rules they name.",
)
@click.option(
    "--regression-data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="SigmaHQ regression data folder; expected verdicts from the oracle.",
)
@click.option(
    "--events",
    "event_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON lines (plain or .gz) of real events, checked against every rule.",
)
@click.option("--targets", "target_list", help="Comma-separated targets (default: all).")
@click.option("-p", "--pipeline", "pipelines", multiple=True, help="Extra pipeline (name or YAML).")
@click.option("--profile", type=click.Choice(list(PROFILES)), help="Conversion profile.")
@click.option(
    "--schema",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Index mapping (JSON of GET <index>/_mapping) instead of the built-in ECS.",
)
@click.option(
    "--exceptions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML list of declared divergences (replaces the project's).",
)
@click.option(
    "--synthesize",
    is_flag=True,
    help="Also check synthesized witness and near-miss events for every rule.",
)
@click.option(
    "--max-events",
    default=DEFAULT_MAX_EVENTS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Synthesized events per rule at most.",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write JSON here.")
@click.option("--junit", type=click.Path(path_type=Path), help="Write JUnit XML here.")
@click.option("--html", type=click.Path(path_type=Path), help="Write an HTML page here.")
@click.option("-v", "--verbose", is_flag=True, help="List every divergence.")
def check(
    paths: tuple[Path, ...],
    fixture_dirs: tuple[Path, ...],
    regression_data: Path | None,
    event_files: tuple[Path, ...],
    target_list: str | None,
    pipelines: tuple[str, ...],
    profile: str | None,
    schema: Path | None,
    exceptions: Path | None,
    synthesize: bool,
    max_events: int,
    json_path: Path | None,
    junit: Path | None,
    html: Path | None,
    verbose: bool,
) -> None:
    """Check the rules in PATH... against fixture, regression and real events on every target."""
    try:
        files, notes = find_rule_files(paths)
        chosen = chosen_profile(profile)
        settings = Settings(
            _targets(target_list),
            pipeline_specs(pipelines),
            verbose,
            schema=schema_path(schema),
            profile=chosen,
        )
        harness = Harness(settings, chosen, _declared(exceptions))
    except ConverterError as e:
        raise click.UsageError(str(e)) from e
    try:  # bad fixture data is a failed check (exit 1), not a usage error
        fixtures = load_fixtures(list(fixture_dirs))
        regression = load_regression(regression_data) if regression_data else None
    except ConverterError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    for note in notes:
        click.echo(note, err=True)
    for skip in regression.skipped if regression is not None else ():
        click.echo(f"{skip.info}: skipped ({skip.reason}): {skip.detail}", err=True)
    harness.load(load_rule_file(path) for path in files)
    events = _events(fixtures, regression, event_files, harness.report)
    if synthesize:
        events = chain(events, harness.synthesized(max_events))
    result = harness.check(_progress(events, verbose))
    for note in harness.notes if verbose else ():
        click.echo(f"note: {note}", err=True)
    if regression is not None:
        harness.require_matches(regression)
    _write_reports(result, harness.titles(), json_path, junit, html, verbose)
    sys.exit(1 if result.failed else 0)


def _targets(spec: str | None) -> list[str]:
    if not spec:
        return list(TARGETS)
    chosen = [t.strip() for t in spec.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in TARGETS]
    if unknown or not chosen:
        raise ConfigError(f"unknown target(s) {', '.join(unknown)} (targets: {', '.join(TARGETS)})")
    return chosen


def _declared(path: Path | None) -> list[Declared]:
    from converter.config import load_config

    chosen = str(path) if path is not None else load_config().exceptions
    return load_exceptions(Path(chosen)) if chosen else []


def _events(
    fixtures: list[FixtureEvent],
    regression: RegressionData | None,
    files: Sequence[Path],
    report: Report,
) -> Iterator[FixtureEvent]:
    yield from fixtures
    if regression is not None:
        yield from regression.events
    for path in files:
        try:
            yield from load_events(path)
        except ConverterError as e:  # a bad line stops that file, reported, not the run
            report.problems.append(str(e))


def _progress(events: Iterable[FixtureEvent], verbose: bool) -> Iterable[FixtureEvent]:
    show = sys.stderr.isatty() and not verbose
    bar: Iterable[FixtureEvent] = tqdm(
        events, unit="event", file=sys.stderr, disable=not show, leave=False
    )
    return bar


def _write_reports(
    result: Report,
    titles: dict[str, str],
    json_path: Path | None,
    junit: Path | None,
    html: Path | None,
    verbose: bool,
) -> None:
    click.echo(reports.terminal(result, titles, None if verbose else 50), nl=False)
    if json_path is not None:
        write_atomic(json_path, reports.to_json(result))
    if junit is not None:
        write_atomic(junit, reports.to_junit(result, titles))
    if html is not None:
        write_atomic(html, reports.to_html(result, titles))
