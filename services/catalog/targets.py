"""Quantitative targets in a commitment clause: "改造老旧小区4个" -> 老旧小区 = 4 个.

A figure is a number (Arabic or Chinese numerals, "1.2万") followed by a unit of
the shared vocabulary (``services.catalog.units``), with what bounds it: before
("不低于", "控制在", "超过"), after ("以上", "以内", "左右"), or a range
("6%—6.5%"). Numbers inside quoted names (“十五连创”, “八个千亩”), ordinals
(第三批), model names (PM2.5) and name-adjectives (千亩…基地) are not targets:
they name things rather than promise amounts. A clause listing several figures
("新增规上企业60家、专精特新企业30家") gives each its own metric.
"""

from __future__ import annotations

import re

from services.catalog.model import Comparator, Target
from services.catalog.units import CN_DIGITS, FIGURE, NUMBER, figure_value, to_number

QUALIFIER_AFTER = re.compile(r"^(?:及以上|以上|以内|以下|左右|上下)")
AFTER_COMPARATOR: dict[str, Comparator] = {
    "及以上": ">=",
    "以上": ">=",
    "以内": "<=",
    "以下": "<=",
    "左右": "~",
    "上下": "~",
}
QUALIFIER_BEFORE = re.compile(r"(?:不低于|不少于|不超过|不高于|控制在|超过|突破|低于|高于)$")
BEFORE_COMPARATOR: dict[str, Comparator] = {
    "不低于": ">=",
    "不少于": ">=",
    "不超过": "<=",
    "不高于": "<=",
    "控制在": "<=",
    "超过": ">",
    "突破": ">",
    "高于": ">",
    "低于": "<",
}
# "6%—6.5%" or "6—6.5%": the lower bound, written with or without the unit, then a dash.
RANGE_START = re.compile(rf"(?P<low>{NUMBER})(?P<unit>%|个百分点)?\s*[—–\-~～至到]\s*$")
QUOTED = re.compile(r"“[^”]*”|《[^》]*》")
METRIC_PREFIXES = ("力争", "确保", "实现", "全年", "不低于", "不少于", "控制在", "超过", "突破")
METRIC_SUFFIXES = (
    "达到",
    "达",
    "为",
    "的",
    "保持在",
    "保持",
    "控制在",
    "不低于",
    "不少于",
    "不超过",
    "超过",
    "突破",
    "低于",
    "高于",
)
LIST_BREAK = re.compile("[、]")


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in QUOTED.finditer(text)]


def _strip_affixes(metric: str) -> str:
    changed = True
    while changed and metric:
        changed = False
        for prefix in METRIC_PREFIXES:
            if metric.startswith(prefix):
                metric, changed = metric[len(prefix) :], True
        for suffix in METRIC_SUFFIXES:
            if metric.endswith(suffix):
                metric, changed = metric[: -len(suffix)], True
    return metric


def _segment(clause: str, start: int, end: int) -> tuple[int, int]:
    """The list item around a figure: between the 、 marks that enclose it."""
    quoted = _quoted_spans(clause)
    breaks = [
        m.start()
        for m in LIST_BREAK.finditer(clause)
        if not any(qs <= m.start() < qe for qs, qe in quoted)
    ]
    left = max((b + 1 for b in breaks if b < start), default=0)
    right = min((b for b in breaks if b >= end), default=len(clause))
    return left, right


def _is_name(clause: str, start: int, end: int, quoted: list[tuple[int, int]]) -> bool:
    """A figure that names a thing rather than promises an amount."""
    if any(qs <= start < qe for qs, qe in quoted):
        return True
    before = clause[start - 1] if start else ""
    after = clause[end] if end < len(clause) else ""
    if clause[start:end] == "一张":  # "一张网", "一张蓝图": a name, not one item
        return True
    if before in ("第", "每") or (
        before and before.isascii() and (before.isalnum() or before == ".")
    ):
        return True
    return bool(after and after in CN_DIGITS)  # "三个千亩行动": a count inside a name


def parse_targets(clause: str) -> list[Target]:
    """Every target figure in one clause, in order of appearance."""
    quoted = _quoted_spans(clause)
    found: list[tuple[int, int, Target]] = []
    for match in FIGURE.finditer(clause):
        start, end = match.span()
        if _is_name(clause, start, end, quoted):
            continue
        value = figure_value(match)
        if value is None:
            continue
        unit = match.group("unit")
        comparator: Comparator = "="
        upper: float | None = None
        head = clause[:start]
        written_start = start
        dash = RANGE_START.search(head)
        if dash and (dash.group("unit") in (None, unit)):
            low = to_number(dash.group("low"))
            if low is not None and low < value:
                comparator, upper, value = "between", value, low
                written_start = dash.start()
                found = [f for f in found if f[0] < written_start]  # the lower bound's figure
        before = QUALIFIER_BEFORE.search(clause[:written_start])
        if before and comparator == "=":
            comparator = BEFORE_COMPARATOR[before.group(0)]
        after = QUALIFIER_AFTER.match(clause[end:])
        written_end = end
        if after:
            if comparator == "=":
                comparator = AFTER_COMPARATOR[after.group(0)]
            written_end = end + len(after.group(0))
        found.append(
            (
                written_start,
                written_end,
                Target(
                    metric="",
                    comparator=comparator,
                    value=value,
                    upper=upper,
                    unit=unit,
                    text=clause[written_start:written_end],
                ),
            )
        )
    return [
        target.model_copy(update={"metric": _metric(clause, start, end, len(found)) or clause})
        for start, end, target in found
    ]


def _metric(clause: str, start: int, end: int, count: int) -> str:
    """What the figure measures: the clause without it, or its list item when there are several."""
    left, right = (0, len(clause)) if count == 1 else _segment(clause, start, end)
    head = clause[left:start]
    tail = clause[end:right]
    if tail.startswith("的"):
        tail = tail[1:]
    return _strip_affixes(head + tail)
