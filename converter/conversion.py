"""Converting one rule file for many targets: pySigma rules in, RuleResults out.

A ``Converter`` owns one backend per (target, pipeline family), each with its processing pipeline
initialised once (pipeline state is reset by pySigma for every rule it applies to, as in a
sigma-cli run over a whole collection). Every failure is caught per rule and per target, so a
batch never stops at one bad rule.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any

from sigma.collection import SigmaCollection
from sigma.conversion.base import Backend
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaFeatureNotSupportedByBackendError
from sigma.filters import SigmaFilter
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from converter import fields
from converter.engines import Engine, QueryRejected, engine
from converter.errors import ConverterError
from converter.loader import RuleSource
from converter.pipelines import pipeline_family, resolve
from converter.results import RuleResult, Status
from converter.schema.model import Schema, ecs_schema
from converter.targets import TARGETS
from converter.targets.base import Target, reset_warnings, take_warnings

ParsedRule = SigmaRule | SigmaCorrelationRule

_META_KEYS = (
    "description",
    "author",
    "level",
    "status",
    "tags",
    "references",
    "falsepositives",
    "date",
    "modified",
)


@dataclass
class Settings:
    """What shapes a conversion besides the rule itself."""

    targets: Sequence[str]
    pipelines: Sequence[str] = ()  # added to every target's default pipeline
    verbose: bool = False
    strict: bool = False  # a conversion warning fails the rule
    # Off only to measure what a backend emits (engine parse-rate tests); convert always checks.
    validate: bool = True
    schema: str | None = None  # an index mapping (GET <index>/_mapping JSON); None: built-in ECS
    profile: str = "parity"  # a key of converter.options.PROFILES


@dataclass
class Converter:
    """Converts rule files to the configured targets.

    Targets that share their pipelines (the four ECS targets) form a group: each rule of a group
    is parsed once and processed by the pipeline once, then every backend of the group converts
    the processed rule (see ``_convert_processed``). Files with correlation rules take pySigma's
    own per-backend path, which resolves the references between rules.
    """

    settings: Settings
    _backends: dict[tuple[str, str], Backend] = field(default_factory=dict)
    _pipelines: dict[tuple[str, str], ProcessingPipeline] = field(default_factory=dict)
    _engines: dict[str, Engine] = field(default_factory=dict)
    _schema: Schema | None = None

    @property
    def schema(self) -> Schema:
        if self._schema is None:
            path = self.settings.schema
            self._schema = Schema.load(Path(path)) if path else ecs_schema()
        return self._schema

    def pipeline(self, target: Target, family: str) -> ProcessingPipeline:
        key = (_group_key(target), family)
        if key not in self._pipelines:
            specs = [p for p in (target.pipelines.get(family),) if p]
            # No allowed-backends check: ecs_windows omits esql, yet it is the right mapping.
            self._pipelines[key] = resolve([*specs, *self.settings.pipelines])
        return self._pipelines[key]

    def backend(self, target: Target, family: str) -> Backend:
        key = (target.key, family)
        if key not in self._backends:
            options = dict(target.backend_options)
            backend_class, takes_schema = target.backend_for(self.settings.profile)
            if takes_schema:
                options["schema"] = self.schema
            backend = backend_class(None, **options)
            backend.last_processing_pipeline = self.pipeline(target, family)
            self._backends[key] = backend
        return self._backends[key]

    def convert_source(self, source: RuleSource) -> list[RuleResult]:
        """Results for every rule in the file, for every configured target (in target order)."""
        keys = self.settings.targets
        if source.error is not None:
            error = source.error
            return [_failed(source, key, "error", error.message, error.line) for key in keys]
        by_target: dict[str, list[RuleResult]] = {key: [] for key in keys}
        try:
            for group in _groups([TARGETS[key] for key in keys]):
                for result in self._convert_group(source, group):
                    by_target[result.target].append(result)
        except Exception as e:  # a bug (ours or pySigma's) fails this file, never the batch
            detail = _message(e)
            return [_failed(source, key, "error", f"internal error: {detail}") for key in keys]
        results = [result for key in keys for result in by_target[key]]
        return [_strict(r) for r in results] if self.settings.strict else results

    def _convert_group(self, source: RuleSource, group: list[Target]) -> list[RuleResult]:
        try:
            collection = SigmaCollection.from_dicts(source.documents, collect_errors=True)
        except SigmaError as e:  # collection-level problems (e.g. a dangling reference)
            return [_failed(source, t.key, "error", _message(e)) for t in group]
        except Exception as e:  # pySigma fails on some malformed rules (id: 12345, a numeric
            # field name, an unknown correlation type) with a bare AttributeError and the like
            message = f"pySigma cannot read this rule: {_message(e)}"
            return [_failed(source, t.key, "error", message) for t in group]
        rules = [r for r in collection.rules if not isinstance(r, SigmaFilter)]
        if not rules:
            return [_failed(source, t.key, "unsupported", _FILTER_ONLY) for t in group]
        if any(isinstance(r, SigmaCorrelationRule) for r in rules):
            return [res for t in group for res in self._convert_each(source, t)]
        return [
            res
            for rule in rules
            if isinstance(rule, SigmaRule)
            for res in self._convert_shared(source, group, rule)
        ]

    def _convert_each(self, source: RuleSource, target: Target) -> list[RuleResult]:
        """pySigma's own path: a fresh collection per target, references resolved by pySigma."""
        collection = SigmaCollection.from_dicts(source.documents, collect_errors=True)
        results = []
        for rule in collection.rules:
            if not isinstance(rule, SigmaFilter):
                backend = self.backend(target, pipeline_family(getattr(rule, "logsource", None)))
                run = partial(_run_backend, backend, rule)
                result = self._validated(target, self._guarded(source, target, rule, run))
                if _standalone(rule) or result.status == "error":
                    results.append(result)
        return results

    def _convert_shared(
        self, source: RuleSource, group: list[Target], rule: SigmaRule
    ) -> list[RuleResult]:
        """Apply the group's pipeline to ``rule`` once, then convert it with every backend."""
        family = pipeline_family(rule.logsource)
        pipeline = self.pipeline(group[0], family)
        original = fields.detection_fields(rule) if not rule.errors else set()
        applied = self._guarded(source, group[0], rule, partial(_apply, pipeline, rule))
        results = []
        for target in group:
            if applied.status != "converted":
                results.append(
                    _fail(_result(source, target.key, rule), applied.status, applied.message)
                )
                continue
            backend = self.backend(target, family)
            run = partial(_convert_processed, backend, rule, pipeline)
            result = self._validated(target, self._guarded(source, target, rule, run))
            if result.status == "converted" and target.maps_fields:
                result.warnings += fields.unmapped_warnings(
                    original, rule, target, self.settings.profile
                )
            results.append(result)
        return results

    def engine(self, key: str) -> Engine:
        """The engine model ``key`` over this conversion's schema (one instance per key)."""
        if key not in self._engines:
            self._engines[key] = engine(key, self.schema)
        return self._engines[key]

    def _validated(self, target: Target, result: RuleResult) -> RuleResult:
        """A query counts as converted only if the target's engine model accepts it."""
        if result.status != "converted" or target.engine is None or not self.settings.validate:
            return result
        model = self.engine(target.engine)
        for query in result.queries:
            try:
                model.compile(query)
            except QueryRejected as e:
                return _fail(result, "error", f"rejected by {target.engine}: {e.message}")
            except Exception as e:  # a model bug: say so, never pass the query unchecked
                return _fail(
                    result, "error", f"internal error in the {target.engine} model: " + _message(e)
                )
        return result

    def _guarded(
        self, source: RuleSource, target: Target, rule: ParsedRule, run: Callable[[], list[Any]]
    ) -> RuleResult:
        """Run one conversion step, turning every exception into a per-rule result."""
        result = _result(source, target.key, rule)
        if rule.errors:
            return _fail(result, "error", _message(rule.errors[0]))
        backend = self._backends.get(
            (target.key, pipeline_family(getattr(rule, "logsource", None)))
        )
        if backend is not None:
            reset_warnings(backend)
        try:
            result.queries = [str(q) for q in run()]
        except (SigmaFeatureNotSupportedByBackendError, NotImplementedError) as e:
            # TextQueryBackend raises NotImplementedError where its token table has no entry.
            return _fail(result, "unsupported", _message(e))
        except (SigmaError, ConverterError) as e:
            return _fail(result, "error", _message(e))
        except Exception as e:  # a backend bug must not stop the batch
            detail = "\n" + traceback.format_exc() if self.settings.verbose else ""
            return _fail(result, "error", "internal error: " + _message(e) + detail)
        if not result.queries:
            return _fail(result, "unsupported", "the backend produced no query for this rule")
        result.warnings = take_warnings(backend) if backend is not None else []
        return result


