"""Generated code and artifact formats hold hostile rule text only as data (issue parts 3 and 4).

Hostile strings (quotes, triple quotes, a trailing backslash, Jinja ``{{ }}``/``{% %}``, line
breaks, NUL, unicode escapes written out, and code that would leave a canary if it ever ran) are
put into rule titles, descriptions, tags, detection values and field names. The rules are
converted with ``sigma-parity convert -t all -o DIR`` once per artifact format, so every format
is produced: the python ``module`` (the python target's default), ``savedsearches`` (splunk),
``kibana_ndjson`` (lucene, kql) and ``rule_ndjson`` (lucene, kql, eql, esql). Each artifact must
parse by its format's own rules and give back the rule's title, description and query (the
query the default format prints, read from the JSON report: DESIGN.md "Every artifact embeds
exactly the query the default format prints").

Format rules the expectations come from:

* savedsearches.conf, read two ways that must agree:
  - splunkd's documented rules: ``[stanza]`` headers, ``key = value``, a line that ends in a
    backslash continues on the next line, the line break kept (searchbnf.conf.spec: "end each
    line with a backslash"); the last backslash of a line is the marker, so Splunk's own
    searchbnf.conf writes ``\\p\\\\`` to keep one; a backslash followed by a space is not a
    continuation (user-seed.conf.spec); values are trimmed. All spec files:
    https://docs.splunk.com/Documentation/Splunk/latest/Admin/Aboutconfigurationfiles
  - Splunk AppInspect's parser (splunk-appinspect, configuration_parser.join_lines): a backslash
    followed by optional whitespace at a line end continues the value (one character dropped,
    a line break added); ``#`` and ``;`` lines are comments.
  A value's CR LF and CR become LF and its outer whitespace is trimmed (the format cannot carry
  them; documented in converter.render.conf_value). The title is not a setting: it names the
  stanza, with ``[``/``]`` turned into ``(``/``)`` and whitespace runs into one space
  (documented in converter.artifacts.stanza_name).
* NDJSON: one JSON text per ``\\n``-terminated line (https://github.com/ndjson/ndjson-spec),
  JSON per RFC 8259; Kibana's ``searchSourceJSON`` is a JSON text inside a JSON string.
* Python module: parsed with :mod:`ast`; importing it runs only definitions.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from converter import cli

TARGETS = ("splunk", "lucene", "kql", "eql", "esql", "python")
CANARY_NAME = "SIGMA_PARITY_CANARY"
CANARY_FILE = "canary-was-written.txt"  # relative to the rules folder


def hostile_values(canary_path: str) -> dict[str, str]:
    """The hostile strings, by name; ``canary_path`` is where spliced code would write."""
    run = f"import builtins; builtins.{CANARY_NAME} = 1; open({canary_path!r}, 'w').write('x')"
    return {
        "quotes": "it's \"double\" and 'single' \\\" \\'",
        "triple_quotes": "''' \"\"\" '''\"\"\"",
        "trailing_backslash": "C:\\Windows\\",
        "templates": "{{ 7*7 }} {{ version }} {% for x in range(3) %}{{ x }}{% endfor %} {# c #}",
        "raw_block": "{% raw %} {{ rules }} {% endraw %} {%- if true -%}",
        "newlines": "line one\nsearch = | delete\n[default]\n# comment\n; comment\n\nlast \\",
        "nul": "a\x00b",
        "unicode": "\\u0041 \\x41 \\N{BULLET} \\U0001F600 | \u2028 \u2029 \x85 \u00e9 \U0001f600",
        "backticks": "`x` `` ` \\`",
        "code_single": f"'); {run}; ('",
        "code_triple": f"'''\"\"\"\n{run}\n\"\"\"'''",
        "code_backslash": f"\\'); {run}; #",
    }


# Which targets cannot take a value (in a `|contains` value) and why; all others convert it.
# None in the parity profile (the default these tests run): EQL and ES|QL string literals cannot
# hold a raw line break (docs/engines.md: EQL "strings ... no raw newline", ES|QL "a raw newline
# ... is a lexer error"); pySigma's backends write one (stock: rejected by the engine), the parity
# backends escape it.
VALUE_FAILURES: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class Rule:
    stem: str
    title: str
    description: str
    document: dict[str, Any]


def hostile_rules(values: dict[str, str]) -> list[Rule]:
    """Per hostile string: its text as metadata, as a detection value and as a field name."""
    rules = []
    for name, value in values.items():
        meta = {
            "title": value,
            "description": value,
            "author": value,
            "tags": ["attack.execution", "attack.t1059", "hostile." + value],
            "references": [value],
            "falsepositives": [value],
            "level": "high",
            "logsource": {"product": "windows", "category": "process_creation"},
            "detection": {"sel": {"CommandLine|contains": "benign"}, "condition": "sel"},
        }
        rules.append(Rule(f"meta_{name}", value, value, meta))
        detection = {"sel": {"CommandLine|contains": value}, "condition": "sel"}
        rules.append(Rule(f"value_{name}", f"value {name}", "", _plain(detection)))
        field = value.replace("|", "/")  # "|" separates modifiers: not part of a field name
        detection = {"sel": {field: "x"}, "condition": "sel"}
        rules.append(Rule(f"field_{name}", f"field {name}", "", _plain(detection, "linux")))
    return rules


def _plain(detection: dict[str, Any], product: str = "windows") -> dict[str, Any]:
    logsource = {"product": product, "category": "process_creation"}
    return {"title": "", "logsource": logsource, "detection": detection}


def write_rules(folder: Path, rules: list[Rule]) -> None:
    folder.mkdir(parents=True)
    for rule in rules:
        document = {**rule.document, "title": rule.title}
        if rule.description:
            document["description"] = rule.description
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
        assert yaml.safe_load(text) == document  # the test's own precondition: YAML kept it exact
        (folder / f"{rule.stem}.yml").write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Run:
    rules_dir: Path
    rules: list[Rule]
    outputs: dict[str, Path]  # format -> output folder
    report: list[dict[str, Any]]

    def result(self, stem: str, target: str) -> dict[str, Any]:
        (found,) = [
            r for r in self.report if Path(r["path"]).stem == stem and r["target"] == target
        ]
        return found

    def query(self, stem: str, target: str) -> str:
        result = self.result(stem, target)
        assert result["status"] == "converted", result["message"]
        return str(result["query"])


FORMATS = ("savedsearches", "kibana_ndjson", "rule_ndjson")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("hostile")
    rules_dir = base / "rules"
    rules = hostile_rules(hostile_values(str(rules_dir / CANARY_FILE)))
    write_rules(rules_dir, rules)
    outputs = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(base)  # outside the project: its [tool.sigma-parity] defaults do not apply
        for fmt in FORMATS:
            outputs[fmt] = base / fmt
            args = ["convert", "-t", "all", "-f", fmt, "-o", str(outputs[fmt]), "--jobs", "1"]
            args += ["--json-report", str(base / f"{fmt}.json"), str(rules_dir)]
            result = CliRunner().invoke(cli.cli, args, catch_exceptions=False)
            assert result.exit_code == 1, result.output  # some hostile rules are rejected
            assert "Traceback" not in result.output
    report = json.loads((base / f"{FORMATS[0]}.json").read_text(encoding="utf-8"))["rules"]
    return Run(rules_dir, rules, outputs, report)


NAMES = list(hostile_values("canary"))


# --- statuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_hostile_metadata_converts_everywhere(run: Run, name: str) -> None:
    assert {run.result(f"meta_{name}", t)["status"] for t in TARGETS} == {"converted"}


@pytest.mark.parametrize("name", NAMES)
def test_hostile_value_status_per_target(run: Run, name: str) -> None:
    failures = VALUE_FAILURES.get(name, {})
    for target in TARGETS:
        result = run.result(f"value_{name}", target)
        if target in failures:
            assert result["status"] == "error" and failures[target] in result["message"]
        else:
            assert result["status"] == "converted", (target, result["message"])


@pytest.mark.parametrize("name", NAMES)
def test_hostile_field_name_is_a_python_constant(run: Run, name: str) -> None:
    """Any string is a field name of a Python mapping; the other query languages may refuse it."""
    assert run.result(f"field_{name}", "python")["status"] == "converted"


# --- savedsearches.conf ------------------------------------------------------------------------


def splunkd_lines(text: str) -> Iterator[str]:
    """Logical lines by splunkd's documented rule: a final backslash continues the line."""
    pending: list[str] = []
    for line in text.split("\n"):
        if line.endswith("\\"):
            pending.append(line[:-1] + "\n")
            continue
        yield "".join([*pending, line])
        pending = []
    assert not pending, "the file ends inside a continued value"


