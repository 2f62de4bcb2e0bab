"""The KQL grammar for lark, written from Kibana's kuery grammar (a PEG, peggy).

Source: elastic/kibana src/platform/packages/shared/kbn-es-query/src/kuery/grammar/grammar.peggy
(read, not copied). PEG semantics that a context-free grammar does not have are put into the
terminals, so the LALR parser sees a token stream that the PEG would have produced:

* Whitespace is significant. ``or``/``and`` need whitespace on both sides and ``not`` after it
  (rules Or, And, Not); elsewhere optional whitespace (``Space*``) is folded into the neighbouring
  punctuation token, so no whitespace token can be read two ways.
* An unquoted literal is one terminal: any character except the special ones
  ``\\ ( ) : < > " * { }``, the backslash escapes, and ``*``; it may contain whitespace but stops
  before `` or ``/`` and `` and ``not `` (rule Keyword, a negative lookahead: so ``f:cannot open``
  stops after ``can``, as in Kibana).
* PEG repetition never backtracks: quoted strings and unquoted literals use atomic groups and
  possessive repetition (``"a\\"`` stays unterminated, as in Kibana).
* Ordered choice: ``\\n`` is an escaped newline before it is an escaped keyword, so ``\\not`` reads
  as a newline and ``ot`` (rule UnquotedCharacter tries EscapedWhitespace first).
"""

from __future__ import annotations

# Rule Space: space, tab, CR, LF and no-break space.
SPACE = "[ \\t\\r\\n\\u00a0]"
SPECIAL = '[\\\\():<>"*{}]'  # rule SpecialCharacter
_ESCAPES = (
    "\\\\[trn]",  # EscapedWhitespace
    '\\\\[\\\\():<>"*{}]',  # EscapedSpecialCharacter
    "\\\\u[0-9a-fA-F]{4}",  # EscapedUnicodeSequence ("u" is lower-case only)
    "\\\\(?i:or|and|not)",  # EscapedKeyword
    "\\*",  # Wildcard
)
_KEYWORD_AHEAD = f"(?!{SPACE}(?i:or|and){SPACE})(?!(?i:not){SPACE})"
_PLAIN = f"(?!{SPECIAL}){_KEYWORD_AHEAD}[\\s\\S]"
UNQUOTED_CHAR = "(?>" + "|".join((*_ESCAPES, _PLAIN)) + ")"
# The literal cannot start with raw whitespace: the token before it has taken that (Space*).
UNQUOTED = f"(?!{SPACE}){UNQUOTED_CHAR}++"
QUOTED_CHAR = '(?>\\\\[trn]|\\\\u[0-9a-fA-F]{4}|\\\\[\\\\"]|[^"])'  # rule QuotedCharacter
QUOTED = f'"{QUOTED_CHAR}*+"'


def _regex(pattern: str) -> str:
    # lark rewrites a backslash-quote pair inside /.../, so quotes are spelled \x22
    return "/" + pattern.replace("/", "\\/").replace('"', "\\x22") + "/"


_TERMINALS = {
    "_OR.3": f"{SPACE}+(?i:or){SPACE}+",
    "_AND.3": f"{SPACE}+(?i:and){SPACE}+",
    "_NOT.3": f"(?i:not){SPACE}+",
    "_RPAR.2": SPACE + "*\\)",
    "_RBRACE.2": SPACE + "*\\}",
    "_LPAR": "\\(" + SPACE + "*",
    "_LBRACE": "\\{" + SPACE + "*",
    "_COLON": f"{SPACE}*:{SPACE}*",
    "RANGE_OP": f"{SPACE}*(?:<=|>=|<|>){SPACE}*",
    "QUOTED": QUOTED,
    "UNQUOTED": UNQUOTED,
    "_WS": f"{SPACE}+",
}

_RULES = """
start: _WS? [or_query _WS?]

?or_query: and_query (_OR and_query)*
?and_query: not_query (_AND not_query)*
?not_query: _NOT sub_query -> negation
          | sub_query
?sub_query: _LPAR or_query _RPAR
          | nested
          | range
          | field_value
          | bare_value
nested: literal _COLON _LBRACE or_query _RBRACE
range: literal RANGE_OP literal
field_value: literal _COLON list_of_values
bare_value: literal

?list_of_values: _LPAR or_values _RPAR
               | literal
?or_values: and_values (_OR and_values)*
?and_values: not_values (_AND not_values)*
?not_values: _NOT list_of_values -> value_negation
           | list_of_values

literal: QUOTED | UNQUOTED
"""

GRAMMAR = _RULES + "".join(f"{name}: {_regex(p)}\n" for name, p in _TERMINALS.items())