def _strict(result: RuleResult) -> RuleResult:
    """--strict: a converted rule with a warning fails with its first warning."""
    if result.status == "converted" and result.warnings:
        first = result.warnings[0]
        _fail(result, "error", f"--strict: {first.cause} ({first.direction}): {first.message}")
    return result


def _standalone(rule: ParsedRule) -> bool:
    """False for a rule that only feeds a correlation: its query is part of the correlation's."""
    return not isinstance(rule, SigmaRule) or bool(getattr(rule, "_output", True))


def _group_key(target: Target) -> str:
    """Targets with equal pipeline tables share one processed rule."""
    return repr(sorted(target.pipelines.items()))


def _groups(targets: list[Target]) -> list[list[Target]]:
    groups: dict[str, list[Target]] = {}
    for target in targets:
        groups.setdefault(_group_key(target), []).append(target)
    return list(groups.values())


def _apply(pipeline: ProcessingPipeline, rule: SigmaRule) -> list[Any]:
    """Process the rule in place; the marker is what ``_guarded`` stores as the step's output
    (the processed rule itself would be turned into a costly, unused repr)."""
    pipeline.apply(rule)
    return ["applied"]


def _convert_processed(
    backend: Backend, rule: SigmaRule, pipeline: ProcessingPipeline
) -> list[Any]:
    """pySigma's Backend.convert_rule after its pipeline step, for an already processed rule.

    Steps 2 and 3 of ``Backend.convert_rule`` (pySigma 1.x): convert each parsed condition with a
    conversion state seeded from the pipeline state, finish and finalize the queries. The four
    Elastic backends have no backend-specific pipeline, so the processed rule is the same for all;
    tests/test_corpus.py checks the result equals pySigma's convert_rule on the whole corpus.
    """
    backend.last_processing_pipeline = pipeline
    fmt = backend.default_format
    queries = []
    for cond in rule.detection.parsed_condition:
        state = ConversionState(processing_state=dict(pipeline.state))
        query = backend.convert_condition(cond.parsed, state)
        if query is not None:
            query = backend.finish_query(rule, query, state)
            queries.append((query, state))
    return [
        backend.finalize_query(rule, query, index, state, fmt)
        for index, (query, state) in enumerate(queries)
    ]