def appinspect_lines(text: str) -> Iterator[str]:
    """Logical lines as AppInspect joins them: backslash + optional whitespace continues."""
    pending: list[str] = []
    for line in text.split("\n"):
        if re.search(r"\\\s*$", line):
            pending.append(line[:-1] + "\n")
            continue
        yield "".join([*pending, line])
        pending = []
    assert not pending, "the file ends inside a continued value"


def read_conf(lines: Iterator[str]) -> dict[str, dict[str, str]]:
    """Stanzas of settings from logical lines; a repeated stanza or setting fails the test."""
    stanzas: dict[str, dict[str, str]] = {"": {}}
    current = stanzas[""]
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            name = stripped[1 : stripped.rindex("]")]
            assert name not in stanzas, f"repeated stanza {name!r}"
            current = stanzas[name] = {}
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a setting: {line!r}"
        assert key.strip() not in current, f"repeated setting {key.strip()!r}"
        current[key.strip()] = value.strip()
    return stanzas


def conf_text(value: str) -> str:
    """What a .conf value can hold of ``value``: LF line breaks, no outer whitespace."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def stanza(title: str) -> str:
    """The documented stanza name of a title."""
    name = re.sub(r"\s+", " ", title.replace("[", "(").replace("]", ")")).strip()
    return name or "Sigma rule"


SETTINGS = {
    "description",
    "search",
    "disabled",
    "enableSched",
    "cron_schedule",
    "dispatch.earliest_time",
    "dispatch.latest_time",
}


@pytest.mark.parametrize("reader", [splunkd_lines, appinspect_lines], ids=["splunkd", "appinspect"])
def test_savedsearches_round_trip(run: Run, reader: Any) -> None:
    checked = 0
    for rule in run.rules:
        if run.result(rule.stem, "splunk")["status"] != "converted":
            continue
        path = run.outputs["savedsearches"] / "splunk" / f"{rule.stem}.conf"
        conf = read_conf(reader(path.read_text(encoding="utf-8")))
        assert list(conf) == ["", stanza(rule.title)], rule.stem
        settings = conf[stanza(rule.title)]
        assert set(settings) == SETTINGS, rule.stem  # no setting swallowed, none injected
        assert settings["description"] == conf_text(rule.description), rule.stem
        assert settings["search"] == conf_text(run.query(rule.stem, "splunk")), rule.stem
        assert settings["disabled"] == "false"
        checked += 1
    assert checked >= 2 * len(NAMES)


def test_savedsearches_trailing_backslash_does_not_continue_into_the_next_setting(
    run: Run,
) -> None:
    path = run.outputs["savedsearches"] / "splunk" / "meta_trailing_backslash.conf"
    for reader in (splunkd_lines, appinspect_lines):
        settings = read_conf(reader(path.read_text(encoding="utf-8")))["C:\\Windows\\"]
        assert settings["description"] == "C:\\Windows\\"
        assert settings["search"].startswith("CommandLine=")


# --- NDJSON ------------------------------------------------------------------------------------


def ndjson(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert "\u2028" not in text and "\u2029" not in text  # JavaScript line terminators
    documents = [json.loads(line) for line in text[:-1].split("\n")]
    assert all(isinstance(d, dict) for d in documents)
    return documents


NDJSON_TARGETS = {
    "kibana_ndjson": ("lucene", "kql"),
    "rule_ndjson": ("lucene", "kql", "eql", "esql"),
}
KIBANA_LANGUAGE = {"lucene": "lucene", "kql": "kuery"}


def converted(run: Run, target: str) -> Iterator[Rule]:
    return (r for r in run.rules if run.result(r.stem, target)["status"] == "converted")


@pytest.mark.parametrize("target", NDJSON_TARGETS["kibana_ndjson"])
def test_kibana_ndjson_round_trip(run: Run, target: str) -> None:
    for rule in converted(run, target):
        path = run.outputs["kibana_ndjson"] / target / f"{rule.stem}.ndjson"
        data_view, search = ndjson(path)
        assert data_view["type"] == "index-pattern" and search["type"] == "search"
        attributes = search["attributes"]
        assert attributes["title"] == rule.title, rule.stem
        assert attributes["description"] == rule.description, rule.stem
        source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["query"] == {
            "query": run.query(rule.stem, target),
            "language": KIBANA_LANGUAGE[target],
        }


@pytest.mark.parametrize("target", NDJSON_TARGETS["rule_ndjson"])
def test_rule_ndjson_round_trip(run: Run, target: str) -> None:
    for rule in converted(run, target):
        (document,) = ndjson(run.outputs["rule_ndjson"] / target / f"{rule.stem}.ndjson")
        assert document["name"] == rule.title, rule.stem
        # Elastic's description has minLength 1: an empty one falls back to the name
        assert document["description"] == (rule.description or rule.title), rule.stem
        assert document["query"] == run.query(rule.stem, target), rule.stem
        if rule.stem.startswith("meta_"):
            meta = rule.document
            assert document["tags"] == meta["tags"]
            assert document["author"] == [meta["author"]]
            assert document["references"] == meta["references"]
            assert document["false_positives"] == meta["falsepositives"]


# --- Python module -----------------------------------------------------------------------------

# Top-level statements a module may have so that importing it only defines names.
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.ClassDef)


def assert_only_definitions(tree: ast.Module) -> None:
    for statement in tree.body:
        if isinstance(statement, ast.Expr):  # docstrings only
            assert isinstance(statement.value, ast.Constant), ast.dump(statement)[:200]
            continue
        assert isinstance(statement, DEFINITIONS), ast.dump(statement)[:200]
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            assert not statement.decorator_list  # a decorator runs at import
        evaluated_now: list[ast.AST] = []
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            evaluated_now = [statement]
        elif isinstance(statement, ast.FunctionDef):
            evaluated_now = [*statement.args.defaults, *statement.args.kw_defaults]  # type: ignore[list-item]
        elif isinstance(statement, ast.ClassDef):
            evaluated_now = [*statement.bases, *statement.keywords]
        for node in evaluated_now:
            calls = [n for n in ast.walk(node) if isinstance(n, (ast.Call, ast.Lambda, ast.Await))]
            assert not calls, ast.dump(statement)[:200]


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"hostile_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def canary_untouched(run: Run, module: ModuleType) -> None:
    assert not (run.rules_dir / CANARY_FILE).exists()
    assert not hasattr(builtins, CANARY_NAME)
    assert not hasattr(module, CANARY_NAME)


def matching_event(rule: Rule) -> dict[str, Any]:
    """An event the rule matches: its contains value inside other text, or its field set."""
    (selection,) = [v for k, v in rule.document["detection"].items() if k != "condition"]
    ((field, value),) = selection.items()
    if field == "CommandLine|contains":
        return {"CommandLine": f"before {value} after"}
    return {field: value}


def python_modules(run: Run) -> Iterator[tuple[Rule, Path]]:
    for rule in converted(run, "python"):
        yield rule, run.outputs["savedsearches"] / "python" / f"{rule.stem}.py"


def test_python_modules_parse_to_definitions_only(run: Run) -> None:
    checked = 0
    for _rule, path in python_modules(run):
        assert_only_definitions(ast.parse(path.read_text(encoding="utf-8")))
        checked += 1
    assert checked == len(run.rules)


def test_python_modules_run_nothing_and_hold_values_as_data(run: Run) -> None:
    for rule, path in python_modules(run):
        module = load_module(path)
        canary_untouched(run, module)
        (entry,) = module.RULES
        assert entry["title"] == rule.title
        assert entry["tags"] == rule.document.get("tags", [])
        assert entry["predicate"].__doc__ == rule.title
        assert entry["predicate"](matching_event(rule)) is True, rule.stem
        assert entry["predicate"]({"CommandLine": "unrelated", "Other": "x"}) is False, rule.stem
        canary_untouched(run, module)


def test_python_predicate_is_the_query(run: Run) -> None:
    """The module's predicate returns exactly the expression the default format prints."""
    for rule, path in python_modules(run):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        (function,) = [
            n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "rule_0"
        ]
        docstring, returned = function.body
        assert isinstance(docstring, ast.Expr) and ast.literal_eval(docstring.value) == rule.title
        assert isinstance(returned, ast.Return) and returned.value is not None
        query = ast.parse(run.query(rule.stem, "python"), mode="eval").body
        assert ast.dump(returned.value) == ast.dump(query), rule.stem
        constants = {n.value for n in ast.walk(query) if isinstance(n, ast.Constant)}
        if rule.stem.startswith("field_"):
            (field,) = [k for k in rule.document["detection"]["sel"]]
            assert field in constants  # the field name verbatim, as a string constant


