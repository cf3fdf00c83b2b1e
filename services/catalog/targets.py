"""Quantitative targets in a commitment clause: "改造老旧小区4个" -> 老旧小区 = 4 个.

A figure is a number (Arabic or Chinese numerals) followed by a unit the
reports use for targets. Numbers inside quoted names (“十五连创”, “八个千亩”),
ordinals (第三批), model names (PM2.5) and name-adjectives (千亩…基地) are not
targets: they name things rather than promise amounts.
"""

from __future__ import annotations

import re

import cn2an

from services.catalog.model import Comparator, Target

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
UNITS = (
    "万平方米",
    "平方米",
    "万元",
    "亿元",
    "万亩",
    "亩",
    "公里",
    "万人",
    "%",
    "个",
    "条",
    "家",
    "项",
    "所",
    "座",
    "户",
    "人",
    "套",
    "处",
    "辆",
    "台",
)
FIGURE = re.compile(
    r"(?P<number>\d+(?:\.\d+)?|[" + CN_DIGITS + r"]+)"
    r"(?P<unit>" + "|".join(re.escape(u) for u in UNITS) + r")"
    r"(?P<qualifier>以上|以内|以下)?"
)
QUOTED = re.compile(r"“[^”]*”|《[^》]*》")
METRIC_PREFIXES = ("力争", "确保", "实现", "全年")
METRIC_SUFFIXES = ("达到", "达", "为", "的")


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in QUOTED.finditer(text)]


def _to_number(number: str) -> float | None:
    if number[0].isdigit():
        return float(number)
    if number in ("千", "百", "万"):  # "千亩…基地": an adjective of a name, not an amount
        return None
    try:
        return float(cn2an.cn2an(number, "strict"))
    except ValueError:
        return None


def _comparator(qualifier: str | None) -> Comparator:
    if qualifier == "以上":
        return ">="
    if qualifier in ("以内", "以下"):
        return "<="
    return "="


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


def parse_targets(clause: str) -> list[Target]:
    """Every target figure in one clause, in order of appearance."""
    quoted = _quoted_spans(clause)
    targets: list[Target] = []
    for match in FIGURE.finditer(clause):
        start, end = match.span()
        if any(qs <= start < qe for qs, qe in quoted):
            continue
        before = clause[start - 1] if start else ""
        after = clause[end] if end < len(clause) else ""
        if before in ("第", "每") or (
            before and (before.isascii() and (before.isalnum() or before == "."))
        ):
            continue
        if after and after in CN_DIGITS:  # "三个千亩行动": a count inside a name
            continue
        value = _to_number(match.group("number"))
        if value is None:
            continue
        head = clause[:start]
        tail = clause[end:]
        if tail.startswith("的"):
            tail = tail[1:]
        metric = _strip_affixes(head + tail)
        targets.append(
            Target(
                metric=metric or clause,
                comparator=_comparator(match.group("qualifier")),
                value=value,
                unit=match.group("unit"),
                text=match.group(0),
            )
        )
    return targets
