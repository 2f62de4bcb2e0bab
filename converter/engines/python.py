"""The python target's "engine": its emitted expression, compiled and run on the runtime helpers.

The query is a Python expression over ``event`` that calls the helpers of converter.pyruntime,
exactly as the generated module does; evaluating it here is running the target itself. It is
compiled with no builtins in scope, so an expression can only reach those helpers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, ClassVar

from converter import pyruntime
from converter.engines.base import CompiledQuery, Engine, Event, QueryRejected

# The names a predicate may use: the runtime's helpers, nothing else.
_NAMESPACE: dict[str, Any] = {
    name: value for name, value in vars(pyruntime).items() if callable(value) and name[0] == "_"
}


@dataclass
class PythonQuery(CompiledQuery):
    code: CodeType | None = field(default=None, repr=False)

    def matches(self, event: Event) -> bool:
        assert self.code is not None
        scope = {"__builtins__": {}, **_NAMESPACE}
        return bool(eval(self.code, scope, {"event": event}))


class PythonEngine(Engine):
    key: ClassVar[str] = "python"
    language: ClassVar[str] = "Python predicate"

    def compile(self, query: str) -> CompiledQuery:
        try:
            tree = ast.parse(query, "<python target>", "eval")
        except SyntaxError as e:
            raise QueryRejected(f"not a Python expression: {e.msg} (column {e.offset})") from e
        unknown = sorted(
            {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"event", *_NAMESPACE}
        )
        if unknown:
            raise QueryRejected(f"names outside the runtime: {', '.join(unknown)}")
        return PythonQuery(query, code=compile(tree, "<python target>", "eval"))
