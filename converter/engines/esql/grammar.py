"""The ES|QL grammar (lark, LALR with a contextual lexer) and the parse entry point.

Written from Elasticsearch's ANTLR grammars (x-pack/plugin/esql/src/main/antlr: EsqlBaseLexer.g4,
lexer/Expression.g4, EsqlBaseParser.g4, parser/Expression.g4) and the ES|QL syntax page
(https://www.elastic.co/docs/reference/query-languages/esql/esql-syntax). The ANTLR lexer is
modal (FROM, PROJECT, RENAME, ENRICH, EXPRESSION modes); lark's contextual lexer plays that part:
in each parser state it only tries the terminals that state accepts, so index patterns, ``keep``
patterns and expression identifiers can each have their own terminal. Keywords are
case-insensitive (the lexer is generated with ``caseInsensitive=true``).
"""

from __future__ import annotations

from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput

from converter.engines.base import QueryRejected

GRAMMAR = r'''
start: source_cmd (_PIPE processing_cmd)*

?source_cmd: from_cmd | row_cmd | show_cmd
from_cmd: (_FROM | _TS) index_pattern ("," index_pattern)* metadata?
index_pattern: SOURCE | STRING
metadata: _METADATA SOURCE ("," SOURCE)*
row_cmd: _ROW fields
show_cmd: _SHOW _INFO

?processing_cmd: where_cmd | eval_cmd | keep_cmd | drop_cmd | rename_cmd | limit_cmd
    | sort_cmd | stats_cmd | inline_stats_cmd | mv_expand_cmd | dissect_cmd | grok_cmd
    | enrich_cmd | lookup_join_cmd | completion_cmd | sample_cmd | fork_cmd | change_point_cmd
where_cmd: _WHERE bool_expr
eval_cmd: _EVAL fields
keep_cmd: _KEEP name_patterns
drop_cmd: _DROP name_patterns
rename_cmd: _RENAME rename_clause ("," rename_clause)*
rename_clause: name_pattern _AS name_pattern -> rename_as
    | name_pattern "=" name_pattern -> rename_assign
limit_cmd: _LIMIT constant
sort_cmd: _SORT order_expr ("," order_expr)*
order_expr: bool_expr (ASC | DESC)? (_NULLS (FIRST | LAST))?
stats_cmd: _STATS agg_fields? (_BY fields)?
inline_stats_cmd: (_INLINE _STATS | _INLINESTATS) agg_fields (_BY fields)?
agg_fields: agg_field ("," agg_field)*
agg_field: field (_WHERE bool_expr)?
mv_expand_cmd: _MV_EXPAND qualified_name
dissect_cmd: _DISSECT primary string (dissect_option ("," dissect_option)*)?
dissect_option: NAME "=" constant
grok_cmd: _GROK primary string ("," string)*
enrich_cmd: _ENRICH POLICY (_ON name_pattern)? (_WITH enrich_with ("," enrich_with)*)?
enrich_with: (name_pattern "=")? name_pattern
lookup_join_cmd: _LOOKUP _JOIN SOURCE _ON bool_expr ("," bool_expr)*
completion_cmd: _COMPLETION (qualified_name "=")? primary (_WITH map_expr)?
sample_cmd: _SAMPLE constant
fork_cmd: _FORK fork_branch+
fork_branch: "(" processing_cmd (_PIPE processing_cmd)* ")"
change_point_cmd: _CHANGE_POINT qualified_name (_ON qualified_name)? change_point_as?
change_point_as: _AS qualified_name "," qualified_name

fields: field ("," field)*
field: (qualified_name "=")? bool_expr

name_patterns: name_pattern ("," name_pattern)*
name_pattern: ID_PATTERN ("." ID_PATTERN)*

?bool_expr: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: NOT not_expr -> not_
    | predicate
?predicate: value_expr
    | value_expr NOT? _LIKE string -> like
    | value_expr NOT? _LIKE "(" string ("," string)* ")" -> like
    | value_expr NOT? _RLIKE string -> rlike
    | value_expr NOT? _RLIKE "(" string ("," string)* ")" -> rlike
    | value_expr NOT? _IN "(" value_expr ("," value_expr)* ")" -> in_
    | value_expr _IS NOT? _NULL -> is_null
    | op_expr ":" constant -> match_op

?value_expr: op_expr
    | op_expr COMP_OP op_expr -> compare
COMP_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"

?op_expr: term
    | op_expr ADD_OP term -> arith
?term: unary
    | term MUL_OP unary -> arith
?unary: primary
    | ADD_OP unary -> neg
ADD_OP: "+" | "-"
MUL_OP: "*" | "/" | "%"

?primary: constant
    | qualified_name
    | function
    | "(" bool_expr ")"
    | primary "::" NAME -> cast

function: NAME "(" ")" -> call
    | NAME "(" STAR ")" -> call
    | NAME "(" bool_expr ("," bool_expr)* ("," map_expr)? ")" -> call
    | (FIRST | LAST) "(" bool_expr ("," bool_expr)* ")" -> call
    | (FIRST | LAST) "(" bool_expr _BY bool_expr ")" -> call
STAR: "*"

map_expr: "{" (map_entry ("," map_entry)*)? "}"
map_entry: string ":" constant

qualified_name: ident ("." ident)*
?ident: NAME -> name
    | QUOTED_ID -> quoted_name

?constant: _NULL -> null
    | INT NAME -> span
    | number
    | TRUE -> true
    | FALSE -> false
    | string
    | PARAM -> param
    | "[" signed_number ("," signed_number)* "]" -> array
    | "[" (TRUE | FALSE) ("," (TRUE | FALSE))* "]" -> array
    | "[" string ("," string)* "]" -> array
number: INT | DECIMAL
signed_number: ADD_OP? (INT | DECIMAL) -> number
string: STRING

_PIPE: "|"
_FROM: "from"i
_TS: "ts"i
_METADATA: "metadata"i
_ROW: "row"i
_SHOW: "show"i
_INFO: "info"i
_WHERE: "where"i
_EVAL: "eval"i
_KEEP: "keep"i
_DROP: "drop"i
_RENAME: "rename"i
_AS: "as"i
_LIMIT: "limit"i
_SORT: "sort"i
ASC: "asc"i
DESC: "desc"i
_NULLS: "nulls"i
FIRST: "first"i
LAST: "last"i
_STATS: "stats"i
_INLINE: "inline"i
_INLINESTATS: "inlinestats"i
_BY: "by"i
_MV_EXPAND: "mv_expand"i
_DISSECT: "dissect"i
_GROK: "grok"i
_ENRICH: "enrich"i
_ON: "on"i
_WITH: "with"i
_LOOKUP: "lookup"i
_JOIN: "join"i
_COMPLETION: "completion"i
_SAMPLE: "sample"i
_FORK: "fork"i
_CHANGE_POINT: "change_point"i
_AND: "and"i
_OR: "or"i
NOT: "not"i
_LIKE: "like"i
_RLIKE: "rlike"i
_IN: "in"i
_IS: "is"i
_NULL: "null"i
TRUE: "true"i
FALSE: "false"i

// Expression mode (lexer/Expression.g4): a string allows only the escapes \t \n \r \" \\;
// a triple-quoted string is raw and single-line and may end in up to two extra quotes.
STRING: /"""[^\r\n]*?""""?"?|"(?:\\[tnr"\\]|[^\r\n"\\])*"/
INT: /[0-9]+/
DECIMAL: /[0-9]+\.[0-9]*(?:e[+-]?[0-9]+)?|\.[0-9]+(?:e[+-]?[0-9]+)?|[0-9]+e[+-]?[0-9]+/i
NAME: /[a-z][a-z0-9_]*|[_@][a-z0-9_]+/i
QUOTED_ID: /`(?:[^`]|``)+`/
PARAM: /\?\??(?:[a-z_][a-z0-9_]*|[0-9]+)?/i
// FROM mode: an index pattern runs until = ` | , [ ] whitespace or a comment start.
SOURCE: /(?:[^=`|,\[\]\/\s"]|\/(?![*\/]))+/
// PROJECT mode (keep, drop, rename): identifiers that may contain * wildcards.
ID_PATTERN: /(?:(?:[a-z*][a-z0-9_*]*|[_@][a-z0-9_*]+)|`(?:[^`]|``)+`)+/i
// ENRICH mode: a policy name, optionally prefixed by a cluster resolution mode.
POLICY: /(?:[^\\\/?"<>| ,#\t\r\n:]+:)?[^\\\/?"<>| ,#\t\r\n:]+/

COMMENT: /\/\/[^\n]*/
BLOCK_COMMENT: /\/\*[\s\S]*?\*\//
%ignore COMMENT
%ignore BLOCK_COMMENT
%ignore /[ \t\r\n]+/
'''


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)


def parse(text: str) -> Tree[Token]:
    """Parse a whole query; raise QueryRejected with the position the real lexer/parser fails at."""
    try:
        return _parser().parse(text)
    except UnexpectedCharacters as e:
        raise QueryRejected(f"line {e.line}:{e.column}: token recognition error") from e
    except UnexpectedInput as e:
        raise QueryRejected(f"line {e.line}:{e.column}: mismatched input") from e
    except LarkError as e:  # pragma: no cover - defensive: any other parse failure
        raise QueryRejected(f"parse error: {e}") from e
