"""The values deployable artifacts show, built from conversion results (never in templates).

Templates only wrap finished values: every rule of an artifact is one dict from
:func:`rule_contexts`, and everything the target platform needs beyond the rule's own metadata
(Elastic severity and risk score, the ATT&CK ``threat`` array, a unique savedsearches.conf stanza
name, the Kibana search source) is computed here. Nothing is looked up or downloaded at run time.

Elastic severity and risk score
    Sigma ``level`` maps to Elastic ``severity``: informational and low to ``low``, medium, high
    and critical to themselves (Elastic has no informational severity). ``risk_score`` is the
    default Kibana assigns when a severity is chosen: 21, 47, 73, 99. The ranges are documented
    at https://www.elastic.co/docs/solutions/security/detect-and-alert/common-rule-settings
    ("0-21 represents low severity, 22-47 medium, 48-73 high, 74-100 critical"); the exact
    defaults are Kibana's ``RISK_SCORE_LOW`` .. ``RISK_SCORE_CRITICAL`` constants
    (x-pack/.../security_solution/common/detection_engine/constants.ts). A rule without a level,
    or with a level Sigma does not define, gets ``low``/21.

ATT&CK ``threat``
    Kibana's rule schema (common_attributes.schema.yaml, ``ThreatTactic``, ``ThreatTechnique``,
    ``ThreatSubtechnique``) requires ``id``, ``name`` and ``reference`` on tactics, techniques and
    subtechniques alike, and a threat entry needs a ``tactic``. Tactic names come from the literal
    table below (the 14 ATT&CK Enterprise tactics). There is no offline table of the ~600
    technique names, so a technique's or subtechnique's ``name`` is its id (``T1059``,
    ``T1059.001``): honest, schema-valid, and Kibana still links the reference. Sigma tags do not
    say which technique belongs to which tactic, so every technique of the rule is listed under
    every tactic of the rule (exact for the usual single-tactic rule; for several tactics it may
    pair a technique with a tactic it does not belong to). Techniques of a rule without any tactic
    tag cannot be expressed (a threat entry without a tactic is invalid) and stay in ``tags`` only.

Missing metadata
    Optional metadata that a rule lacks becomes ``""`` or ``[]``; ``rule_id`` and ``name`` (which
    Elastic requires) fall back to a stable UUIDv5 of the file stem and title and to the title or
    id, and ``summary`` (Elastic's ``description`` has ``minLength: 1``) falls back to the name.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from converter.results import RuleResult

# Sigma level -> (Elastic severity, Elastic default risk score); see the module docstring.
SEVERITY_RISK: dict[str, tuple[str, int]] = {
    "informational": ("low", 21),
    "low": ("low", 21),
    "medium": ("medium", 47),
    "high": ("high", 73),
    "critical": ("critical", 99),
}
DEFAULT_SEVERITY_RISK = SEVERITY_RISK["low"]

ATTACK_FRAMEWORK = "MITRE ATT&CK"
ATTACK_URL = "https://attack.mitre.org"

# The 14 tactics of the ATT&CK Enterprise matrix: (id, name), keyed by the Sigma tag suffix
# (``attack.<name in lower case, words joined by "-">``; older rules use "_").
TACTICS: dict[str, tuple[str, str]] = {
    "reconnaissance": ("TA0043", "Reconnaissance"),
    "resource-development": ("TA0042", "Resource Development"),
    "initial-access": ("TA0001", "Initial Access"),
    "execution": ("TA0002", "Execution"),
    "persistence": ("TA0003", "Persistence"),
    "privilege-escalation": ("TA0004", "Privilege Escalation"),
    "defense-evasion": ("TA0005", "Defense Evasion"),
    "credential-access": ("TA0006", "Credential Access"),
    "discovery": ("TA0007", "Discovery"),
    "lateral-movement": ("TA0008", "Lateral Movement"),
    "collection": ("TA0009", "Collection"),
    "command-and-control": ("TA0011", "Command and Control"),
    "exfiltration": ("TA0010", "Exfiltration"),
    "impact": ("TA0040", "Impact"),
}

_TECHNIQUE_TAG = re.compile(r"attack\.t(\d{4})(?:\.(\d{3}))?", re.IGNORECASE)

# Namespace of the fallback rule ids (uuid5 of "<stem>/<title>") for rules without an id.
_FALLBACK_NAMESPACE = uuid.UUID("6f1d3c52-8d1b-5c0e-9a57-0c6a3e2b9f41")

# savedsearches.conf: [default] holds global settings, so no rule may use that stanza name.
_RESERVED_STANZAS = frozenset({"default"})
_STANZA_BRACKETS = str.maketrans({"[": "(", "]": ")"})
_STANZA_SPACE = re.compile(r"\s+")

# The Kibana saved-object reference name a search source uses for its data view (as exported).
INDEX_REF_NAME = "kibanaSavedObjectMeta.searchSourceJSON.index"
# Query languages as Kibana names them in searchSourceJSON and in detection rules.
KIBANA_LANGUAGE = {"lucene": "lucene", "kql": "kuery", "eql": "eql", "esql": "esql"}


def elastic_severity(level: str) -> tuple[str, int]:
    """Elastic (severity, risk_score) for a Sigma level."""
    return SEVERITY_RISK.get(level.strip().lower(), DEFAULT_SEVERITY_RISK)


def attack_threat(tags: Iterable[str]) -> list[dict[str, Any]]:
    """Elastic ``threat`` entries for a rule's ``attack.*`` tags (see the module docstring)."""
    tags = list(tags)
    techniques = attack_techniques(tags)
    return [
        {"framework": ATTACK_FRAMEWORK, "tactic": tactic, "technique": _copy(techniques)}
        for tactic in attack_tactics(tags)
    ]


