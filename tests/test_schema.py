"""The field-type schema: built-in ECS, a GET <index>/_mapping, and --schema in convert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from converter.cli import cli
from converter.errors import ConfigError
from converter.schema.model import Schema, ecs_schema

# The shape of GET <index>/_mapping (Elasticsearch "Get mapping" API): index -> mappings ->
# properties, with object sub-properties and multi-fields under "fields".
MAPPING = {
    "logs-a": {
        "mappings": {
            "properties": {
                "process": {
                    "properties": {
                        "command_line": {
                            "type": "text",
                            "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
                        },
                        "name": {"type": "keyword", "normalizer": "lowercase"},
                    }
                },
                "source": {"properties": {"ip": {"type": "ip"}}},
                "event": {"type": "object", "properties": {"code": {"type": "keyword"}}},
            }
        }
    },
    "logs-b": {"mappings": {"properties": {"source": {"properties": {"port": {"type": "long"}}}}}},
}


def test_mapping_flattens_objects_and_multi_fields() -> None:
    schema = Schema.from_mapping(MAPPING)
    assert schema.names() == [
        "event.code",
        "process.command_line",
        "process.command_line.keyword",
        "process.name",
        "source.ip",
        "source.port",
    ]
    assert schema.field("process.command_line").is_text
    keyword = schema.field("process.command_line.keyword")
    assert keyword.is_keyword and keyword.ignore_above == 256
    assert schema.field("process.name").normalizer == "lowercase"
    assert schema.field("source.port").is_numeric


def test_unknown_fields_count_as_keyword() -> None:
    spec = Schema.from_mapping(MAPPING).field("no.such.field")
    assert spec.is_keyword and not spec.known


def test_builtin_ecs_types() -> None:
    schema = ecs_schema()
    assert schema.field("process.command_line").type == "wildcard"
    assert schema.field("process.executable.caseless").normalizer == "lowercase"
    assert schema.field("source.ip").type == "ip"
    assert schema.field("process.name.caseless").ignore_above == 1024


# ECS "Process fields" (https://www.elastic.co/docs/reference/ecs/ecs-process): executable and
# name are keyword, reused under process.parent; ECS keyword fields set ignore_above 1024. The
# .caseless multi-fields index these parents' values, so the parents must be in the schema.
# ECS defines no target.process field set: those names stay unmapped.
ECS_PARENTS = [
    ("process.executable", True),
    ("process.name", True),
    ("process.parent.executable", True),
    ("process.parent.name", True),
    ("target.process.executable", False),
    ("target.process.name", False),
]


@pytest.mark.parametrize(("name", "known"), ECS_PARENTS, ids=[n for n, _ in ECS_PARENTS])
def test_builtin_ecs_caseless_parents(name: str, known: bool) -> None:
    schema = ecs_schema()
    spec = schema.field(name)
    assert schema.has(name) is known
    assert schema.has(f"{name}.caseless")  # the multi-field is mapped either way
    assert spec.type == "keyword" and spec.normalizer is None
    assert spec.ignore_above == (1024 if known else None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read index mapping"),
        ("[]", "JSON object of indices"),
        ('{"i": {"settings": {}}}', "has no 'mappings' object"),
    ],
    ids=["bad-json", "not-an-object", "no-mappings"],
)
def test_bad_mapping_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        Schema.load(path)


RULE = """
title: encoded powershell
id: 7a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b
logsource: {product: windows, category: process_creation}
detection:
  selection: {CommandLine|contains: ' -enc '}
  condition: selection
"""


def test_schema_flag_changes_what_targets_can_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a text-typed command line, KQL patterns match single tokens and EQL refuses `:` (the
    stock profile); the parity profile uses the mapping's keyword multi-field instead."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rule.yml").write_text(RULE)
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING))
    runner = CliRunner()
    builtin = runner.invoke(cli, ["convert", "-t", "eql", "rule.yml"])
    assert builtin.exit_code == 0, builtin.output
    custom = ["--schema", "mapping.json", "--profile", "stock", "rule.yml"]
    eql = runner.invoke(cli, ["convert", "-t", "eql", *custom])
    assert eql.exit_code == 1 and "rejected by eql" in eql.stderr and "text" in eql.stderr
    kql = runner.invoke(cli, ["convert", "-t", "kql", *custom])
    assert kql.exit_code == 1 and "unsupported [kql]" in kql.stderr and "text" in kql.stderr
    parity = runner.invoke(cli, ["convert", "-t", "eql", "--schema", "mapping.json", "rule.yml"])
    assert parity.exit_code == 0 and 'process.command_line.keyword : "* -enc *"' in parity.stdout
    bad = runner.invoke(cli, ["convert", "-t", "eql", "--schema", "rule.yml", "rule.yml"])
    assert bad.exit_code == 2 and "cannot read index mapping" in bad.output
