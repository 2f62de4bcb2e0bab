"""Sigma matching helpers that the predicates of the ``python`` target call.

The source text of this module is embedded verbatim into every module the target renders, so it
stays self-contained: standard-library imports only, no ``from __future__`` line, no relative
imports, and nothing runs at import time but definitions. Compiled patterns are cached on first
use, so each pattern is compiled once per module load, not once per event.

An event is a mapping of field name to value (str, int, float, bool, None, or a list of those).
The meaning is the Sigma specification as pySigma implements it (docs: DESIGN.md "Semantic
decisions", research/SEMANTICS.md section 1):

* A field is present when it holds a non-null value; a list counts when any element does. So
  ``null`` in a rule and ``exists: false`` both mean "absent", and an atom on an absent field is
  false (``not selection`` is then true).
* A list value matches when any element matches.
* String patterns are globs over the whole value: ``*`` any run of characters (newlines too),
  ``?`` exactly one character, and a backslash makes the next character literal (the backend has
  already resolved Sigma's own escaping into this form). Matching ignores case unless the rule
  says ``|cased``: ``str.lower`` on both sides for ASCII text, Python's ``re.IGNORECASE`` folding
  beyond it (final sigma matches capital sigma, long s matches S).
* Numbers, booleans and strings are compared through their string forms (``4688``, ``true``), so
  ``EventID: 4688`` matches both ``4688`` and ``"4688"``; a rule number also equals a numeric
  event value of the same amount (``4688.0``).
* ``|re`` is Python ``re``, searched anywhere in the value, case-sensitive unless flag ``i``.
* ``|gt`` and friends compare numerically; a value that is not a decimal number never matches.
* Keywords (values without a field) match when the glob matches any scalar value of the event,
  including values inside lists and nested mappings.
"""

import ipaddress
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

_Event = Mapping[str, Any]
_Matcher = Callable[[str], bool]
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCALARS = (str, int, float)  # bool is an int

_MATCHERS: dict[tuple[str, bool], _Matcher] = {}
_REGEXES: dict[tuple[str, str], re.Pattern[str]] = {}
_NETWORKS: dict[str, _Network] = {}
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_COMPARISONS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "!=": operator.ne,
}
_DECIMAL = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_FIELDREF_TESTS: dict[str, Callable[[str, str], bool]] = {
    "equals": str.__eq__,
    "startswith": str.startswith,
    "endswith": str.endswith,
    "contains": str.__contains__,
}


# --- event values ----------------------------------------------------------------------------


def _flatten(items: Any, out: list[Any]) -> list[Any]:
    """Append the non-null scalars of a list to out (nested lists flattened, mappings skipped)."""
    for item in items:
        if isinstance(item, (list, tuple)):
            _flatten(item, out)
        elif item is not None and not isinstance(item, Mapping):
            out.append(item)
    return out


def _values(event: _Event, field: str) -> tuple[Any, ...]:
    """The scalar values a field holds in an event: none when the field is absent or null."""
    value = event.get(field)
    if value is None:
        return ()
    if isinstance(value, _SCALARS):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(_flatten(value, []))
    return () if isinstance(value, Mapping) else (value,)


def _present(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_present(item) for item in value)
    return value is not None


def _texts(value: Any, out: list[str]) -> list[str]:
    """Append the string form of every scalar in a mapping or list, nested ones included."""
    for item in value.values() if isinstance(value, Mapping) else value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, (list, tuple, Mapping)):
            _texts(item, out)
        elif item is not None:
            out.append(_text(item))
    return out


def _text(value: Any) -> str:
    """The string form a value is matched by: booleans as JSON spells them, numbers as str()."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> int | float | None:
    """The numeric value of an event value, or None when it is not a (decimal) number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not _regex_for(_DECIMAL, "").fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


# --- globs -----------------------------------------------------------------------------------


def _glob_tokens(pattern: str) -> list[tuple[bool, str]]:
    """Split a glob into (is_wildcard, text) tokens; consecutive ``*`` collapse into one."""
    tokens: list[tuple[bool, str]] = []
    literal = ""
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            literal += next(chars, "\\")
        elif char in "*?":
            if literal:
                tokens.append((False, literal))
                literal = ""
            if not (char == "*" and tokens and tokens[-1] == (True, "*")):
                tokens.append((True, char))
        else:
            literal += char
    if literal:
        tokens.append((False, literal))
    return tokens


def _same(value: str) -> str:
    return value


def _simple_matcher(tokens: list[tuple[bool, str]], fold: Callable[[str], str]) -> _Matcher | None:
    """A str-method matcher for the common shapes (exact, prefix, suffix, infix, anything)."""
    shape = "".join(text if wild else "L" for wild, text in tokens)
    lit = next((text for wild, text in tokens if not wild), "")
    if shape in ("", "L"):
        return lambda value: fold(value) == lit
    if shape == "*":
        return lambda value: True
    if shape == "L*":
        return lambda value: fold(value).startswith(lit)
    if shape == "*L":
        return lambda value: fold(value).endswith(lit)
    if shape == "*L*":
        return lambda value: lit in fold(value)
    return None


def _glob_regex(tokens: list[tuple[bool, str]]) -> re.Pattern[str]:
    wildcards = {"*": ".*", "?": "."}
    body = "".join(wildcards[text] if wild else re.escape(text) for wild, text in tokens)
    return re.compile(body, re.DOTALL)


def _compile_glob(pattern: str, cased: bool) -> _Matcher:
    if cased:
        return _compile_folded(pattern, _same)
    ascii_only = _compile_folded(pattern, str.lower)
    if not pattern.isascii():  # str.lower is not re's case folding beyond ASCII
        return _unicode_matcher(pattern)
    unicode = _unicode_matcher(pattern)
    return lambda value: ascii_only(value) if value.isascii() else unicode(value)