def attack_tactics(tags: Iterable[str]) -> list[dict[str, str]]:
    """Elastic tactic objects for the tactic tags, in tag order, without duplicates."""
    found: dict[str, dict[str, str]] = {}
    for tag in tags:
        key = tag.strip().lower().replace("_", "-")
        if not key.startswith("attack."):
            continue
        entry = TACTICS.get(key.removeprefix("attack."))
        if entry and entry[0] not in found:
            tactic_id, name = entry
            found[tactic_id] = _attack_object(tactic_id, name, f"tactics/{tactic_id}/")
    return list(found.values())


def attack_techniques(tags: Iterable[str]) -> list[dict[str, Any]]:
    """Elastic technique objects (with subtechniques) for ``attack.tNNNN[.NNN]`` tags."""
    subs: dict[str, list[str]] = {}
    for tag in tags:
        match = _TECHNIQUE_TAG.fullmatch(tag.strip())
        if match is None:
            continue
        technique, sub = f"T{match[1]}", match[2]
        children = subs.setdefault(technique, [])
        if sub and f"{technique}.{sub}" not in children:
            children.append(f"{technique}.{sub}")
    return [_technique(technique, children) for technique, children in subs.items()]


def _technique(technique: str, subtechniques: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = _attack_object(technique, technique, f"techniques/{technique}/")
    if subtechniques:
        entry["subtechnique"] = [
            _attack_object(sub, sub, "techniques/{}/".format(sub.replace(".", "/")))
            for sub in subtechniques
        ]
    return entry


def _attack_object(object_id: str, name: str, path: str) -> dict[str, str]:
    return {"id": object_id, "name": name, "reference": f"{ATTACK_URL}/{path}"}


def _copy(techniques: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json.loads(json.dumps(techniques))  # type: ignore[no-any-return]


def text(value: Any) -> str:
    """A metadata value as text: ``""`` for missing, enum members by name, others via str()."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.name).lower()
    return value if isinstance(value, str) else str(value)


def text_list(value: Any) -> list[str]:
    """A metadata value as a list of strings (a lone string becomes a one-element list)."""
    if value is None or value == "":
        return []
    if isinstance(value, str | Enum) or not isinstance(value, Iterable):
        return [text(value)]
    return [text(item) for item in value if item is not None]


def fallback_rule_id(stem: str, title: str) -> str:
    """A stable id for a rule without one, so that re-importing it still updates it.

    A file name that is not UTF-8 reaches Python with surrogate escapes (PEP 383), which uuid5
    cannot encode; they are hashed as backslash escapes, which leaves every other id unchanged.
    """
    name = f"{stem}/{title}".encode("utf-8", "backslashreplace").decode("utf-8")
    return str(uuid.uuid5(_FALLBACK_NAMESPACE, name))


def stanza_name(title: str) -> str:
    """A savedsearches.conf stanza name for a title.

    A stanza header is ``[<name>]`` on one line, so ``[`` and ``]`` become ``(`` and ``)``, and
    any run of whitespace (line breaks included) becomes one space; the ends are trimmed.
    """
    name = _STANZA_SPACE.sub(" ", title.translate(_STANZA_BRACKETS)).strip()
    return name or "Sigma rule"


def unique_stanzas(titles: Sequence[str]) -> list[str]:
    """Stanza names for ``titles``, made unique by " (2)", " (3)", ... in order of appearance."""
    taken = set(_RESERVED_STANZAS)
    names = []
    for title in titles:
        base = stanza_name(title)
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base} ({n})"
        taken.add(name)
        names.append(name)
    return names


def data_view_id(index: Sequence[str]) -> str:
    """A stable Kibana data view id for a list of index patterns."""
    return str(uuid.uuid5(_FALLBACK_NAMESPACE, "data-view:" + ",".join(index)))


def search_source_json(query: str, language: str) -> str:
    """Kibana's ``searchSourceJSON`` for a saved search (a JSON document inside a string)."""
    source = {
        "query": {"query": query, "language": language},
        "filter": [],
        "indexRefName": INDEX_REF_NAME,
    }
    return json.dumps(source, ensure_ascii=False)


def rule_context(result: RuleResult, target_key: str, index: Sequence[str]) -> dict[str, Any]:
    """The template variables of one converted rule."""
    context = _identity(result)
    context.update(_metadata(result.meta))
    context["summary"] = (
        context["description"] if context["description"].strip() else context["name"]
    )
    context.update(_query_values(result, target_key, index))
    context["severity"], context["risk_score"] = elastic_severity(context["level"])
    context["threat"] = attack_threat(context["tags"])
    return context


def _identity(result: RuleResult) -> dict[str, Any]:
    sigma_id, title = text(result.rule_id), text(result.title)
    rule_id = sigma_id or fallback_rule_id(result.stem, title)
    name = title if title.strip() else rule_id
    return {"id": sigma_id, "rule_id": rule_id, "title": title, "name": name}


def _metadata(meta: dict[str, Any]) -> dict[str, Any]:
    author = text(meta.get("author"))
    values: dict[str, Any] = {
        key: text(meta.get(key))
        for key in ("description", "level", "status", "license", "date", "modified")
    }
    values.update(
        {key: text_list(meta.get(key)) for key in ("tags", "references", "falsepositives")}
    )
    values.update(author=author, authors=[author] if author.strip() else [])
    return values


def _query_values(result: RuleResult, target_key: str, index: Sequence[str]) -> dict[str, Any]:
    return {
        "path": str(result.path),
        "stem": result.stem,
        "query": result.query,
        "queries": list(result.queries),
        "index": list(index),
        "search_source": search_source_json(result.query, KIBANA_LANGUAGE.get(target_key, "")),
    }


def rule_contexts(
    results: Iterable[RuleResult], target_key: str, index: Sequence[str]
) -> list[dict[str, Any]]:
    """Template variables for every converted result, with unique stanza names."""
    rules = [rule_context(r, target_key, index) for r in results if r.status == "converted"]
    for rule, stanza in zip(rules, unique_stanzas([r["name"] for r in rules]), strict=True):
        rule["stanza"] = stanza
    return rules
