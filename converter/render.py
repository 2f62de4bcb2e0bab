"""Render deployable artifacts: Jinja2 templates under templates/ wrap finished queries.

The environment is sandboxed, has ``StrictUndefined`` (a misspelt variable is an error, not an
empty string) and no autoescaping: every value is encoded for its format by a filter instead.

Filters
    ``json``
        ``json.dumps`` with ``ensure_ascii=False``; U+2028 and U+2029 are written as ``\\u2028``
        and ``\\u2029`` so that no line-splitter (JavaScript's included) sees a line break inside
        a value. No HTML escaping: ``<``, ``>``, ``&`` and ``'`` stay as they are.
    ``ndjson``
        For ``{% filter ndjson %}`` blocks: parses the block as one JSON document and writes it
        back on a single line, so a template can lay an object out over several lines and the
        output is still exactly one valid JSON object per line (a template mistake fails here).
    ``conf``
        Encodes a setting value for a Splunk .conf file (see :func:`conf_value`).
    ``pyrepr``
        ``repr`` of str/int/None/lists of them only (converter.targets.python.pyrepr).

Template variables: ``rules`` (list of dicts from :func:`converter.artifacts.rule_contexts`),
``target`` (the target key), ``language`` (the target's language name), ``version``
(``converter.__version__``), ``index`` (the index patterns), ``data_view_id``, ``data_view_title``
and ``runtime_source`` (the text of converter/pyruntime.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

import converter
from converter.artifacts import data_view_id, rule_contexts
from converter.errors import TemplateRenderError
from converter.results import RuleResult
from converter.targets.base import Format, Target
from converter.targets.python import pyrepr

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
RUNTIME_MODULE = Path(__file__).resolve().parent / "pyruntime.py"


def json_text(value: Any) -> str:
    """``value`` as JSON text, non-ASCII kept, on one line."""
    encoded = json.dumps(value, ensure_ascii=False)
    return encoded.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def ndjson_line(block: str) -> str:
    """A JSON document laid out over several lines, re-encoded on one line."""
    return json_text(json.loads(block))


def conf_value(value: Any) -> str:
    """A setting value encoded for a Splunk .conf file (``key = <this>``).

    The rules, from the .conf spec files (savedsearches.conf.spec, checklist.conf.spec,
    searchbnf.conf.spec, user-seed.conf.spec):

    * A line that ends with a backslash continues on the next line, so each line break of the
      value is written as ``\\`` + line break (and a value line that itself ends with a
      backslash keeps it: the last backslash of a physical line is the continuation marker).
    * The reader drops a value's trailing whitespace, line breaks included, so a value cannot
      carry leading or trailing whitespace: both are trimmed. CR LF and lone CR count as line
      breaks (written as LF).
    * A value whose last character is a backslash is followed by a continuation backslash and
      an empty line: the continued value ends in a line break, which the reader drops. Splunk's
      own files write a kept backslash before a continuation this way (searchbnf.conf:
      ``\\p\\\\`` at line ends). user-seed.conf.spec suggests a trailing space instead, but
      Splunk AppInspect's .conf parser treats backslash + whitespace at a line end as a
      continuation too, and would then read the next setting into this value.
    """
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    encoded = "\\\n".join(lines)
    return encoded + "\\\n" if encoded.endswith("\\") else encoded


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    """The (cached) Jinja2 environment for templates/."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["json"] = json_text
    env.filters["ndjson"] = ndjson_line
    env.filters["conf"] = conf_value
    env.filters["pyrepr"] = pyrepr
    return env


@lru_cache(maxsize=1)
def _runtime_source() -> str:
    return RUNTIME_MODULE.read_text(encoding="utf-8")


def artifact_context(
    target: Target, results: list[RuleResult], index_patterns: Sequence[str]
) -> dict[str, Any]:
    """The template variables for ``results`` converted for ``target``."""
    index = list(index_patterns) or list(target.index_patterns)
    return {
        "rules": rule_contexts(results, target.key, index),
        "target": target.key,
        "language": target.language,
        "version": converter.__version__,
        "index": index,
        "data_view_id": data_view_id(index),
        "data_view_title": ",".join(index),
        "runtime_source": _runtime_source(),
    }


def render_artifact(
    target: Target, fmt: Format, results: list[RuleResult], index_patterns: Sequence[str]
) -> str:
    """Render ``fmt``'s template for the converted ``results`` (others are left out)."""
    if fmt.template is None:
        raise ValueError(f"format {fmt.name!r} of target {target.key!r} has no template")
    context = artifact_context(target, results, index_patterns)
    try:
        return environment().get_template(fmt.template).render(context)
    except (TemplateError, ValueError) as e:
        raise TemplateRenderError(f"{fmt.template}: {e}", TEMPLATES_DIR / fmt.template) from e
