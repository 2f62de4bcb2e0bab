"""LIKE wildcards and RLIKE regular expressions of ES|QL, compiled to Python ``re`` patterns.

LIKE: ES|QL's WildcardPattern builds Lucene's WildcardQuery automaton: ``*`` any run, ``?`` one
character, ``\\`` escapes the next character (a trailing ``\\`` is a literal backslash), matched
against the whole string, case-sensitive (x-pack/plugin/esql-core/.../predicate/regex/
WildcardPattern.java; Lucene WildcardQuery.toAutomaton).

RLIKE: ES|QL's RLikePattern builds ``new RegExp(pattern, RegExp.ALL | DEPRECATED_COMPLEMENT)``,
Lucene's own regular-expression language (not Java's): matched against the whole string, ``.``
is any character (newline included), ``^`` and ``$`` are ordinary characters, ``"..."`` quotes a
literal string, ``@`` is any string, ``#`` the empty language, and ``\\d \\s \\w`` (with their
upper-case complements) are character classes (RLikePattern.java; Lucene RegExp javadoc;
https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax). Complement
``~``, intersection ``&`` and numeric intervals ``<n-m>`` are operators too: patterns are
matched by the shared Lucene RegExp model (converter/engines/lucene_regexp.py). Lucene reads any
other character literally where an atom is expected, so PCRE-only syntax such as ``(?i)`` or
``(?:`` is accepted and means literal characters (trap T7).
"""

from __future__ import annotations

import re
from functools import cache

from converter.engines import lucene_regexp


@cache
def like_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


@cache
def rlike(pattern: str) -> lucene_regexp.Node:
    """The Lucene RegExp of an RLIKE pattern (the shared model, flags ALL); RegexpSyntaxError (a
    ValueError) where Lucene would throw."""
    return lucene_regexp.parse(pattern)


def rlike_matches(pattern: str, text: str) -> bool:
    return lucene_regexp.fullmatch(rlike(pattern), text)
