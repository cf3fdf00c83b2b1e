"""What stage a sentence reports, decided from its words, with negation and modality.

A clause is read on its own: "计划年底建成,目前已完成主体结顶" has a planned
clause and an in-progress one; the realised clause wins. A cue under a modal
("将建成", "力争创成") is a plan; a negated cue ("尚未开工") reports nothing
done. Delay words ("延期", "暂缓") outrank progress in the same window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.events import Stage

# Longest cues first so "竣工验收" is read before "验收".
CUES: dict[Stage, tuple[str, ...]] = {
    Stage.DELAYED: (
        "未达预期", "进度滞后", "滞后", "延期", "推迟", "暂缓", "缓建", "停工", "搁置",
        "调整", "未能按期", "未按期",
    ),
    Stage.COMPLETED: (
        "竣工验收", "通过验收", "投入使用", "正式开放", "建成投用", "全面完成", "顺利完成",
        "建成", "竣工", "完工", "投用", "投运", "投产", "开园", "开业", "落成", "签约", "签下",
        "创成", "获评", "获批", "成功创建", "入选", "揭牌", "挂牌", "成立", "通车", "贯通",
        "打通", "实现", "达到", "交付", "上线", "启用", "通过", "落地", "摘得", "荣获",
    ),
    Stage.STARTED: ("开工", "动工", "开建", "破土", "奠基", "进场施工", "启动", "正式实施"),
    Stage.IN_PROGRESS: (
        "主体结顶", "结顶", "封顶", "有序推进", "稳步推进", "加快推进", "全力推进", "正在",
        "推进", "施工中", "进行中", "已完成", "完成", "过半", "已进入", "加紧", "进展", "累计",
    ),
}  # fmt: skip
MODALS = (
    "将",
    "计划",
    "力争",
    "拟",
    "预计",
    "争取",
    "确保",
    "要",
    "即将",
    "目标",
    "有望",
    "谋划",
    "打算",
)
NEGATIONS = ("尚未", "仍未", "暂未", "没有", "未", "不")
REALISED = ("已", "日前", "目前", "近日", "正式", "顺利", "成功", "全面", "首批", "了")

_CLAUSE_SPLIT = re.compile(r"[,，;；:：、]")
_ORDER = [Stage.DELAYED, Stage.COMPLETED, Stage.STARTED, Stage.IN_PROGRESS]
_ALL_CUES = sorted(
    ((cue, stage) for stage in _ORDER for cue in CUES[stage]), key=lambda p: -len(p[0])
)


@dataclass(frozen=True)
class StageReading:
    stage: Stage | None
    cue: str | None
    rule: str
    regression_code: str | None = None


def _cues_in(clause: str) -> list[tuple[int, str, Stage]]:
    taken = [False] * len(clause)
    found: list[tuple[int, str, Stage]] = []
    for cue, stage in _ALL_CUES:
        start = clause.find(cue)
        while start != -1:
            if not any(taken[start : start + len(cue)]):
                for i in range(start, start + len(cue)):
                    taken[i] = True
                found.append((start, cue, stage))
            start = clause.find(cue, start + 1)
    return sorted(found)


def _modal_before(clause: str, pos: int) -> bool:
    window = clause[max(0, pos - 8) : pos]
    if any(r in window for r in ("已", "日前", "目前")):
        return False
    return any(m in window for m in MODALS)


def _negated(clause: str, pos: int) -> bool:
    window = clause[max(0, pos - 3) : pos]
    return any(window.endswith(n) or n in window for n in NEGATIONS)


def _regression_code(cue: str) -> str:
    if cue in ("暂缓", "缓建", "搁置", "停工"):
        return "暂缓"
    if cue == "调整":
        return "调整"
    return "延期"


def read_stage(window: str) -> StageReading:
    """Read the stage reported by a sentence window (the quote and its neighbour)."""
    realised: list[tuple[Stage, str]] = []
    planned_cue: str | None = None
    negated_cue: str | None = None
    for clause in _CLAUSE_SPLIT.split(window):
        for pos, cue, stage in _cues_in(clause):
            if stage == Stage.DELAYED:
                if cue == "调整" and not any(w in clause for w in ("项目", "工程", "计划", "方案")):
                    continue
                if _negated(clause, pos):
                    continue
                realised.append((stage, cue))
            elif _negated(clause, pos):
                negated_cue = negated_cue or cue
            elif _modal_before(clause, pos):
                planned_cue = planned_cue or cue
            else:
                realised.append((stage, cue))
    if realised:
        for stage in _ORDER:
            cue = next((c for s, c in realised if s == stage), None)
            if cue is not None:
                code = _regression_code(cue) if stage == Stage.DELAYED else None
                return StageReading(stage, cue, f"cue:{cue}", code)
    if negated_cue:
        return StageReading(Stage.PLANNED, negated_cue, f"negated:{negated_cue}")
    if planned_cue:
        return StageReading(Stage.PLANNED, planned_cue, f"modal:{planned_cue}")
    if any(m in window for m in MODALS):
        return StageReading(Stage.PLANNED, None, "modal_only")
    return StageReading(None, None, "no_stage_cue")
