"""Deployable artifacts: savedsearches.conf, Kibana saved searches, Elastic detection rules.

Expected values come from the format documentation, not from the code:

* savedsearches.conf: stanzas ``[name]``, ``key = value``, a line ending in a backslash continues
  the value on the next line (checklist.conf.spec, searchbnf.conf.spec), a value ending in a
  backslash is written as the backslash, a continuation backslash and an empty line (Splunk's
  searchbnf.conf writes line-final backslashes so, and AppInspect's parser reads a backslash
  followed by whitespace at a line end as a continuation),
  https://docs.splunk.com/Documentation/Splunk/latest/Admin/Savedsearchesconf
* Elastic detection rules: the Kibana rule schema (rule_schemas.schema.yaml,
  common_attributes.schema.yaml) and the import schema (rule_id required); severity and default
  risk score https://www.elastic.co/docs/solutions/security/detect-and-alert/common-rule-settings
* Kibana saved objects: id, type, attributes, references; a saved search keeps its query in
  ``attributes.kibanaSavedObjectMeta.searchSourceJSON`` and names its data view through the
  reference ``kibanaSavedObjectMeta.searchSourceJSON.index``.
* ATT&CK: https://attack.mitre.org/tactics/enterprise/ (tactic ids and names).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError
from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend

from converter.artifacts import attack_threat, elastic_severity
from converter.errors import TemplateRenderError
from converter.render import artifact_context, environment, render_artifact
from converter.results import RuleResult
from converter.targets import TARGETS
from converter.targets.base import Format, Target
from converter.targets.elastic import KIBANA_FORMATS, RULE_FORMAT, WINDOWS_INDEXES

HOSTILE_TITLE = 'Evil "quoted" \\ title ] with {{ 7*7 }} {% if x %} [brackets] Ünïcødé'
HOSTILE_DESCRIPTION = (
    'Line one with "quotes" and {{ x }} and {% raw %}\n'
    "[not a stanza]\n"
    "search = | delete\n"
    "# not a comment\n"
    "ends in backslash C:\\Windows\\\n"
    "non-ASCII: Ünïcødé 検知 \u2028 after a line separator\n"
    "last line ends in a backslash \\"
)
HOSTILE_QUERY = (
    'Image="*\\\\cmd.exe" CommandLine="*\\"quoted\\"*" {{ 7*7 }} {% endif %}\n'
    '| where path="C:\\\\"\n'
    "\n"
    '| eval x="Ünïcødé ]"\\'
)
INDEX = ["logs-custom-*", "winlogbeat-*"]
SIGMA_ID = "c0b2768a-dd06-4671-8339-b16ca8d1f27f"


def result(
    title: str = "Plain rule",
    queries: list[str] | None = None,
    rule_id: str | None = SIGMA_ID,
    meta: dict[str, Any] | None = None,
    status: str = "converted",
) -> RuleResult:
    return RuleResult(
        path=Path("rules/example.yml"),
        stem="example",
        rule_id=rule_id,
        title=title,
        target="any",
        status=status,  # type: ignore[arg-type]
        queries=queries if queries is not None else ["EventID=1"],
        meta=meta if meta is not None else {},
    )


def hostile() -> RuleResult:
    return result(
        HOSTILE_TITLE,
        [HOSTILE_QUERY, "| second query ending in \\"],
        meta={
            "description": HOSTILE_DESCRIPTION,
            "level": "critical",
            "tags": ["attack.execution", "attack.t1059.001"],
            "author": 'Ä. "Author" \\',
            "references": ["https://example.org/?a=1&b=<2>"],
            "falsepositives": ["Admins {{ }}"],
        },
    )


def kql_target() -> Target:
    return TARGETS.get("kql") or Target(
        key="kql",
        language="Kibana Query Language",
        backend_class=LuceneBackend,
        formats={**KIBANA_FORMATS("kql"), **RULE_FORMAT("kql")},
        index_patterns=WINDOWS_INDEXES,
    )


def target(key: str) -> Target:
    return kql_target() if key == "kql" else TARGETS[key]


def render(key: str, fmt: str, results: list[RuleResult], index: list[str] | None = None) -> str:
    t = target(key)
    return render_artifact(t, t.formats[fmt], results, INDEX if index is None else index)


# --- savedsearches.conf ----------------------------------------------------------------------


def read_conf(text: str) -> dict[str, dict[str, str]]:
    """A .conf reader by the documented rules: stanzas, key = value, backslash continuation.

    Blank lines and lines starting with ``#`` are skipped between settings; a physical line ending
    in a backslash continues the value (the backslash is dropped, the line break kept); leading
    and trailing whitespace of a value is not part of it. Settings before the first stanza are
    global (stanza ""). A repeated stanza name is an error here (the generator must not emit it).
    """
    stanzas: dict[str, dict[str, str]] = {"": {}}
    current = stanzas[""]
    lines = iter(text.split("\n"))
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            assert stripped[1:-1] not in stanzas, f"duplicate stanza {stripped}"
            current = stanzas[stripped[1:-1]] = {}
            continue
        key, sep, value = line.partition("=")
        assert sep and key.strip() not in current, f"not a new setting: {line!r}"
        current[key.strip()] = continued(value, lines).strip()
    return stanzas


def continued(value: str, lines: Iterator[str]) -> str:
    """``value`` joined with the lines that its trailing backslashes continue it onto."""
    while value.endswith("\\"):
        value = value[:-1] + "\n" + next(lines, "")
    return value


def test_savedsearches_round_trips_plain_rules() -> None:
    rules = [
        result("Fsutil symlink evaluation", ['Image="*\\\\fsutil.exe" CommandLine="*R2L:1*"']),
        result("Second rule", ["a=1\n| where b=2"], meta={"description": "Two\nlines"}),
    ]
    conf = read_conf(render("splunk", "savedsearches", rules))
    assert list(conf) == ["", "Fsutil symlink evaluation", "Second rule"]
    first = conf["Fsutil symlink evaluation"]
    assert first["search"] == 'Image="*\\\\fsutil.exe" CommandLine="*R2L:1*"'
    assert first["description"] == ""
    assert conf["Second rule"]["search"] == "a=1\n| where b=2"
    assert conf["Second rule"]["description"] == "Two\nlines"


def test_savedsearches_round_trips_hostile_values() -> None:
    text = render("splunk", "savedsearches", [hostile(), result("After")])
    conf = read_conf(text)
    # "[" and "]" become "(" and ")" in a stanza name (documented in artifacts.stanza_name).
    name = 'Evil "quoted" \\ title ) with {{ 7*7 }} {% if x %} (brackets) Ünïcødé'
    assert list(conf) == ["", name, "After"]
    stanza = conf[name]
    assert stanza["description"] == HOSTILE_DESCRIPTION
    assert stanza["search"] == HOSTILE_QUERY + "\n| second query ending in \\"
    # the trailing backslash did not swallow the next setting
    assert stanza["disabled"] == "false"
    assert conf["After"]["search"] == "EventID=1"
    assert "Ünïcødé 検知" in text  # written as UTF-8 text, not escaped


def test_savedsearches_documented_settings() -> None:
    stanza = read_conf(render("splunk", "savedsearches", [result()]))["Plain rule"]
    assert set(stanza) == {
        "description",
        "search",
        "disabled",
        "enableSched",
        "cron_schedule",
        "dispatch.earliest_time",
        "dispatch.latest_time",
    }
    assert stanza["enableSched"] in {"0", "1"}  # "The only acceptable values ... are 0 and 1"


def test_savedsearches_stanza_names_are_unique_and_never_default() -> None:
    titles = ["Same", "Same", "Same (2)", "default", "line\nbreak", "  ", "Same"]
    conf = read_conf(render("splunk", "savedsearches", [result(t) for t in titles]))
    names = list(conf)[1:]
    assert len(names) == len(titles)  # read_conf fails on a repeated stanza
    assert "default" not in names  # [default] would hold global settings
    assert names[0] == "Same"
    assert "line break" in names
    assert all(n and "\n" not in n and "]" not in n for n in names)


def test_savedsearches_outer_whitespace_and_carriage_returns() -> None:
    rule = result(queries=["  a=1\r\n| b  "], meta={"description": "\n  padded  \n"})
    stanza = read_conf(render("splunk", "savedsearches", [rule]))["Plain rule"]
    # .conf values cannot carry leading/trailing whitespace; CR LF is a line break.
    assert stanza["search"] == "a=1\n| b"
    assert stanza["description"] == "padded"


# --- NDJSON ----------------------------------------------------------------------------------


def ndjson(text: str) -> list[dict[str, Any]]:
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert all(line.strip() for line in lines), "empty line in NDJSON"
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(o, dict) for o in objects)
    return objects


RULE_KINDS = {
    "lucene": ("query", "lucene"),
    "kql": ("query", "kuery"),
    "eql": ("eql", "eql"),
    "esql": ("esql", "esql"),
}


def check_required_rule_fields(rule: dict[str, Any], key: str) -> None:
    """The fields the rule import schema requires (RuleToImport, *RuleRequiredFields)."""
    for field in ("rule_id", "name", "description", "risk_score", "severity", "type"):
        assert field in rule
    assert rule["name"] and rule["description"]  # minLength: 1
    assert rule["severity"] in {"low", "medium", "high", "critical"}
    assert isinstance(rule["risk_score"], int) and 0 <= rule["risk_score"] <= 100
    assert (rule["type"], rule["language"]) == RULE_KINDS[key]
    assert rule["enabled"] is False
    assert rule["version"] == 1
    if key == "esql":
        assert "index" not in rule  # "This field is not supported for ES|QL rules"
    else:
        assert rule["index"] == INDEX


@pytest.mark.parametrize("key", sorted(RULE_KINDS))
def test_rule_ndjson_has_required_fields_and_exact_query(key: str) -> None:
    text = render(key, "rule_ndjson", [hostile(), result("Second", ["x"], rule_id=None)])
    rules = ndjson(text)
    assert len(rules) == 2
    for rule in rules:
        check_required_rule_fields(rule, key)
    first, second = rules
    assert first["rule_id"] == SIGMA_ID
    assert first["query"] == HOSTILE_QUERY + "\n| second query ending in \\"
    assert first["name"] == HOSTILE_TITLE
    assert first["description"] == HOSTILE_DESCRIPTION
    assert first["author"] == ['Ä. "Author" \\']
    assert first["references"] == ["https://example.org/?a=1&b=<2>"]
    assert first["false_positives"] == ["Admins {{ }}"]
    assert (first["severity"], first["risk_score"]) == ("critical", 99)
    assert second["query"] == "x"
    assert second["rule_id"] and second["rule_id"] != SIGMA_ID
    assert "Ünïcødé" in text and "\u2028" not in text


def test_rule_ndjson_fallback_id_is_stable() -> None:
    once = ndjson(render("lucene", "rule_ndjson", [result(rule_id=None)]))[0]["rule_id"]
    again = ndjson(render("lucene", "rule_ndjson", [result(rule_id=None)]))[0]["rule_id"]
    assert once == again


@pytest.mark.parametrize(("key", "language"), [("lucene", "lucene"), ("kql", "kuery")])
def test_kibana_ndjson_saved_searches(key: str, language: str) -> None:
    objects = ndjson(render(key, "kibana_ndjson", [hostile(), result("Second", ["y"])]))
    view, searches = objects[0], objects[1:]
    assert view["type"] == "index-pattern"
    assert view["attributes"]["title"] == ",".join(INDEX)
    assert [s["type"] for s in searches] == ["search", "search"]
    first = searches[0]
    assert first["id"] == SIGMA_ID
    assert first["attributes"]["title"] == HOSTILE_TITLE
    assert first["attributes"]["description"] == HOSTILE_DESCRIPTION
    queries = [HOSTILE_QUERY + "\n| second query ending in \\", "y"]
    for search, query in zip(searches, queries, strict=True):
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["query"] == {"query": query, "language": language}
        ref = source["indexRefName"]
        assert {"id": view["id"], "name": ref, "type": "index-pattern"} in search["references"]


def test_index_defaults_to_the_target_patterns() -> None:
    rule = ndjson(render("eql", "rule_ndjson", [result()], index=[]))[0]
    assert rule["index"] == list(TARGETS["eql"].index_patterns)


def test_only_converted_results_are_rendered() -> None:
    results = [result("ok"), result("bad", status="error"), result("no", status="unsupported")]
    assert [r["name"] for r in ndjson(render("lucene", "rule_ndjson", results))] == ["ok"]


# --- mappings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("informational", ("low", 21)),
        ("low", ("low", 21)),
        ("medium", ("medium", 47)),
        ("high", ("high", 73)),
        ("critical", ("critical", 99)),
        ("", ("low", 21)),
        ("bogus", ("low", 21)),
    ],
)
def test_severity_and_risk_score(level: str, expected: tuple[str, int]) -> None:
    assert elastic_severity(level) == expected


# Expected entries, from https://attack.mitre.org/tactics/enterprise/ and the technique URLs.
EXECUTION = {
    "id": "TA0002",
    "name": "Execution",
    "reference": "https://attack.mitre.org/tactics/TA0002/",
}
CREDENTIAL = {
    "id": "TA0006",
    "name": "Credential Access",
    "reference": "https://attack.mitre.org/tactics/TA0006/",
}
TECHNIQUES = [
    {
        "id": "T1059",
        "name": "T1059",  # no offline name table: the id stands in for the name
        "reference": "https://attack.mitre.org/techniques/T1059/",
        "subtechnique": [
            {
                "id": "T1059.001",
                "name": "T1059.001",
                "reference": "https://attack.mitre.org/techniques/T1059/001/",
            }
        ],
    },
    {"id": "T1003", "name": "T1003", "reference": "https://attack.mitre.org/techniques/T1003/"},
]


def test_attack_tags_become_threat_entries() -> None:
    tags = [
        "attack.execution",
        "attack.t1059.001",
        "attack.credential_access",  # older Sigma spelling
        "attack.t1003",
        "attack.t1059",
        "attack.g0007",  # a group: no technique
        "car.2016-04-005",
    ]
    assert attack_threat(tags) == [
        {"framework": "MITRE ATT&CK", "tactic": EXECUTION, "technique": TECHNIQUES},
        {"framework": "MITRE ATT&CK", "tactic": CREDENTIAL, "technique": TECHNIQUES},
    ]


def test_attack_all_fourteen_tactics() -> None:
    expected = {
        "reconnaissance": "TA0043",
        "resource-development": "TA0042",
        "initial-access": "TA0001",
        "execution": "TA0002",
        "persistence": "TA0003",
        "privilege-escalation": "TA0004",
        "defense-evasion": "TA0005",
        "credential-access": "TA0006",
        "discovery": "TA0007",
        "lateral-movement": "TA0008",
        "collection": "TA0009",
        "command-and-control": "TA0011",
        "exfiltration": "TA0010",
        "impact": "TA0040",
    }
    for tag, tactic_id in expected.items():
        (entry,) = attack_threat([f"attack.{tag}"])
        assert entry["tactic"]["id"] == tactic_id
        assert entry["technique"] == []


def test_techniques_without_a_tactic_give_no_threat() -> None:
    assert attack_threat(["attack.t1059"]) == []


# --- templates -------------------------------------------------------------------------------


def test_strict_undefined_raises_on_a_missing_variable() -> None:
    with pytest.raises(UndefinedError):
        environment().from_string("{{ no_such_variable }}").render()
    context = artifact_context(TARGETS["lucene"], [result()], INDEX)
    with pytest.raises(UndefinedError):
        environment().from_string("{% for r in rules %}{{ r.no_such_key }}{% endfor %}").render(
            context
        )


def test_template_errors_become_render_errors() -> None:
    broken = Format("broken", "txt", "missing template", "lucene/no_such_template.j2")
    with pytest.raises(TemplateRenderError):
        render_artifact(TARGETS["lucene"], broken, [result()], INDEX)


def test_query_format_has_no_template() -> None:
    with pytest.raises(ValueError):
        render_artifact(TARGETS["splunk"], TARGETS["splunk"].format(None), [result()], INDEX)


@pytest.mark.parametrize(
    ("key", "fmt"),
    [
        ("splunk", "savedsearches"),
        ("lucene", "kibana_ndjson"),
        ("kql", "kibana_ndjson"),
        *((key, "rule_ndjson") for key in sorted(RULE_KINDS)),
    ],
)
def test_missing_metadata_renders(key: str, fmt: str) -> None:
    bare = RuleResult(Path("r.yml"), "r", None, "", key, "converted", queries=["q"])
    text = render(key, fmt, [bare])
    assert "q" in text
    if fmt != "savedsearches":
        for obj in ndjson(text):
            assert obj.get("name", obj.get("attributes", {}).get("title"))


def test_templates_are_not_evaluated_inside_values() -> None:
    text = render("lucene", "rule_ndjson", [result("{{ 7*7 }}", ["{% raw %}x"])])
    rule = ndjson(text)[0]
    assert rule["name"] == "{{ 7*7 }}"
    assert rule["query"] == "{% raw %}x"


def test_python_filter_registered_when_available() -> None:
    try:
        import converter.targets.python as python_target
    except ImportError:
        pytest.skip("converter.targets.python is not there yet")
    if callable(getattr(python_target, "pyrepr", None)):
        assert "pyrepr" in environment().filters