_FILTER_ONLY = (
    "Sigma meta-filter without a rule in the same file: filters apply only to the rules "
    "they are loaded with"
)


def _run_backend(backend: Backend, rule: ParsedRule) -> list[Any]:
    if isinstance(rule, SigmaCorrelationRule):
        if not backend.correlation_methods:
            raise SigmaFeatureNotSupportedByBackendError(
                f"correlation rules: the {backend.name} backend has no correlation method"
            )
        return list(backend.convert_correlation_rule(rule))
    return list(backend.convert_rule(rule))


def _result(source: RuleSource, key: str, rule: ParsedRule) -> RuleResult:
    meta = {k: getattr(rule, k, None) for k in _META_KEYS}
    meta["tags"] = [str(t) for t in (rule.tags or [])]
    meta["level"] = _enum_name(rule.level)  # an invalid one stays unset; pySigma reports it
    meta["status"] = _enum_name(rule.status)
    for k in ("date", "modified"):
        meta[k] = str(meta[k]) if meta[k] else ""
    return RuleResult(
        source.path,
        source.stem,
        str(rule.id) if rule.id else None,
        rule.title if isinstance(rule.title, str) else "",
        key,
        "converted",
        meta=meta,
    )


def _enum_name(value: object) -> str:
    return value.name.lower() if isinstance(value, Enum) else ""


def _failed(
    source: RuleSource, key: str, status: Status, message: str, line: int | None = None
) -> RuleResult:
    first = source.documents[0] if source.documents else {}
    rule_id, title = first.get("id"), first.get("title")
    rule_id = rule_id if isinstance(rule_id, str) else None
    title = title if isinstance(title, str) else ""
    return RuleResult(source.path, source.stem, rule_id, title, key, status, message, line=line)


def _fail(result: RuleResult, status: Status, message: str) -> RuleResult:
    result.status = status
    result.message = message
    result.queries = []
    return result


def _message(error: BaseException) -> str:
    text = str(error.args[0]) if getattr(error, "args", None) else str(error)
    text = _CONTEXT_SUFFIX.sub("", text)  # pySigma appends "(while converting rule None)"
    text = " ".join(text.split()) or type(error).__name__
    # Some pySigma errors embed the repr of a whole pipeline: keep the message one readable line.
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


_MESSAGE_LIMIT = 300


_CONTEXT_SUFFIX = re.compile(r"\s*\(while [a-z ]+ rule [^)]*\)$")
