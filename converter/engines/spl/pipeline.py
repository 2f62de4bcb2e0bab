"""Split an SPL query into its piped commands and check each command's name.

The split honours double-quoted strings (with backslash escapes) and subsearch brackets, so a
``|`` inside ``"a|b"`` or ``[ search ... | ... ]`` does not end a command. An unterminated
string or bracket is a syntax error in Splunk as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from converter.engines.base import QueryRejected
from converter.engines.spl.errors import NotModelled

# Commands of the Search Reference's command quick reference that this model does not evaluate;
# a name in neither this set nor the modelled set is an unknown command, which Splunk refuses.
KNOWN_UNMODELLED = frozenset(
    [
        "abstract",
        "accum",
        "addcoltotals",
        "addinfo",
        "addtotals",
        "analyzefields",
        "anomalies",
        "anomalousvalue",
        "anomalydetection",
        "append",
        "appendcols",
        "appendpipe",
        "arules",
        "associate",
        "audit",
        "autoregress",
        "bucketdir",
        "chart",
        "cluster",
        "cofilter",
        "collect",
        "concurrency",
        "contingency",
        "convert",
        "correlate",
        "datamodel",
        "dbinspect",
        "dedup",
        "delete",
        "delta",
        "diff",
        "erex",
        "eventcount",
        "eventstats",
        "extract",
        "kv",
        "fieldformat",
        "fieldsummary",
        "filldown",
        "fillnull",
        "fromjson",
        "findtypes",
        "folderize",
        "foreach",
        "format",
        "from",
        "gauge",
        "gentimes",
        "geom",
        "geomfilter",
        "geostats",
        "head",
        "highlight",
        "history",
        "iconify",
        "inputcsv",
        "inputlookup",
        "iplocation",
        "join",
        "kmeans",
        "kvform",
        "loadjob",
        "localize",
        "localop",
        "lookup",
        "makecontinuous",
        "makemv",
        "makeresults",
        "map",
        "mcollect",
        "metadata",
        "metasearch",
        "meventcollect",
        "mpreview",
        "msearch",
        "mstats",
        "multikv",
        "multisearch",
        "mvcombine",
        "mvexpand",
        "nomv",
        "outlier",
        "outputcsv",
        "outputlookup",
        "outputtext",
        "overlap",
        "pivot",
        "predict",
        "rangemap",
        "rare",
        "redistribute",
        "reltime",
        "rename",
        "replace",
        "require",
        "rest",
        "return",
        "reverse",
        "rtorder",
        "savedsearch",
        "script",
        "run",
        "scrub",
        "searchtxn",
        "selfjoin",
        "sendalert",
        "sendemail",
        "set",
        "setfields",
        "sichart",
        "sirare",
        "sistats",
        "sitimechart",
        "sitop",
        "sort",
        "spath",
        "strcat",
        "streamstats",
        "tags",
        "tail",
        "timechart",
        "timewrap",
        "tojson",
        "top",
        "transaction",
        "transpose",
        "trendline",
        "tscollect",
        "tstats",
        "typeahead",
        "typelearner",
        "typer",
        "union",
        "uniq",
        "untable",
        "walklex",
        "x11",
        "xmlkv",
        "xmlunescape",
        "xpath",
        "xyseries",
    ]
)
MODELLED = frozenset({"search", "regex", "where", "rex", "eval", "bin", "bucket", "stats"})
PASS_THROUGH = frozenset({"table", "fields"})  # projection only: which events survive is unchanged


@dataclass(frozen=True)
class RawCommand:
    name: str
    args: str
    leading: bool  # the first command of the query


def split_pipes(query: str) -> list[str]:
    """The query's segments between top-level pipes."""
    segments: list[str] = []
    current: list[str] = []
    quoted, depth, i = False, 0, 0
    while i < len(query):
        char = query[i]
        if char == "\\" and i + 1 < len(query):  # an escaped character, quoted or not
            current.append(query[i : i + 2])
            i += 2
            continue
        quoted, depth = _track(char, quoted, depth)
        if char == "|" and not quoted and depth == 0:
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    if quoted:
        raise QueryRejected("unbalanced quotes: a double-quoted string is not terminated")
    if depth:
        raise QueryRejected("unbalanced brackets: a subsearch [ ... ] is not closed")
    segments.append("".join(current))
    return segments


def _track(char: str, quoted: bool, depth: int) -> tuple[bool, int]:
    if char == '"':
        return not quoted, depth
    if quoted:
        return quoted, depth
    if char == "[":
        return quoted, depth + 1
    if char == "]":
        if depth == 0:
            raise QueryRejected("unbalanced brackets: ']' without '['")
        return quoted, depth - 1
    return quoted, depth


def commands(query: str) -> tuple[list[RawCommand], bool]:
    """The commands of a query and whether its base search is empty (it starts with a pipe)."""
    if not query.strip():
        raise QueryRejected("empty search")
    segments = split_pipes(query)
    outside = _outside_quotes(query)
    if "`" in outside:
        raise NotModelled("search macros (`...`) are expanded by Splunk; the model has none")
    if "[" in outside:
        raise NotModelled("subsearches ([ ... ]) are not modelled")
    head, rest = segments[0], segments[1:]
    empty_base = not head.strip()
    raw = [] if empty_base else [_base(head)]
    raw += [_named(segment, leading=empty_base and n == 0) for n, segment in enumerate(rest)]
    return raw, empty_base


def _outside_quotes(query: str) -> str:
    """The query without its double-quoted strings."""
    return "".join(query.replace("\\\\", "").replace('\\"', "").split('"')[0::2])


def _base(segment: str) -> RawCommand:
    text = segment.strip()
    name, _, args = text.partition(" ")
    if name == "search":
        return RawCommand("search", args, leading=True)
    return RawCommand("search", text, leading=True)


def _named(segment: str, leading: bool) -> RawCommand:
    text = segment.strip()
    if not text:
        raise QueryRejected("empty command between pipes")
    word = text.split(None, 1)[0]
    args = text[len(word) :].strip()
    name = word.lower()  # command names are matched case-insensitively
    if name in MODELLED or name in PASS_THROUGH:
        return RawCommand(name, args, leading)
    if name in KNOWN_UNMODELLED:
        raise NotModelled(f"the {name} command is not modelled")
    raise QueryRejected(f"unknown search command {name!r}")
