"""EQL wildcard patterns, compiled to Python ``re`` for evaluation.

Wildcards (``:``, ``like``): ``*`` any run, ``?`` one character, over the whole value; a backslash
is a literal character, so ``*`` and ``?`` cannot be escaped (Elasticsearch
x-pack/plugin/eql/.../util/StringUtils.toLikePattern; eql-syntax.md "Wildcards").

Regular expressions (``regex``, ``regex~``) use the shared Lucene RegExp model,
converter/engines/lucene_regexp.py, which covers Lucene's whole syntax (``~ & @ # <n-m>``).
"""

from __future__ import annotations

import re
from functools import cache


@cache
def wildcard(pattern: str, insensitive: bool) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if insensitive else 0))
