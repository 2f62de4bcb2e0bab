"""Lucene / Elasticsearch query_string engine model: documented examples, traps, must-reject.

Expected values come from the page or source cited above each row (or the trap of
research/SEMANTICS.md §8 it illustrates), never from the model's output:

* QS  = https://www.elastic.co/docs/reference/query-languages/query-dsl/query-dsl-query-string-query
* JJ  = apache/lucene lucene/queryparser/src/java/.../queryparser/classic/QueryParser.jj
* QPB = apache/lucene .../queryparser/classic/QueryParserBase.java (addClause, discardEscapeChar)
* QSP = elastic/elasticsearch server/.../index/search/QueryStringQueryParser.java
* QSB = elastic/elasticsearch server/.../index/query/QueryStringQueryBuilder.java
* IP  = https://www.elastic.co/docs/reference/elasticsearch/mapping-reference/ip
"""

from __future__ import annotations

from typing import Any

import pytest

from converter.engines.base import QueryRejected
from converter.engines.dsl import (
    AllFields,
    Bool,
    Exists,
    Match,
    MatchAll,
    MatchNone,
    MatchPhrase,
    Prefix,
    Range,
    Regexp,
    Term,
    Wildcard,
)
from converter.engines.lucene import LuceneEngine, ModelLimit
from converter.schema.model import FieldSpec, Schema

# Field names of the query_string page's examples, typed as the page implies.
DOC_SCHEMA = Schema(
    {
        "status": FieldSpec("status", "keyword"),
        "title": FieldSpec("title", "text"),
        "author": FieldSpec("author", "text"),
        "name": FieldSpec("name", "keyword"),
        "count": FieldSpec("count", "long"),
        "age": FieldSpec("age", "long"),
        "tag": FieldSpec("tag", "keyword"),
        "book.title": FieldSpec("book.title", "keyword"),
        "book.author": FieldSpec("book.author", "keyword"),
        "ip_addr": FieldSpec("ip_addr", "ip"),
        "lower": FieldSpec("lower", "keyword", normalizer="lowercase"),
    },
    "test",
)
DOC = LuceneEngine(DOC_SCHEMA)
ECS = LuceneEngine()


def _all(query: Any) -> AllFields:
    return AllFields(query)


