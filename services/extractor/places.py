"""Where a sentence is about: Luqiao, or a neighbouring district.

Much of the news the site carries is about Taizhou's other districts and
counties; a project name there is not progress here.
"""

from __future__ import annotations

import re

LUQIAO_MARKERS = (
    "路桥", "路南街道", "路北街道", "螺洋街道", "桐屿街道", "峰江街道", "新桥镇",
    "横街镇", "蓬街镇", "金清镇", "路桥街道", "飞龙湖", "南官河", "十里长街",
    "黄礁", "白沙", "金清渔港",
)  # fmt: skip

OTHER_PLACES = (
    "椒江", "黄岩", "温岭", "临海", "玉环", "天台", "仙居", "三门", "台州湾新区",
    "台州湾经济技术开发区", "宁波", "温州", "杭州", "绍兴", "金华", "丽水", "衢州",
    "湖州", "嘉兴", "舟山", "义乌", "乐清", "瑞安", "上海",
)  # fmt: skip

_OTHER_RE = re.compile("|".join(map(re.escape, OTHER_PLACES)))
_LUQIAO_RE = re.compile("|".join(map(re.escape, LUQIAO_MARKERS)))


def other_places_in(text: str) -> list[str]:
    return _OTHER_RE.findall(text)


def luqiao_markers_in(text: str) -> list[str]:
    return _LUQIAO_RE.findall(text)


def article_focus(title: str, lead: str) -> str:
    """'luqiao', 'other' or 'unknown', judged from the title and first paragraph,
    where a district news story names its place."""
    head = f"{title}\n{lead}"
    here, there = len(luqiao_markers_in(head)), len(other_places_in(head))
    if there and not here:
        return "other"
    if here:
        return "luqiao"
    return "unknown"
