"""Converting one rule file for many targets: pySigma rules in, RuleResults out.

A ``Converter`` owns one backend per (target, pipeline family), each with its processing pipeline
initialised once (pipeline state is reset by pySigma for every rule it applies to, as in a
sigma-cli run over a whole collection). Every failure is caught per rule and per target, so a
batch never stops at one bad rule.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sigma.collection import SigmaCollection
from sigma.conversion.base import Backend
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaFeatureNotSupportedByBackendError
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule

from converter import fields
from converter.errors import ConverterError
from converter.loader import RuleSource
from converter.pipelines import pipeline_family, resolve
from converter.results import RuleResult, Status
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


@dataclass
class Converter:
    """Converts rule files to the configured targets, caching one backend per pipeline set."""

    settings: Settings
    _backends: dict[tuple[str, str], Backend] = field(default_factory=dict)

    def backend(self, target: Target, family: str) -> Backend:
        key = (target.key, family)
        if key not in self._backends:
            specs = [p for p in (target.pipelines.get(family),) if p]
            # No allowed-backends check: ecs_windows omits esql, yet it is the right mapping.
            pipeline = resolve([*specs, *self.settings.pipelines])
            backend = target.backend_class(pipeline, **target.backend_options)
            backend.init_processing_pipeline()
            self._backends[key] = backend
        return self._backends[key]

    def convert_source(self, source: RuleSource) -> list[RuleResult]:
        """Results for every rule in the file, for every configured target."""
        if source.error is not None:
            return [
                _failed(source, key, "error", str(source.error)) for key in self.settings.targets
            ]
        return [res for key in self.settings.targets for res in self._convert_for(source, key)]

    def _convert_for(self, source: RuleSource, key: str) -> list[RuleResult]:
        target = TARGETS[key]
        try:
            collection = SigmaCollection.from_dicts(source.documents, collect_errors=True)
        except SigmaError as e:  # collection-level problems (e.g. a dangling reference)
            return [_failed(source, key, "error", _message(e))]
        rules = [r for r in collection.rules if not isinstance(r, SigmaFilter)]
        if not rules:
            return [_failed(source, key, "unsupported", _FILTER_ONLY)]
        return [self._convert_rule(source, target, rule) for rule in rules]

    def _convert_rule(self, source: RuleSource, target: Target, rule: ParsedRule) -> RuleResult:
        result = _result(source, target.key, rule)
        if rule.errors:
            return _fail(result, "error", _message(rule.errors[0]))
        try:
            backend = self.backend(target, pipeline_family(getattr(rule, "logsource", None)))
            reset_warnings(backend)
            original = fields.detection_fields(rule) if isinstance(rule, SigmaRule) else set()
            result.queries = [str(q) for q in _run_backend(backend, rule)]
        except (SigmaFeatureNotSupportedByBackendError, NotImplementedError) as e:
            # TextQueryBackend raises NotImplementedError where its token table has no entry.
            return _fail(result, "unsupported", _message(e))
        except (SigmaError, ConverterError) as e:
            return _fail(result, "error", _message(e))
        except Exception as e:  # a backend bug must not stop the batch
            detail = traceback.format_exc() if self.settings.verbose else ""
            return _fail(result, "error", "internal error: " + _message(e) + detail)
        if not result.queries:
            return _fail(result, "unsupported", "the backend produced no query for this rule")
        result.warnings = take_warnings(backend)
        if target.maps_fields and isinstance(rule, SigmaRule):
            result.warnings += fields.unmapped_warnings(original, rule, target)
        return result


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
    meta["level"] = rule.level.name.lower() if rule.level is not None else ""
    meta["status"] = rule.status.name.lower() if rule.status is not None else ""
    for k in ("date", "modified"):
        meta[k] = str(meta[k]) if meta[k] else ""
    return RuleResult(
        source.path,
        source.stem,
        str(rule.id) if rule.id else None,
        rule.title or "",
        key,
        "converted",
        meta=meta,
    )


def _failed(source: RuleSource, key: str, status: Status, message: str) -> RuleResult:
    first = source.documents[0] if source.documents else {}
    rule_id, title = first.get("id"), first.get("title")
    rule_id = rule_id if isinstance(rule_id, str) else None
    title = title if isinstance(title, str) else ""
    return RuleResult(source.path, source.stem, rule_id, title, key, status, message)


def _fail(result: RuleResult, status: Status, message: str) -> RuleResult:
    result.status = status
    result.message = message
    result.queries = []
    return result


def _message(error: BaseException) -> str:
    text = str(error.args[0]) if getattr(error, "args", None) else str(error)
    text = _CONTEXT_SUFFIX.sub("", text)  # pySigma appends "(while converting rule None)"
    return " ".join(text.split()) or type(error).__name__


_CONTEXT_SUFFIX = re.compile(r"\s*\(while [a-z ]+ rule [^)]*\)$")