TREES: list[Any] = [
    # QS "field names": status:active; title:(quick OR brown); author:"John Smith"
    pytest.param("status:active", Term("status", "active"), id="QS-field-keyword"),
    pytest.param(
        "title:(quick OR brown)",
        Bool(should=(Match("title", "quick"), Match("title", "brown"))),
        id="QS-field-group",
    ),
    pytest.param('author:"John Smith"', MatchPhrase("author", "John Smith"), id="QS-phrase-text"),
    pytest.param("_exists_:title", Exists("title"), id="QS-exists"),
    # QS ranges
    pytest.param("count:[1 TO 5]", Range("count", gte=1, lte=5), id="QS-range-incl"),
    pytest.param("tag:{alpha TO omega}", Range("tag", gt="alpha", lt="omega"), id="QS-range-excl"),
    pytest.param("count:[10 TO *]", Range("count", gte=10), id="QS-range-open"),
    pytest.param("count:[1 TO 5}", Range("count", gte=1, lt=5), id="QS-range-mixed"),
    pytest.param("age:>10", Range("age", gt=10), id="QS-gt"),
    pytest.param("age:>=10", Range("age", gte=10), id="QS-gte"),
    pytest.param("age:<10", Range("age", lt=10), id="QS-lt"),
    pytest.param("age:<=10", Range("age", lte=10), id="QS-lte"),
    pytest.param(
        "age:(>=10 AND <20)",
        Bool(must=(Range("age", gte=10), Range("age", lt=20))),
        id="QS-range-pair",
    ),
    # QS regex: name:/joh?n(ath[oa]n)/
    pytest.param("name:/joh?n(ath[oa]n)/", Regexp("name", "joh?n(ath[oa]n)"), id="QS-regexp"),
    # QS "quick brown +fox -news": fox required, news prohibited, quick/brown optional
    pytest.param(
        "quick brown +fox -news",
        Bool(
            must=(_all(Match("*", "fox")),),
            should=(_all(Match("*", "quick brown")),),
            must_not=(_all(Match("*", "news")),),
        ),
        id="QS-plus-minus",
    ),
    # QS wildcards: qu?ck bro*  (allow_leading_wildcard default true: *ing is accepted)
    pytest.param(
        "qu?ck bro*",
        Bool(should=(_all(Wildcard("*", "qu?ck")), _all(Prefix("*", "bro")))),
        id="QS-wildcards",
    ),
    pytest.param("*ing", _all(Wildcard("*", "*ing")), id="QS-leading-wildcard"),
    # QS "\(1\+1\)\=2": reserved characters escaped
    pytest.param(r"\(1\+1\)\=2", _all(Match("*", "(1+1)=2")), id="QS-escapes"),
    # QSP getWildcardQuery: f:* is exists, * over all fields is match_all
    pytest.param("status:*", Exists("status"), id="QSP-star-exists"),
    pytest.param("*", MatchAll(), id="QSP-star-all"),
    # QSB/QSP: a blank query matches nothing
    pytest.param("   ", MatchNone(), id="QSP-blank"),
    # T10 (QPB addClause): a AND b OR c == +a +b c (c optional); a OR NOT b == a -b
    pytest.param(
        "status:a AND status:b OR status:c",
        Bool(must=(Term("status", "a"), Term("status", "b")), should=(Term("status", "c"),)),
        id="T10-and-or",
    ),
    pytest.param(
        "status:a OR status:b AND status:c",
        Bool(should=(Term("status", "a"),), must=(Term("status", "b"), Term("status", "c"))),
        id="T10-or-and",
    ),
    pytest.param(
        "status:a OR NOT status:b",
        Bool(should=(Term("status", "a"),), must_not=(Term("status", "b"),)),
        id="T10-or-not",
    ),
    # QSP getBooleanQuery + fixNegativeQueryIfNeeded: a pure negation gets match_all
    pytest.param(
        "NOT status:x",
        Bool(must=(MatchAll(),), must_not=(Term("status", "x"),)),
        id="T8-pure-negation",
    ),
    # JJ: && || ! are AND OR NOT
    pytest.param(
        "status:a && !status:b",
        Bool(must=(Term("status", "a"),), must_not=(Term("status", "b"),)),
        id="JJ-symbol-operators",
    ),
    # JJ/QP MultiTerm (split_on_whitespace false): lower-case "or" is a term, and bare terms are
    # analysed together: one keyword term "start or process_started" (Elastic catalog rule)
    pytest.param(
        "tag:(start or process_started)",
        Term("tag", "start or process_started"),
        id="JJ-multiterm-keyword",
    ),
    pytest.param("title:(quick brown)", Match("title", "quick brown"), id="JJ-multiterm-text"),
    # T11: wildcards are literal inside quotes; an escaped space keeps one term
    pytest.param('status:"a*b?"', Term("status", "a*b?"), id="T11-quoted-wildcard-literal"),
    pytest.param(r"status:a\ b", Term("status", "a b"), id="T11-escaped-space"),
    pytest.param(
        "status:a b", Bool(should=(Term("status", "a"), _all(Match("*", "b")))), id="T11-space"
    ),
    # T11 / QPB discardEscapeChar then QSP getFieldQuery: "<" and ">" cannot be escaped
    pytest.param(r"status:\>5", Range("status", gt="5"), id="T11-escaped-gt-is-range"),
    pytest.param(r"status:*\>*", Wildcard("status", r"*\>*"), id="T11-escaped-gt-in-wildcard"),
    # T1: a keyword field's normalizer applies to term, wildcard, prefix and regexp input
    pytest.param("lower:ABC", Term("lower", "abc"), id="T1-normalizer-term"),
    pytest.param(r"lower:*\\SVC*", Wildcard("lower", r"*\\svc*"), id="T1-normalizer-wildcard"),
    pytest.param("lower:ABC*", Prefix("lower", "abc"), id="T1-normalizer-prefix"),
    pytest.param("status:ABC*", Prefix("status", "ABC"), id="T1-no-normalizer"),
    # T15: CIDR is a term on an ip field; a non-IP value on an ip field matches nothing (lenient)
    pytest.param(r"ip_addr:10.0.0.0\/8", Term("ip_addr", "10.0.0.0/8"), id="T15-cidr"),
    pytest.param("ip_addr:foo", MatchNone(), id="T15-ip-lenient"),
    pytest.param("count:abc", MatchNone(), id="T15-number-lenient"),
    pytest.param("count:1*", MatchNone(), id="T15-wildcard-on-long-lenient"),
    pytest.param("title:Foo*", Prefix("title", "foo"), id="T15-prefix-text-normalised"),
    # T7: regexps are passed as written (escapes kept) and an invalid one matches nothing
    pytest.param(r"status:/a\/b/", Regexp("status", r"a\/b"), id="T7-regexp-escaped-slash"),
    pytest.param("status:/[/", MatchNone(), id="T7-invalid-regexp-lenient"),
    # JJ REGEXPTERM: an unescaped "/" in a value starts a regexp; "/usr/bin" is /usr/ + bin
    pytest.param(
        "status:/usr/bin",
        Bool(should=(Regexp("status", "usr"), _all(Match("*", "bin")))),
        id="T11-unescaped-slash",
    ),
    # T17: a field pattern must escape its "*" (QS book.\*:(quick OR brown))
    pytest.param(
        r"book.\*:(quick OR brown)",
        Bool(should=(_all(Match("book.*", "quick")), _all(Match("book.*", "brown")))),
        id="T17-field-pattern",
    ),
    pytest.param(r"my\ field:x", Term("my field", "x"), id="T17-escaped-space-in-name"),
]