# --- every written file is whole and parses ----------------------------------------------------


def test_no_temporary_files_are_left(run: Run) -> None:
    for folder in run.outputs.values():
        assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_written_artifact_parses(run: Run, fmt: str) -> None:
    """Whatever a target wrote parses, also for rules whose hostile text reached the query."""
    for path in sorted(run.outputs[fmt].rglob("*")):
        if path.suffix == ".ndjson":
            ndjson(path)
        elif path.suffix == ".conf":
            for reader in (splunkd_lines, appinspect_lines):
                conf = read_conf(reader(path.read_text(encoding="utf-8")))
                assert all(set(s) == SETTINGS for name, s in conf.items() if name)
        elif path.suffix == ".py":
            assert_only_definitions(ast.parse(path.read_text(encoding="utf-8")))


# --- field names that would end the quotes around them --------------------------------------


@pytest.mark.parametrize("profile", ["stock", "parity"])
@pytest.mark.parametrize("name", ['a" OR "b', "a\\", "a\nb"], ids=["quote", "backslash", "newline"])
def test_splunk_refuses_field_names_its_quotes_cannot_hold(
    tmp_path: Path, profile: str, name: str
) -> None:
    """pySigma quotes a field name with '"' without escaping one inside it: `"a" OR "b"="x"`
    would search two terms. Such a name is unsupported rather than a query that means
    something else."""
    rule = {
        "title": "field name",
        "id": "5d7ab1f6-1a0b-4c3e-9d8e-0000000000c1",
        "logsource": {"product": "linux"},
        "detection": {"sel": {name: "x"}, "condition": "sel"},
    }
    path = tmp_path / "r.yml"
    path.write_text(yaml.safe_dump(rule), encoding="utf-8")
    result = CliRunner().invoke(
        cli.cli, ["convert", "-t", "splunk", "--profile", profile, str(path)]
    )
    assert result.exit_code == 1
    assert "unsupported [splunk]: field name" in result.output
