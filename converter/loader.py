"""Finding rule files and reading each one once into plain YAML documents.

The YAML of a rule file is parsed once; every target rebuilds its own pySigma rule objects from
these documents (cheaper than deep-copying parsed rules, and pipelines mutate what they process).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from converter.errors import ConfigError, RuleLoadError

try:  # the C loader is ~5x faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

RULE_SUFFIXES = (".yml", ".yaml")

# Most nodes a rule document may have once its YAML aliases are expanded. The largest SigmaHQ rule
# has ~4,500; the bound only stops alias bombs ("billion laughs": a few hundred bytes of nested
# aliases that expand to 10**9 values and exhaust memory wherever the document is walked).
MAX_NODES = 1_000_000


@dataclass
class RuleSource:
    """One rule file: its YAML documents, or the error that kept it from loading."""

    path: Path
    documents: list[dict[str, Any]] = field(default_factory=list)
    error: RuleLoadError | None = None

    @property
    def stem(self) -> str:
        return self.path.stem


def find_rule_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[str]]:
    """All rule files below ``paths``, sorted per argument, and notes on what was skipped.

    A path that does not exist is a usage error; symlink loops are skipped with a note.
    """
    files: list[Path] = []
    notes: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(f"no such file or directory: {path}")
        if path.is_dir():
            files.extend(_walk(path, notes))
        else:
            files.append(path)
    return files, notes


def _walk(root: Path, notes: list[str]) -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        st = here.stat()
        if (st.st_dev, st.st_ino) in seen:
            notes.append(f"{here}: symlink loop, skipped")
            dirnames.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(RULE_SUFFIXES):
                yield here / name


def load_rule_file(path: Path) -> RuleSource:
    """Read and parse one rule file; errors are kept on the result, never raised."""
    try:
        return RuleSource(path, _parse(path, path.read_bytes()))
    except RuleLoadError as e:
        return RuleSource(path, error=e)
    except OSError as e:
        return RuleSource(path, error=RuleLoadError(f"cannot read file: {e.strerror}", path))


def _parse(path: Path, data: bytes) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad_line = data[: e.start].count(b"\n") + 1
        raise RuleLoadError(f"not UTF-8 text (byte {e.start})", path, bad_line) from e
    docs = _load_yaml(path, text)
    if not docs:
        raise RuleLoadError("empty file: no Sigma rule in it", path)
    for index, doc in enumerate(docs, 1):
        if not isinstance(doc, dict):
            kind = type(doc).__name__
            raise RuleLoadError(f"YAML document {index} is a {kind}, not a Sigma rule", path)
        size = expanded_size(doc)
        if size < 0:
            raise RuleLoadError(f"YAML document {index} contains itself (recursive alias)", path)
        if size > MAX_NODES:
            message = f"YAML document {index} expands to more than {MAX_NODES:,} YAML nodes"
            raise RuleLoadError(message + " (nested aliases?)", path)
    return docs


def _load_yaml(path: Path, text: str) -> list[Any]:
    try:
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line: int | None = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise RuleLoadError(f"invalid YAML: {problem}", path, line) from e
    except ValueError as e:  # an integer longer than int() accepts (sys.get_int_max_str_digits)
        raise RuleLoadError(f"invalid YAML: {str(e).split(':')[0]}", path) from e
    except RecursionError as e:  # the pure-Python loader on deep nesting (libyaml stops first)
        raise RuleLoadError("invalid YAML: nested too deeply", path) from e


def expanded_size(doc: Any) -> int:
    """How many nodes ``doc`` has with every alias expanded; -1 if it contains itself.

    An alias is the same Python object in every place it is used, so each container is sized
    once (memoised by identity): the cost is that of the file, not of its expansion. The walk is
    iterative, since YAML nesting may be deeper than Python's recursion limit. Sizes stop growing
    just past ``MAX_NODES``.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # containers whose children are still being sized: the current path
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        key = id(node)
        if children is None or (key in sizes and not children_done):
            continue
        if children_done:
            open_.discard(key)
            total = 1 + sum(sizes.get(id(child), 1) for child in children)
            sizes[key] = min(total, MAX_NODES + 1)
        elif key in open_:
            return -1
        else:
            open_.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children)
    return sizes.get(id(doc), 1)


def _children(node: Any) -> list[Any] | None:
    if isinstance(node, dict):
        return [item for pair in node.items() for item in pair]
    if isinstance(node, list):
        return node
    return None