@pytest.mark.parametrize(("query", "tree"), TREES)
def test_tree(query: str, tree: Any) -> None:
    assert DOC.compile(query).tree == tree


_EV = {
    "process.name": "SVCHOST.EXE",
    "process.executable": r"C:\Windows\System32\SVCHOST.EXE",
    "process.command_line": "svchost.exe -k netsvcs",
    "process.pid": 42,
    "event.code": "1",
}
EVENTS: list[Any] = [
    # T1: keyword fields are case-sensitive; the .caseless multi-field is lowercased
    pytest.param(r"process.executable:*\\svchost.exe", _EV, False, id="T1-keyword-case"),
    pytest.param(r"process.executable.caseless:*\\svchost.exe", _EV, True, id="T1-caseless"),
    pytest.param(r"process.executable.caseless:*\\SVCHOST.EXE", _EV, True, id="T1-norm-pattern"),
    # T8: NOT over a missing field matches
    pytest.param("NOT user.name:admin", _EV, True, id="T8-not-missing"),
    pytest.param("NOT _exists_:user.name", _EV, True, id="T8-not-exists"),
    pytest.param("process.name:*", _EV, True, id="QS-star-exists"),
    # T10: a AND b OR c ignores c
    pytest.param("event.code:2 AND process.pid:42 OR process.pid:42", _EV, False, id="T10"),
    pytest.param("(event.code:2 AND process.pid:42) OR process.pid:42", _EV, True, id="T10-par"),
    # T11: quoted wildcards are literal
    pytest.param('process.name:"SVC*"', _EV, False, id="T11-quoted-literal"),
    pytest.param("process.name:SVC*", _EV, True, id="T11-unquoted-prefix"),
    # T15: the wildcard-typed command line is one value, not tokens
    pytest.param("process.command_line:netsvcs", _EV, False, id="T15-wildcard-type-whole"),
    pytest.param("process.command_line:*netsvcs", _EV, True, id="T15-wildcard-type-glob"),
    pytest.param("process.pid:>=40", _EV, True, id="T15-numeric-range"),
    pytest.param("process.pid:[1 TO 41]", _EV, False, id="T15-numeric-range-out"),
    pytest.param(r"source.ip:10.0.0.0\/8", {"source.ip": "10.1.2.3"}, True, id="T15-cidr-ip"),
    pytest.param(r"source.domain:10.0.0.0\/8", {"source.domain": "10.1.2.3"}, False, id="T15-kw"),
    # T16: any value of a multi-valued field
    pytest.param("event.category:process", {"event.category": ["x", "process"]}, True, id="T16"),
    pytest.param("NOT event.category:x", {"event.category": ["x", "process"]}, False, id="T16n"),
    # T19: pySigma's doubled backslash is one literal backslash
    pytest.param(r"process.executable:C\:\\Windows*", _EV, True, id="T19-backslash"),
    # QS: a field-less term searches all fields
    pytest.param("SVCHOST.EXE", _EV, True, id="QS-default-field"),
    pytest.param("nothing_here", _EV, False, id="QS-default-field-miss"),
    # T17: field names are case-sensitive
    pytest.param("Process.Name:SVCHOST.EXE", _EV, False, id="T17-field-case"),
    pytest.param(r"process.\*:42", _EV, True, id="T17-field-pattern"),
]


