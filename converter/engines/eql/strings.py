"""EQL string and identifier literals: the unescaping Elasticsearch applies after lexing.

Sources: eql-syntax.md "Strings", "Escape characters in a string", "Raw strings", "Escape a field
name"; the lexer rule STRING of EqlBase.g4 (escapes ``\\[btnfr"'\\]`` and ``\\u{hex}``).
"""

from __future__ import annotations

from converter.engines.base import QueryRejected

_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def unquote_string(token: str) -> str:
    """The value of a STRING token; refuses single quotes and ``?"..."`` as Elasticsearch does."""
    if token.startswith('"""'):
        return token[3:-3]
    if token.startswith(("'", "?")):
        raise QueryRejected(
            f'strings must be enclosed in double quotes (or """raw"""): {token[:20]}'
        )
    return _unescape(token[1:-1])


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
        elif body[i + 1] == "u":
            end = body.index("}", i)
            out.append(_unicode(body[i + 3 : end]))
            i = end + 1
        else:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
    return "".join(out)


def _unicode(digits: str) -> str:
    # eql-syntax.md: "The hexadecimal value can be 2-8 characters".
    if not 2 <= len(digits) <= 8:
        raise QueryRejected(f"unicode escape needs 2 to 8 hex digits: \\u{{{digits}}}")
    code = int(digits, 16)
    if code > 0x10FFFF:
        raise QueryRejected(f"invalid unicode code point: \\u{{{digits}}}")
    return chr(code)


def unquote_identifier(token: str) -> str:
    """A back-quoted field name; a doubled back-quote stands for one."""
    return token[1:-1].replace("``", "`")
