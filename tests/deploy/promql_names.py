"""Which metric names a PromQL expression reads.

There is no PromQL parser for Python on the package index that this project may rely on, and
promtool only says whether an expression parses, not what it reads. This removes everything
that is not a metric name (strings, label matchers, ranges, grouping clauses, offsets,
function calls, keywords, numbers) and returns what is left. It assumes the expression already
parses (promtool checks that separately).
"""

from __future__ import annotations

import re

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE
)
_BARE_GROUP_MODIFIER = re.compile(r"\b(?:group_left|group_right)\b", re.IGNORECASE)
_OFFSET_OR_AT = re.compile(r"\boffset\s+-?[0-9a-z]+|@\s*[^\s()]+", re.IGNORECASE)
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = {"and", "or", "unless", "bool", "inf", "nan"}
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$", re.S)


def metric_names(expr: str) -> set[str]:
    """Metric names read by a PromQL expression, e.g. ``rate(a_total{x="y"}[5m]) / b``
    gives ``{"a_total", "b"}``."""
    text = _STRING.sub('""', expr)
    # A selector written as {__name__="x"} names its metric inside the braces.
    names = set(re.findall(r'__name__\s*=\s*"([^"]*)"', expr))
    text = _MATCHERS.sub("", text)
    previous = None
    while previous != text:  # subqueries nest ranges
        previous, text = text, _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    text = _BARE_GROUP_MODIFIER.sub("", text)
    text = _OFFSET_OR_AT.sub("", text)
    for name in _IDENTIFIER.findall(text):
        if name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def label_values_selector(query: str) -> str | None:
    """The series selector of a Grafana ``label_values(selector, label)`` variable query, or
    None when the query is not of that form."""
    match = _LABEL_VALUES.match(query)
    return match.group(1).strip() if match else None