@pytest.mark.parametrize(("query", "event", "expected"), EVENTS)
def test_event(query: str, event: dict[str, Any], expected: bool) -> None:
    assert ECS.compile(query).matches(event) is expected


REJECT: list[Any] = [
    # JJ REGEXPTERM needs a closing "/": an unescaped "/" starts a regexp
    pytest.param("path:/usr", id="unterminated-regex"),
    pytest.param("a/b", id="slash-in-term"),
    # JJ Query: a conjunction needs a clause after it, and nothing may start with one
    pytest.param("a AND", id="dangling-and"),
    pytest.param("a OR", id="dangling-or"),
    pytest.param("AND a", id="leading-and"),
    pytest.param("a AND OR b", id="double-conjunction"),
    pytest.param("NOT NOT a", id="double-modifier"),
    pytest.param("a NOT", id="dangling-not"),
    # JJ: parentheses and quotes must balance
    pytest.param("(a", id="open-paren"),
    pytest.param("a)", id="close-paren"),
    pytest.param("()", id="empty-group"),
    pytest.param('"a b', id="open-quote"),
    # JJ Clause: a field needs a value; only TERM or * may name a field
    pytest.param("field:", id="field-without-value"),
    pytest.param("process.*:x", id="unescaped-star-in-field"),
    pytest.param('"a":b', id="quoted-field"),
    # JJ ranges: TO and both bounds are required
    pytest.param("count:[1 TO]", id="range-missing-bound"),
    pytest.param("count:[1 5]", id="range-missing-to"),
    pytest.param("count:[1 TO 5", id="range-unclosed"),
    pytest.param("a ]", id="stray-bracket"),
    # JJ Boost state: ^ needs a number
    pytest.param("a^", id="boost-without-number"),
    pytest.param("a^x", id="boost-not-number"),
    # QPB discardEscapeChar: trailing backslash, bad \u escape (T19: "C:\users" unescaped)
    pytest.param("a\\", id="trailing-backslash"),
    pytest.param(r'f:"C:\users"', id="T19-bad-unicode-escape"),
    pytest.param(r"f:/\user/", id="T7-bad-unicode-escape-in-regexp"),
    # QSP getRegexpQuery: index.max_regex_length (1000) is a hard error, not lenient
    pytest.param("f:/" + "a" * 1001 + "/", id="T7-regex-too-long"),
]


@pytest.mark.parametrize("query", REJECT)
def test_reject(query: str) -> None:
    with pytest.raises(QueryRejected):
        ECS.compile(query)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("quikc~", id="fuzzy"),
        pytest.param('title:"a b"~2', id="phrase-slop"),
    ],
)
def test_not_modelled(query: str) -> None:
    with pytest.raises(ModelLimit):
        DOC.compile(query)


@pytest.mark.parametrize(
    ("query", "key", "present"),
    [
        pytest.param("title:Foo*", "lucene.analyze-wildcard", True, id="prefix-on-text"),
        pytest.param("status:Foo*", "lucene.analyze-wildcard", False, id="prefix-on-keyword"),
        pytest.param("foo*", "lucene.analyze-wildcard", True, id="prefix-all-fields"),
        pytest.param("foo", "dsl.default_field", True, id="default-field"),
    ],
)
def test_assumptions(query: str, key: str, present: bool) -> None:
    assert (key in DOC.compile(query).assumptions) is present


def test_open_points_declared() -> None:
    keys = {p.key for p in LuceneEngine.open_points}
    assert {"lucene.analyze-wildcard", "lucene.date-fields"} <= keys
