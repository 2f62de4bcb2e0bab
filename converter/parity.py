"""The parity harness behind ``sigma-parity check``: every rule x event x target, one verdict.

For each rule, the targets' queries come from the same Converter that ``convert`` uses, each
compiled by its engine model; each event is projected into the shape the target stores (from the
pipeline that produced the query) and put to the model. The expected verdict is the fixture's
``match`` where it gives one, else the oracle's (DESIGN.md, "check").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule

from converter import causes
from converter.conversion import Converter, Settings
from converter.engines import CompiledQuery, NotModelled
from converter.errors import ConverterError
from converter.exceptions import Declared, find
from converter.fields import detection_fields
from converter.fixtures import FixtureEvent
from converter.loader import RuleSource
from converter.logsources import LogsourceFilter, sigma_view
from converter.oracle import Oracle
from converter.pipelines import pipeline_family, resolve
from converter.projection import project
from converter.regression import RegressionData
from converter.results import RuleResult
from converter.synth import DEFAULT_MAX_EVENTS, synthesize
from converter.targets import TARGETS

VERDICTS = ("agree", "warned", "declared", "diverge", "unsupported", "error")


@dataclass(frozen=True)
class Outcome:
    """One rule x event x target."""

    rule_id: str
    event: str
    target: str
    query: str
    expected: bool | None
    actual: bool | None
    verdict: str
    cause: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "event": self.event,
            "target": self.target,
            "query": self.query,
            "expected": self.expected,
            "actual": self.actual,
            "cause": self.cause,
        }


@dataclass
class CheckedRule:
    """A loaded rule: the oracle, and per target the conversion result and compiled queries."""

    rule: SigmaRule
    oracle: Oracle
    results: dict[str, RuleResult]
    compiled: dict[str, list[CompiledQuery]]
    fields: frozenset[str] = frozenset()  # the fields the rule references (projection ties)


@dataclass
class Report:
    targets: list[str]
    rules: int = 0
    events: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # load errors, unknown rule ids, ...

    def count(self, target: str, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.target == target and o.verdict == verdict)

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(o.verdict in ("diverge", "error") for o in self.outcomes)


def _parsed(source: RuleSource) -> list[Any]:
    try:
        return list(SigmaCollection.from_dicts(source.documents, collect_errors=True).rules)
    except Exception:  # convert_source has already reported it, one result per target
        return []


class Harness:
    """Loads rules once, then checks events against them."""

    def __init__(self, settings: Settings, profile: str, declared: Sequence[Declared] = ()):
        self.converter = Converter(settings)
        self.targets = list(settings.targets)
        self.profile = profile
        self.declared = list(declared)
        self.rules: dict[str, CheckedRule] = {}
        self.report = Report(self.targets)
        self._selectors: dict[Any, list[str]] | None = None
        self._projected: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.notes: list[str] = []

    def load(self, sources: Iterable[RuleSource]) -> None:
        for source in sources:
            if source.error is not None:
                self.report.problems.append(str(source.error))
                continue
            self._load_source(source)
        self.report.rules = len(self.rules)

    def _load_source(self, source: RuleSource) -> None:
        results = self.converter.convert_source(source)
        for rule in _parsed(source):
            if not isinstance(rule, SigmaRule) or rule.errors or rule.id is None:
                continue
            mine = {r.target: r for r in results if r.rule_id == str(rule.id)}
            if len(mine) != len(self.targets) or all(r.status == "error" for r in mine.values()):
                continue  # a rule no target converts is reported below, once
            self._add_rule(source, rule, mine)
        failed: dict[tuple[str, str], list[str]] = {}  # one line per file and message
        for r in results:
            if r.status == "error" and not r.message.startswith("rejected by "):
                failed.setdefault((str(r.path), r.message), []).append(r.target)
        for (path, message), targets in failed.items():
            self.report.problems.append(f"{path}: error [{','.join(targets)}]: {message}")

    def _add_rule(self, source: RuleSource, rule: SigmaRule, mine: dict[str, RuleResult]) -> None:
        try:
            oracle = Oracle.from_rule(self._as_written(rule))
        except ConverterError as e:
            self.report.problems.append(f"{source.path}: oracle: {e.message}")
            return
        except RecursionError:
            self.report.problems.append(f"{source.path}: oracle: condition nested too deeply")
            return
        self.rules[str(rule.id)] = CheckedRule(
            rule, oracle, mine, self._compile(mine), frozenset(detection_fields(rule))
        )

    def synthesized(self, max_events: int = DEFAULT_MAX_EVENTS) -> Iterator[FixtureEvent]:
        """Synthesized witness and near-miss events for every loaded rule; generator problems
        are reported as problems (they fail the check), notes go to ``self.notes``."""
        for checked in list(self.rules.values()):
            found = synthesize(checked.rule, max_events, "synthesized")
            self.report.problems += found.problems
            self.notes += found.notes
            yield from found.events

    def _as_written(self, rule: SigmaRule) -> SigmaRule:
        """The rule with only the extra pipelines applied (placeholders), Sigma field names kept.

        That is what the rule means, and what the python target converts; the targets' own
        field mappings belong to their queries, not to the meaning.
        """
        if self.converter.settings.pipelines:
            resolve(list(self.converter.settings.pipelines)).apply(rule)
        return rule

    def _compile(self, results: dict[str, RuleResult]) -> dict[str, list[CompiledQuery]]:
        compiled = {}
        for key, result in results.items():
            model = TARGETS[key].engine
            if result.status == "converted" and model is not None:
                compiled[key] = [self.converter.engine(model).compile(q) for q in result.queries]
        return compiled

    def _by_selector(self) -> dict[Any, list[str]]:
        """Rules grouped by logsource selector (a few dozen for thousands of rules), computed once
        from the rules as parsed: pipelines rewrite the logsource they select on."""
        if self._selectors is None:
            self._selectors = {}
            for rule_id, checked in self.rules.items():
                selector = LogsourceFilter.for_rule(checked.rule)
                self._selectors.setdefault(selector, []).append(rule_id)
        return self._selectors

    def titles(self) -> dict[str, str]:
        return {rule_id: checked.rule.title for rule_id, checked in self.rules.items()}

    def require_matches(self, data: RegressionData) -> None:
        """Each regression entry promises ``match_count`` matching events: hold the oracle to it.

        An oracle (or flattener) that quietly says false everywhere would otherwise pass.
        """
        events = {event.name: event.event for event in data.events}
        for entry in data.entries:
            for rule_id in (r for r in entry.rule_ids if r in self.rules):
                oracle = self.rules[rule_id].oracle
                matched = sum(oracle.matches(events[name]) for name in entry.events)
                if matched < entry.match_count:
                    self.report.problems.append(
                        f"{entry.info}: {entry.name}: the oracle matches {matched} of "
                        f"{len(entry.events)} events for rule {rule_id}, fewer than match_count "
                        f"{entry.match_count}: the regression loader or the oracle is wrong"
                    )

    def check(self, events: Iterable[FixtureEvent]) -> Report:
        for fixture in events:
            self.report.events += 1
            self._projected = {}
            for rule_id in self._rules_for(fixture):
                self._check_one(self.rules[rule_id], fixture)
        return self.report

    def _rules_for(self, fixture: FixtureEvent) -> list[str]:
        if fixture.rule_ids is None:  # real events: the rules whose logsource they belong to
            return [
                rid
                for selector, rule_ids in self._by_selector().items()
                if selector(fixture.event)
                for rid in rule_ids
            ]
        unknown = [rid for rid in fixture.rule_ids if rid not in self.rules]
        for rid in unknown:
            self.report.problems.append(
                f"{fixture.origin}: fixture names rule {rid}, which is not loaded"
            )
        return [rid for rid in fixture.rule_ids if rid in self.rules]

    def _check_one(self, checked: CheckedRule, fixture: FixtureEvent) -> None:
        rule_id = str(checked.rule.id)
        oracle = checked.oracle.matches(sigma_view(checked.rule, fixture.event))
        expected = oracle if fixture.match is None else fixture.match
        if fixture.match is not None and fixture.match != oracle:
            self.report.outcomes.append(
                Outcome(
                    rule_id,
                    fixture.name,
                    "oracle",
                    "",
                    expected,
                    oracle,
                    "diverge",
                    "fixture and oracle disagree",
                )
            )
        for target in self.targets:
            self.report.outcomes.append(self._verdict(checked, fixture, target, expected))

    def _verdict(
        self, checked: CheckedRule, fixture: FixtureEvent, target: str, expected: bool
    ) -> Outcome:
        result = checked.results[target]
        base = Outcome(
            str(checked.rule.id),
            fixture.name,
            target,
            result.query,
            expected,
            None,
            "unsupported",
            result.message,
        )
        if result.status == "unsupported":
            return base
        if result.status == "error":  # a query the engine rejects detects nothing
            if not result.message.startswith("rejected by "):
                return _with(base, verdict="error", cause=result.message)
            hit = find(self.declared, base.rule_id, target, result.message, self.profile)
            return _with(base, verdict="declared" if hit else "diverge", cause=result.message)
        try:
            actual = self._answer(
                checked, target, self._event_for(checked, target, fixture), cached=True
            )
        except NotModelled as e:
            return _with(base, verdict="error", cause=f"not modelled: {e.message}")
        except Exception as e:  # an engine-model bug must show, not stop the run
            return _with(base, verdict="error", cause=f"engine model failed: {_short(e)}")
        return self._judge(checked, fixture, _with(base, actual=actual, cause=""))

    def _event_for(
        self, checked: CheckedRule, target: str, fixture: FixtureEvent
    ) -> dict[str, Any]:
        """Targets without a pipeline speak Sigma's field names, so they read the rule's view
        of the event (converter.logsources.sigma_view); the others read it as stored."""
        if TARGETS[target].pipelines:
            return fixture.event
        return dict(sigma_view(checked.rule, fixture.event))

    def _answer(
        self, checked: CheckedRule, target: str, event: dict[str, Any], cached: bool = False
    ) -> bool:
        return any(
            q.matches(self._stored(checked, target, event, cached))
            for q in checked.compiled[target]
        )

    def _stored(
        self, checked: CheckedRule, target: str, event: dict[str, Any], cached: bool
    ) -> dict[str, Any]:
        """The event as ``target`` stores it for this rule's logsource. A projection depends on
        the rule only through its logsource and which of its fields the event has (the tie
        rule), so one event's projections are shared by the rules that agree on both."""
        logsource = checked.rule.logsource
        key = (
            target,
            logsource.category,
            logsource.product,
            logsource.service,
            frozenset(checked.fields & event.keys()),
        )
        if cached and key in self._projected:
            return self._projected[key]
        pipeline = self.converter.pipeline(TARGETS[target], pipeline_family(logsource))
        stored = project(event, TARGETS[target], checked.rule, pipeline, self.converter.schema)
        if cached:
            self._projected[key] = stored
        return stored

    def _judge(self, checked: CheckedRule, fixture: FixtureEvent, outcome: Outcome) -> Outcome:
        if outcome.actual is outcome.expected:
            return _with(outcome, verdict="agree")
        direction = "over-match" if outcome.actual else "under-match"
        warned = [w for w in checked.results[outcome.target].warnings if w.direction == direction]
        if warned:
            return _with(outcome, verdict="warned", cause=f"{warned[0].cause} ({direction})")
        cause = self._cause(checked, fixture, outcome)
        hit = find(self.declared, outcome.rule_id, outcome.target, cause, self.profile)
        return _with(outcome, verdict="declared" if hit else "diverge", cause=cause)

    def _cause(self, checked: CheckedRule, fixture: FixtureEvent, outcome: Outcome) -> str:
        target = outcome.target
        assumptions = set().union(*(q.assumptions for q in checked.compiled[target]))

        def probe(event: Any) -> bool | None:
            try:
                return self._answer(checked, target, dict(event))
            except Exception:  # a probe that cannot run says nothing
                return None

        assert outcome.expected is not None
        return causes.label(
            checked.rule,
            fixture.event,
            target,
            outcome.expected,
            probe,
            assumptions,
            outcome.query,
        )


def _short(error: Exception, limit: int = 200) -> str:
    """One line of an unexpected error, however large its repr (pySigma reprs whole pipelines)."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _with(outcome: Outcome, **changes: Any) -> Outcome:
    return Outcome(**{**outcome.__dict__, **changes})
