"""Numbers near a match, with their unit and what they say (done, target, percent).

"已有3个完成竣工验收" → 3 个 done; "完成投资六成" → 60 % done; "1.2万平方米" → 1.2 万平方米.
"""

from __future__ import annotations

import re

from services.catalog import units
from services.events import Figure
from services.extractor.quotes import mask_quoted_phrases

# Numbers and units are the catalog's vocabulary (services/catalog/units.py): a figure
# read here is only comparable with a target read there when both used the same one.
FIGURE_RE = re.compile(
    rf"(?P<number>{units.NUMBER})(?P<multiplier>[万亿])??\s*(?:多|余)?\s*(?P<unit>{units.UNIT})"
)
_CN_DIGITS = units.CN_DIGITS
CHENG_RE = re.compile(rf"(?P<num>[{_CN_DIGITS}]|\d)成(?![功为员本立果交绩])")
DONE_BEFORE = (
    "已有",
    "已完成",
    "已建成",
    "已改造",
    "完成",
    "建成",
    "累计",
    "改造",
    "打通",
    "已",
    "共完成",
    "新增",
    "新建",
    "新开工",
)
TARGET_BEFORE = ("计划", "目标", "共", "力争", "要")
# The year alone ("全年10万平方米", "今年4个") states a target; with a verb of work done
# after it ("全年完成城市有机更新10.6万平方米") it states what the year did.
YEAR_BEFORE = ("全年", "今年")
_CLAUSE_BREAK = re.compile(r"[,，;；。:：!！?？]")
PERCENT_CONTEXT = ("完成", "进度", "形象进度", "达到", "已", "任务的", "目标的")
SHARE_CONTEXT = ("占比", "比重", "比例")
TARGET_AFTER = re.compile(r"(的)?(目标|任务)(?!的)")


def _role(before: str, after: str, unit: str) -> str:
    if TARGET_AFTER.match(after):
        return "target"  # "距离年初确定的60%目标只差…": the target, named
    if unit == "%":
        if any(w in before[-8:] for w in SHARE_CONTEXT):
            return "other"  # "超过100万元的村占比达到58%": a share of things, not of the work
        return "percent_done" if any(w in before[-8:] for w in PERCENT_CONTEXT) else "other"
    if after.startswith("中") or (after.startswith("的") and "中" in after[:12]):
        return "target"
    # A plan word governs the number unless "已" (already) comes after it.
    plan_at = max((before.rfind(w) for w in TARGET_BEFORE), default=-1)
    if plan_at >= 0 and "已" not in before[plan_at:]:
        return "target"
    year_at = max((before.rfind(w) for w in YEAR_BEFORE), default=-1)
    if year_at >= 0 and not any(w in before[year_at:] for w in DONE_BEFORE):
        return "target"
    if any(w in before for w in DONE_BEFORE):
        return "done"
    return "other"


def figures_in(text: str) -> list[Figure]:
    found: list[Figure] = []
    masked = mask_quoted_phrases(text)  # "“改造老旧小区”两个项目": no verb of work done
    for m in FIGURE_RE.finditer(text):
        value = units.figure_value(m)
        if value is None:
            continue
        before, after = masked[max(0, m.start() - 12) : m.start()], text[m.end() : m.end() + 12]
        before = _CLAUSE_BREAK.split(before)[-1]  # what governs a number is in its clause
        found.append(
            Figure(
                value=value,
                unit=m.group("unit"),
                text=m.group(0),
                role=_role(before, after, m.group("unit")),
            )
        )
    for m in CHENG_RE.finditer(text):
        value = units.to_number(m.group("num"))
        if value is None or not 0 < value <= 10:
            continue
        found.append(Figure(value=value * 10, unit="%", text=m.group(0), role="percent_done"))
    return found