def _compile_folded(pattern: str, fold: Callable[[str], str]) -> _Matcher:
    tokens = _glob_tokens(fold(pattern))
    simple = _simple_matcher(tokens, fold)
    if simple is not None:
        return simple
    compiled = _glob_regex(tokens)
    return lambda value: compiled.fullmatch(fold(value)) is not None


def _unicode_matcher(pattern: str) -> _Matcher:
    """Case-insensitive as Python's re.IGNORECASE (simple case folding plus its extra cases),
    the meaning the Sigma value has everywhere in sigma-parity."""
    compiled = re.compile(_glob_regex(_glob_tokens(pattern)).pattern, re.DOTALL | re.IGNORECASE)
    return lambda value: compiled.fullmatch(value) is not None


def _matcher(pattern: str, cased: bool = False) -> _Matcher:
    """The cached matcher of a glob pattern."""
    key = (pattern, cased)
    found = _MATCHERS.get(key)
    if found is None:
        found = _MATCHERS[key] = _compile_glob(pattern, cased)
    return found


def _regex_for(pattern: str, flags: str) -> re.Pattern[str]:
    """The cached compiled regular expression; flags is a string of Sigma flag letters (ims)."""
    key = (pattern, flags)
    found = _REGEXES.get(key)
    if found is None:
        bits = 0
        for flag in flags:
            bits |= _REGEX_FLAGS[flag]
        found = _REGEXES[key] = re.compile(pattern, bits)
    return found


# --- value tests -----------------------------------------------------------------------------


def _equals_number(value: Any, number: int | float) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == number
    return _text(value) == _text(number)


def _matches(found: tuple[Any, ...], expected: str | int | float | bool, cased: bool) -> bool:
    """Whether any found value matches one rule value (a glob, a number or a boolean)."""
    if not found:
        return False
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return any(_equals_number(value, expected) for value in found)
    matcher = _matcher(_text(expected), cased)
    return any(matcher(_text(value)) for value in found)


def _in_network(value: Any, network: _Network) -> bool:
    if not isinstance(value, str):
        return False
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return address.version == network.version and address in network


def _network(cidr: str) -> _Network:
    found = _NETWORKS.get(cidr)
    if found is None:
        found = _NETWORKS[cidr] = ipaddress.ip_network(cidr, strict=False)
    return found


# --- the atoms generated predicates call -----------------------------------------------------


def _match(event: _Event, field: str, expected: str | int | float | bool) -> bool:
    """Field matches a glob (case-insensitive), a number or a boolean."""
    return _matches(_values(event, field), expected, False)


def _match_cased(event: _Event, field: str, pattern: str) -> bool:
    """Field matches a glob, case-sensitively (``|cased``)."""
    return _matches(_values(event, field), pattern, True)


def _match_any(event: _Event, field: str, expected: tuple[str | int | float | bool, ...]) -> bool:
    """Field matches at least one of the rule values (a value list)."""
    found = _values(event, field)
    return bool(found) and any(_matches(found, item, False) for item in expected)


def _match_all(event: _Event, field: str, expected: tuple[str | int | float | bool, ...]) -> bool:
    """Field matches every one of the rule values (``|all``)."""
    found = _values(event, field)
    return bool(found) and all(_matches(found, item, False) for item in expected)


def _regex(event: _Event, field: str, pattern: str, flags: str = "") -> bool:
    """Field matches a regular expression anywhere (``|re``, flags ``i``, ``m``, ``s``)."""
    compiled = _regex_for(pattern, flags)
    return any(compiled.search(_text(value)) for value in _values(event, field))


def _cidr(event: _Event, field: str, cidr: str) -> bool:
    """Field holds an IP address inside the network (``|cidr``)."""
    network = _network(cidr)
    return any(_in_network(value, network) for value in _values(event, field))


def _compare(event: _Event, field: str, op: str, number: int | float) -> bool:
    """Field holds a number that compares to the rule number (``|gt`` ``|gte`` ``|lt`` ...)."""
    test = _COMPARISONS[op]
    numbers = (_number(value) for value in _values(event, field))
    return any(found is not None and test(found, number) for found in numbers)


def _fieldref(
    event: _Event, field: str, other: str, mode: str = "equals", cased: bool = False
) -> bool:
    """Field equals (starts with, ends with, contains) another field's value (``|fieldref``)."""
    fold = _same if cased else str.lower
    left = [fold(_text(value)) for value in _values(event, field)]
    right = [fold(_text(value)) for value in _values(event, other)]
    test = _FIELDREF_TESTS[mode]
    return any(test(mine, theirs) for mine in left for theirs in right)


def _exists(event: _Event, field: str) -> bool:
    """Field is present: it holds a value other than null (``|exists: true``)."""
    return _present(event.get(field))


def _absent(event: _Event, field: str) -> bool:
    """Field is absent or null (``field: null``, ``|exists: false``)."""
    return not _present(event.get(field))


def _keyword(event: _Event, pattern: str, cased: bool = False) -> bool:
    """A glob matches some value anywhere in the event (keyword search)."""
    matcher = _matcher(pattern, cased)
    return any(matcher(text) for text in _texts(event, []))


def _keyword_regex(event: _Event, pattern: str, flags: str = "") -> bool:
    """A regular expression matches some value anywhere in the event."""
    compiled = _regex_for(pattern, flags)
    return any(compiled.search(text) for text in _texts(event, []))
