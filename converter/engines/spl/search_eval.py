"""Evaluate a parsed search expression against one event (or one result row).

Field values match case-insensitively over the whole value with ``*`` as the only wildcard;
field names are case-sensitive; bare terms and phrases look in ``_raw``. A comparison on a
field the event lacks is false, so ``NOT f=x`` is true there while ``f!=x`` is false (the Search
Manual's "Difference between != and NOT").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from converter.engines.spl import nodes
from converter.engines.spl import openpoints as op
from converter.engines.spl.values import (
    cidr_network,
    compare,
    field_values,
    glob_regex,
    has_unknown_escape,
    in_network,
    present_values,
    term_regex,
)

Row = Mapping[str, Any]


def value_matches(value: nodes.Value, candidate: str) -> bool:
    """``field=value`` against one value of the field."""
    network = None if value.case_sensitive else cidr_network(value.text)
    if network is not None:
        return in_network(candidate, network)
    return glob_regex(value.text, value.case_sensitive).match(candidate) is not None


def _equals(row: Row, field: str, value: nodes.Value) -> bool:
    if value.text == "*":
        return bool(present_values(row, field))
    return any(value_matches(value, candidate) for candidate in field_values(row, field))


def _compare(row: Row, node: nodes.Compare) -> bool:
    if node.op == "=":
        return _equals(row, node.field, node.value)
    present = present_values(row, node.field)
    if node.op == "!=":
        return bool(present) and not _equals(row, node.field, node.value)
    return any(compare(candidate, node.op, node.value.text) for candidate in present)


def _term(row: Row, value: nodes.Value) -> bool:
    if value.text == "*":
        return True  # a lone asterisk asks for every event
    pattern = term_regex(value.text, value.case_sensitive, value.whole_term)
    return any(pattern.search(raw) for raw in field_values(row, "_raw"))


def evaluate(node: nodes.Node, row: Row) -> bool:
    if isinstance(node, nodes.And):
        return all(evaluate(operand, row) for operand in node.operands)
    if isinstance(node, nodes.Or):
        return any(evaluate(operand, row) for operand in node.operands)
    if isinstance(node, nodes.Not):
        return not evaluate(node.operand, row)
    if isinstance(node, nodes.Compare):
        return _compare(row, node)
    if isinstance(node, nodes.InList):
        return any(_equals(row, node.field, value) for value in node.values)
    return _term(row, node.value)


def _walk(node: nodes.Node, negated: bool = False) -> Iterator[tuple[nodes.Node, bool]]:
    yield node, negated
    if isinstance(node, nodes.And | nodes.Or):
        for operand in node.operands:
            yield from _walk(operand, negated)
    elif isinstance(node, nodes.Not):
        yield from _walk(node.operand, not negated)


def _values(node: nodes.Node) -> list[nodes.Value]:
    if isinstance(node, nodes.Compare | nodes.Term):
        return [node.value]
    return list(node.values) if isinstance(node, nodes.InList) else []


def assumptions(node: nodes.Node, source: str) -> set[str]:
    """The open points a search expression's answers depend on."""
    found: set[str] = set()
    for sub, negated in _walk(node):
        for value in _values(sub):
            if value.quoted and has_unknown_escape(value.raw[1:-1]):
                found.add(op.UNKNOWN_ESCAPE.key)
            if value.text in ("*", "") and not isinstance(sub, nodes.Term):
                found.add(op.EMPTY_VALUE.key)
        if isinstance(sub, nodes.Term) and sub.value.text != "*":
            found.add(op.TERM_BREAKERS.key)
        if isinstance(sub, nodes.Compare) and sub.op == "!=":
            found |= {op.EMPTY_VALUE.key, op.MULTIVALUE_NEGATION.key}
        if isinstance(sub, nodes.Compare) and sub.op in ("<", "<=", ">", ">="):
            found.add(op.COMPARE_ORDER.key)
        if negated and isinstance(sub, nodes.Compare | nodes.InList):
            found.add(op.MULTIVALUE_NEGATION.key)
    if '"=' in source or '"!=' in source or '" IN' in source:
        found |= _quoted_field_names(node)
    return found


def _quoted_field_names(node: nodes.Node) -> set[str]:
    for sub, _ in _walk(node):
        if isinstance(sub, nodes.Compare | nodes.InList) and not _plain_name(sub.field):
            return {op.QUOTED_FIELD_NAME.key}
    return set()


def _plain_name(field: str) -> bool:
    return all(char.isalnum() or char in "_." for char in field)
