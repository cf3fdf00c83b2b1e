"""What stage a sentence reports, decided from its words, with negation and modality.

A clause is read on its own: "计划年底建成,目前已完成主体结顶" has a planned
clause and an in-progress one; the realised clause wins. A cue under a modal
("将建成", "力争创成") is a plan; a negated cue ("尚未开工") reports nothing
done. Delay words ("延期", "暂缓") outrank progress in the same window. A
modal governs to the end of its statement (a semicolon), except across the
items of an enumeration ("一是…；二是…"), which its lead governs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.catalog.lexicon import EFFORT_VERBS
from services.catalog.report_text import NUMBERED_ITEM, NUMBERED_SECTION, NUMBERED_SUB
from services.events import Stage
from services.extractor.quotes import MASK, mask_quoted_phrases

# Longest cues first so "竣工验收" is read before "验收".
CUES: dict[Stage, tuple[str, ...]] = {
    Stage.DELAYED: (
        "未达预期", "进度滞后", "滞后", "延期", "未达序时", "未达到序时", "低于序时", "慢于序时", "进度偏慢",
        "偏慢", "推迟", "暂缓", "缓建", "停工", "搁置", "差距较大", "差距明显",
        "调整", "未能按期", "未按期", "延误", "受阻", "放缓",
        "慢于预期", "不及预期", "低于预期", "落后于序时", "落后序时", "延后", "暂停", "停滞",
        "难以实现", "难以完成", "难以如期",
    ),
    Stage.COMPLETED: (
        "竣工验收", "交工验收", "通过验收", "投入使用", "投入运营", "投入运行", "正式开放", "建成投用", "全面完成", "顺利完成",
        "全部完成", "基本建成", "构建起", "搭建起", "建立起", "出台", "印发", "发布《", "发布了《",
        "正式发布", "设立", "组建", "建立", "榜上有名", "命名为", "获认定", "认定为",
        "建成", "竣工", "完工", "投用", "投运", "投产", "开园", "开业", "落成", "签约", "签下",
        "创成", "获评", "获批", "成功创建", "入选", "揭牌", "挂牌", "成立", "通车", "贯通", "签订", "签署",
        "打通", "实现", "达到", "交付", "上线", "启用", "通过", "落地", "摘得", "荣获", "成为",
        "新建", "新增", "新认定", "再添", "新添", "结成",
    ),
    Stage.STARTED: (
        "开工", "动工", "开建", "破土", "奠基", "进场施工", "启动", "正式实施", "迈出第一步",
        "试运行", "上线试运行", "开始",
    ),
    Stage.IN_PROGRESS: (
        "主体结顶", "结顶", "封顶", "在加快", "在持续", "在不断", "在稳步", "在深入", "在扎实",
        "在积极", "在有序", "有序推进", "稳步推进", "加快推进", "全力推进", "正在",
        "推进", "推动", "施工中", "进行中", "已完成", "完成", "过半", "已进入", "加紧", "进展", "累计",
        "举办", "推出", "发放", "办结", "扩展至", "加速", "打响", "推行", "实施", "已开展", "开展",
        # Phases on the way to a thing built or opened, not the thing done.
        "设备调试", "调试", "联调", "部分开放", "试营业", "试运营", "试开放", "形象进度",
        "施工", "建设中", "在建", "工地上", "施工现场", "安装", "入驻",
        # People or things sent out in a year's work: "新选派文化特派员30名".
        "选派",
        # A level raised to a new figure: "技能人才占比提高到31%".
        "提高到", "提高至", "提升到", "提升至", "增至", "增加到", "增加至",
    ),
}  # fmt: skip
MODALS = (
    "将", "计划", "力争", "拟", "预计", "争取", "确保", "要", "即将", "目标", "有望", "谋划",
    "打算", "年内", "下一步", "下半年", "明年", "今后", "接下来", "方可",
    # The plan quoted or assigned: "报告提出…", "会议部署…", "根据计划…".
    "提出", "部署", "明确", "安排",
    # Wishes and haste: "希望尽早开工建设…" says it has not happened.
    "希望", "期待", "期盼", "尽早", "尽快",
    # A policy that encourages: "鼓励有条件的企业建立研究院" states no event.
    "鼓励", "引导",
    # A task set or assigned: "确定建成中央绿轴公园等10件实事", "牵头负责建成…工作".
    "确定", "负责",
)  # fmt: skip
# A one-character modal inside an ordinary word is no modal: 重要, 主要, 需要; 将近.
# A requirement as a noun is no modal either: "对照…的要求", "按要求"; nor a meeting's
# name ("动员部署会召开"), nor a half year already past ("去年下半年建成投用").
_MODAL_FORMS = {
    "要": "(?<![重主需只必纪概扼])(?!(?<=[的按照])要求)要(?![素点闻件])",
    "将": "将(?![近士军])",
    "部署": "部署(?!会)",
    "安排": "安排(?!会)",
    "下半年": "(?<![去上前]年)下半年(?!以来)",
    # "以“整洁、有序、美丽”为目标", "围绕全年目标任务": a frame, not a plan.
    # ("高于全年目标": a comparison with the target, not the target set.)
    "目标": "(?<!为)(?<![于过出])(?<![于过出]全年)(?<![于过出]年度)目标(?!任务)",
    "确定": "确定(?!了?[^,，。;；]{0,12}为)",  # not "确定螺洋等3个镇街为首批试点"
    "负责": "负责(?!人|的)",
    # "列入计划的4个老旧小区改造项目": the plan as a noun; "新谋划项目126个": a count of
    # projects planned, which happened.
    "计划": "(?<!列入)(?<!纳入)计划(?!的)",
    "谋划": "(?<!新)谋划",
}
_MODAL_RE = re.compile(
    "|".join(_MODAL_FORMS.get(m, re.escape(m)) for m in sorted(MODALS, key=len, reverse=True))
)
# A sentence that defines a thing ("X是…的重要举措") reports no progress on it.
DEFINITION_RE = re.compile(
    r"是[^,，;；。]{0,30}的[^,，;；。]{0,8}(举措|工程|项目|任务|内容|载体|抓手|平台|工作|实事|之一)"
)
# What may open a definition's subject without being part of it.
_SUBJECT_LEAD = re.compile(r"^\s*(本网讯|据悉|其中|这个|这一|这|该|此次|今年的?|目前)+")


def _mask_definitions(text: str) -> str:
    """The text with each clause that defines a thing masked ("X是我区推动外贸转型、培育
    新业态的重点项目": 推动 is what X is for, not an event), same length. Clause splits
    (a 、 inside) would otherwise cut the definition and free its verbs."""
    if "是" not in text:
        return text
    out = list(text)
    for m in DEFINITION_RE.finditer(text):
        # The whole clause goes, subject too ("平台上线是深化…机制的重要举措"): a clause
        # that defines reports nothing. A definition opening its clause defines the clause
        # before it ("打通…的交互渠道, 是我区今年的一项重点工作").
        start = _clause_start(text, m.start())
        if not text[start : m.start()].strip() and start > 0 and text[start - 1] in ",，":
            start = _clause_start(text, start - 1)
        out[start : m.end()] = MASK * (m.end() - start)
    return "".join(out)


def _clause_start(text: str, pos: int) -> int:
    return max(text.rfind(c, 0, pos) for c in ",，;；。:：") + 1


def defined_subject(sentence: str, focus: int) -> str | None:
    """The subject a definition places the thing at `focus` over: in "全域土地综合整治是
    我区今年实施“三整治一修复”的重点项目", news of 全域土地综合整治 is news of the
    commitment to carry out “三整治一修复”. None when the focus is not in a definition."""
    for m in DEFINITION_RE.finditer(sentence):
        if m.start() < focus < m.end():
            subject = _SUBJECT_LEAD.sub("", _CLAUSE_SPLIT.split(sentence[: m.start()])[-1])
            subject = subject.strip(' “”"')
            return subject if 4 <= len(subject) <= 16 else None
    return None


NEGATIONS = ("尚未", "仍未", "暂未", "没有", "未", "不")
QUESTIONS = ("何时", "是否", "能否", "什么时候", "有没有", "吗", "有什么", "怎么样", "?", "？")
FIRST_STEP = re.compile(r"迈出.{0,4}第一步|首支|起步")
# "正在逐项落地": a completion verb under a progressive marker is progress.
PROGRESSIVE = ("正在", "逐步", "陆续", "逐项", "加快", "持续")
# Markers of something that happened; between a modal and a cue they end the modal's scope.
REALISED = ("已", "日前", "目前", "近日", "了", "截至", "正式", "顺利", "以来", "累计", "先后")
# A sentence with none of these reports no event: "开工X, 启动Y, 推进Z" is a task list.
EVENT_MARKERS = re.compile(
    "|".join(map(re.escape, (*REALISED, "成功", "首次", "同比", "较去年", "上半年", "前三季度")))
    + r"|\d{1,2}月(\d{1,2}日|份|底|中旬|上旬|下旬)?|[一二三四五六七八九十]+月"
)

# Titles separate their parts with spaces: "首支母基金设立 基金矩阵迈出第一步".
_CLAUSE_SPLIT = re.compile(r"[,，;；:：、]|(?<=\S)[ 　](?=\S)")
_ORDER = [Stage.DELAYED, Stage.COMPLETED, Stage.STARTED, Stage.IN_PROGRESS]
_STAGE_OF_CUE = {cue: stage for stage in _ORDER for cue in CUES[stage]}
# One alternation, longest cue first, so "竣工验收" is read before "验收".
_CUE_RE = re.compile("|".join(re.escape(c) for c in sorted(_STAGE_OF_CUE, key=len, reverse=True)))


@dataclass(frozen=True)
class StageReading:
    stage: Stage | None
    cue: str | None
    rule: str
    regression_code: str | None = None


def _cues_in(clause: str) -> list[tuple[int, str, Stage]]:
    return [(m.start(), m.group(), _STAGE_OF_CUE[m.group()]) for m in _CUE_RE.finditer(clause)]


# A semicolon ends a statement: "计划2026年秋季投用；完小撤并工作今年秋季启动" holds two,
# and a modal or a remainder in one says nothing of the other.
_STATEMENT_END = re.compile(r"[;；]")


def statement_start(text: str, pos: int) -> int:
    """Where the statement holding `pos` starts (after the last semicolon before it)."""
    return max((m.end() for m in _STATEMENT_END.finditer(text, 0, pos)), default=0)


# "会议明确,将重点抓好以下工作:一是…;二是建成…": the items of an enumeration are one
# list under its lead, whose modal governs them all.
ENUMERATION_ITEM = re.compile(
    r"\s*([一二三四五六七八九十]+是|其[一二三四五六七八九十]|第[一二三四五六七八九十]+[,，、是]"
    r"|[（(][一二三四五六七八九十]+[）)])"
)


def _modal_scope_start(text: str, pos: int) -> int:
    """Where a modal before `pos` stops governing: the statement's start, unless
    the statement is an item of an enumeration, which its lead governs."""
    start = statement_start(text, pos)
    while start > 0 and (ENUMERATION_ITEM.match(text, start) or SAME_MOOD.match(text, start)):
        start = statement_start(text, start - 1)
    if start > 0 and DOCUMENT_PROVIDES.search(text, 0, start):
        return 0  # "《实施意见》明确,对…给予补贴;建立…制度": every item is what it provides
    return start


# A statement that goes on "at the same time" ("将继续支持…;同时围绕…,加大…力度") shares
# the mood of the one before it.
SAME_MOOD = re.compile(r"\s*(同时|与此同时)")
# A document's provisions: "《实施意见》明确,…;…;…" lists what it provides, item by item.
DOCUMENT_PROVIDES = re.compile(r"《[^》]{1,80}》[^,，;；。]{0,6}(明确|提出|规定|要求)")

_COLON = re.compile(r"[:：]")


def statement_end(text: str, pos: int) -> int:
    """Where the statement holding `pos` ends (at the next semicolon, or the text's end)."""
    end = _STATEMENT_END.search(text, pos)
    return end.start() if end else len(text)


def statement_at(text: str, pos: int) -> str:
    """The statement (semicolon to semicolon) holding `pos`."""
    return text[statement_start(text, pos) : statement_end(text, pos)]


def _modal_before(text: str, pos: int) -> bool:
    """A modal before the cue in its statement governs it, unless a realised
    marker ("已", "目前") comes between them."""
    before = text[_modal_scope_start(text, pos) : pos]
    last_modal = max((m.start() for m in _MODAL_RE.finditer(before)), default=-1)
    if last_modal < 0:
        return False
    return not any(r in before[last_modal:] for r in REALISED)


def _negated(clause: str, pos: int) -> bool:
    window = clause[max(0, pos - 3) : pos]
    return any(window.endswith(n) or n in window for n in NEGATIONS)


_CODE_PRIORITY = ("暂缓", "延期", "调整")


def _regression_code(cue: str) -> str:
    if cue in ("暂缓", "缓建", "搁置", "停工"):
        return "暂缓"
    if cue == "调整":
        return "调整"
    return "延期"


@lru_cache(maxsize=8192)
def _read_clause(
    clause: str, prefix: str
) -> tuple[list[tuple[Stage, str]], str | None, str | None]:
    """Realised cues, the first planned cue and the first negated cue of a clause.

    `prefix` is the sentence before the clause: a modal there ("要…, 力争建成")
    still governs the clause unless a realised marker comes between.
    """
    realised: list[tuple[Stage, str]] = []
    planned_cue: str | None = None
    negated_cue: str | None = None
    if any(q in clause for q in QUESTIONS) or DEFINITION_RE.search(clause):
        return realised, planned_cue, None  # a question or a definition reports nothing
    for pos, cue, stage in _cues_in(clause):
        after = clause[pos + len(cue) : pos + len(cue) + 2]
        if cue == "进展" and (
            clause[pos - 1 : pos] == "的" or TOLD_OF.search(clause[max(0, pos - 6) : pos])
        ):
            continue  # "汇报了…工程的进展", "沟通交流办理进展": the word, not a report
        if after[:1] == "会" or after[:1] == "需":
            continue  # "推进会": a meeting's name; "设立需要…": a condition
        if cue == "开展" and not EVENT_MARKERS.search(prefix + clause[:pos]):
            continue  # 开展 alone is any activity; "今年以来,我区开展…专项治理" reports one
        if cue == "在建" and after[:1] == "议":
            continue  # "在建议中提出": a proposal, not works under way
        if APPLIED_FOR.search(clause[max(0, pos - 3) : pos]):
            planned_cue = planned_cue or cue  # "申报设立海关特殊监管区": applied for, not done
            continue
        if stage == Stage.DELAYED and ATTRIBUTIVE_AFTER.match(clause, pos + len(cue)):
            continue  # "对未按期开工的项目进行通报": a kind of project, not a delay reported
        if cue in COUNTED_CUES and not COUNT_AFTER.match(clause, pos + len(cue)):
            continue  # "新建工程": a name; "新建口袋公园7个": a count of things built
        if CONDITION_BEFORE.search(clause, 0, pos):
            continue  # "待中央绿轴公园建成开放, 市民将…", "一旦断头路全部打通": a condition
        if LISTED_AS_CONTENT.search(prefix + clause[:pos]) or (
            NAMED_GOAL_AFTER.match(clause, pos + len(cue)) and clause[pos - 1 : pos] == "的"
        ):
            # "民生实事项目包括建成中央绿轴公园、…", "对照年初确定的建成…目标": a task named.
            planned_cue = planned_cue or cue
            continue
        if cue == "入驻" and (after[:1] == "的" or after in ("企业", "单位", "商户", "项目")):
            continue  # "入驻企业": the firms in it, named, not firms moving in
        if cue == "开始" and _CUE_RE.match(clause, pos + len(cue)):
            continue  # "开始试营业": the verb after it says what began
        if after == "以来":
            continue  # "“医保地图”上线以来,…": a past event the sentence counts from
        if cue == "通过" and not EXAMINATION.match(clause, pos + 2):
            continue  # "通过示范带串联沿线村庄": by means of, not an examination passed
        if after.startswith(TASK_NOUNS):
            continue  # "启动了断头路打通工作": the verb names a task, the event is 启动
        following = clause[pos + len(cue) : pos + len(cue) + 16].lstrip("了")
        if stage in (Stage.COMPLETED, Stage.IN_PROGRESS, Stage.STARTED) and any(
            p in following or p in clause[:pos] for p in PREPARATION
        ):
            # "已完成初步设计", "概念设计已经完成": preparing, not building.
            planned_cue = planned_cue or cue
            continue
        if (
            clause[pos + len(cue) : pos + len(cue) + 1] == "后"
            and "已" not in clause[max(0, pos - 3) : pos]
        ):
            continue  # "建成后, 将…": a condition, not an event
        if TIME_TO_COME_AFTER.match(clause, pos + len(cue)):
            continue  # "在方案正式出台之前", "在监管区获批并验收之前": a time, not an event
        if stage == Stage.COMPLETED and any(
            p in clause[max(0, pos - 6) : pos] for p in PROGRESSIVE
        ):
            stage = Stage.IN_PROGRESS
        if stage == Stage.COMPLETED and "主体" in clause[max(0, pos - 6) : pos]:
            stage = Stage.IN_PROGRESS  # "主体完工": the structure, not the project
        if stage == Stage.COMPLETED and FIRST_STEP.search(clause):
            stage = Stage.STARTED  # "组建基金矩阵迈出的第一步": a start, not the end
        if stage == Stage.DELAYED:
            if cue == "调整" and not any(
                w in clause for w in ("项目", "工程", "计划", "方案", "规划")
            ):
                continue
            if not clause[:pos].endswith(NEGATIONS):
                # Only a negation right before it undoes a delay ("未滞后"); in "因资金
                # 未到位暂停施工" the 未 is the cause's.
                realised.append((stage, cue))
        elif _negated(clause, pos):
            if ORIGINALLY_DUE.search(prefix + clause[:pos]):
                # "原定于6月开工的…至今尚未开工": not done by its own date, behind.
                realised.append((Stage.DELAYED, cue))
                continue
            negated_cue = negated_cue or cue
        elif not cue.startswith("已") and _modal_before(prefix + clause, len(prefix) + pos):
            # ("计划整治2000亩, 1—10月已完成1420亩": a cue that says itself it happened
            # is out of the modal's reach.)
            if cue in CLOSING_CUES and NEARLY.search(clause[:pos]):
                # "主体结构即将结顶", "即将竣工": the works are under way, near their end.
                realised.append((Stage.IN_PROGRESS, cue))
                continue
            if after[:1] == "的":
                continue  # "计划实施的4个项目中": names the projects; the next clause reports
            planned_cue = planned_cue or cue
        else:
            realised.append((stage, cue))
    if not realised and planned_cue is None and negated_cue is None:
        counted = _new_things_counted(clause)
        if counted is not None:
            # "今年新划转执法事项126项", "新开设销售门店12家": things newly done, counted,
            # whatever the verb (as 新建/新增 with a count).
            pos, verb = counted
            if _modal_before(prefix + clause, len(prefix) + pos):
                planned_cue = verb
            elif not _negated(clause, pos):
                realised.append((Stage.COMPLETED, verb))
    return realised, planned_cue, negated_cue


NEW_THINGS_COUNTED = re.compile(
    r"新([\u4e00-\u9fff]{2})[^,，;；。]{0,16}?\d+(\.\d+)?\s*(个|家|项|名|人|所|座|条|处|支|批|场|次|户|套|台|亩|万|亿|平方米|公里)"
)


def _new_things_counted(clause: str) -> tuple[int, str] | None:
    """Where "新" + a verb opens a count of things done, and that verb."""
    for m in NEW_THINGS_COUNTED.finditer(clause):
        if clause[m.start() - 1 : m.start()] == "的":
            continue  # "列入民生实事的新改建农村公路25公里": the target, named
        words = list(_pos_cut()(clause[m.start() : m.start() + 6], HMM=False))
        if len(words) >= 2 and words[0].word == "新" and words[1].flag.startswith("v"):
            return m.start(), words[1].word
    return None


def _verdict(
    realised: list[tuple[Stage, str]], planned_cue: str | None, negated_cue: str | None
) -> StageReading | None:
    if realised:
        delays = [c for s, c in realised if s == Stage.DELAYED]
        if delays:
            # "因规划调整延期": the delay is the news, the change its cause.
            worst = min(delays, key=lambda c: _CODE_PRIORITY.index(_regression_code(c)))
            return StageReading(Stage.DELAYED, worst, f"cue:{worst}", _regression_code(worst))
        for stage in _ORDER[1:]:
            found = next((c for s, c in realised if s == stage), None)
            if found is not None:
                return StageReading(stage, found, f"cue:{found}")
    if negated_cue:
        return StageReading(Stage.PLANNED, negated_cue, f"negated:{negated_cue}")
    if planned_cue:
        return StageReading(Stage.PLANNED, planned_cue, f"modal:{planned_cue}")
    return None


FOLLOWING_CLAUSES = 2


@lru_cache(maxsize=8192)
def _clauses(window: str) -> list[tuple[int, str, str]]:
    """(start, clause, the delimiter before it) for every clause of the window.

    Memoised (callers only read the list): a window read at two foci, or read without a
    stage and then searched again for a record's or an effort's clause, is split once
    (a third of the splits on the bench's corpora)."""
    clauses: list[tuple[int, str, str]] = []
    pos = 0
    delimiter = ""
    for m in _CLAUSE_SPLIT.finditer(window):
        clauses.append((pos, window[pos : m.start()], delimiter))
        delimiter = m.group()
        pos = m.end()
    clauses.append((pos, window[pos:], delimiter))
    return clauses


# A sentence that opens with a meeting's or an official's instructions ("会议提出,…",
# "会议强调,…", "区委书记要求,…") quotes a plan: it and the rest of its paragraph say
# what is to be done, not what was ("重点抓好四方面工作:一是推动…").
INSTRUCTIONS_OPEN = re.compile(
    r"\s*(本网讯\s*)?(会议|会上|大会|[^,，。；;]{0,12}(书记|区长|局长|主任|负责人))"
    r"[^,，。；;]{0,6}(提出|要求|强调|指出|部署|明确|号召)"
)


def opens_instructions(sentence: str) -> bool:
    return INSTRUCTIONS_OPEN.match(sentence) is not None


def reports_an_event(sentence: str) -> bool:
    """Has the sentence any sign of something that happened (a date, 已, 截至…)?"""
    return EVENT_MARKERS.search(sentence) is not None


# A frame closing the sentence makes all of it a plan: "对深化X、推进Y作出了具体部署".
PLAN_FRAME_AFTER = re.compile(
    r"(作出|做出|进行|提出)了?[^,，;；。]{0,4}(部署|安排|要求)|列入[^,，;；。]{0,6}(计划|清单|任务)(?!的)"
)
# What a document or a project contains, listed after a colon: "政策共12条,主要包括:支持龙头
# 企业牵头组建…联盟": the measures it offers, not events.
CONTENTS_FRAME = re.compile(
    r"(主要|具体)?(包括|内容为|内容有|措施有|举措有)\s*$"
    r"|(任务|目标|重点|实事|举措)(主要)?(是|为|有)\s*$"  # "主要任务是:建成…、打通…"
)
# "即将结顶", "即将全面完工": not yet, but the works are under way and near their end.
NEARLY = re.compile(r"即将[\u4e00-\u9fff]{0,4}$")
CLOSING_CUES = frozenset(("结顶", "主体结顶", "封顶", "完工", "竣工", "建成", "全面完成", "完成"))
# Cues that report something done only with a count of it: "新建口袋公园7个".
COUNTED_CUES = frozenset(("新建", "新增"))
COUNT_AFTER = re.compile(
    r"[^,，;；。]{0,12}?(\d+(\.\d+)?|[一二三四五六七八九十两百千万]+)(个|座|条|所|家|处|项|只|支|间|张|万|亿|千|平方米|亩|公里|米)"
)
# 通过 reports an examination passed ("通过竣工验收", "顺利通过省级评审", "通过了"), not a means.
EXAMINATION = re.compile(
    r"(了|的)?[^,，;；。]{0,6}(验收|评审|评估|审核|审批|审查|认定|考核|复核|鉴定|论证|评定|评价|检测|核查|备案)"
    r"|[,，;；。]|$"
)
# After a cue, a noun of the task itself makes the cue a name, not an event.
TASK_NOUNS = ("工作", "任务", "行动", "攻坚", "计划", "方案", "图", "单位", "许可", "工程")
# Verbs that take progress as their object: told, asked about, not reported.
TOLD_OF = re.compile(r"汇报|通报|交流|沟通|了解|听取|询问")
# A later clause whose delay has a subject this long names another thing's delay.
OWN_SUBJECT = 8
# A goal striven for: what it names is not yet reached, whatever came before it.
GOAL = re.compile(r"力争|争取|确保")
# A cue that a time word follows, also through a second verb joined to it ("获批并验收之前").
TIME_TO_COME_AFTER = re.compile(r"([并和及与][\u4e00-\u9fff]{1,4})?(之前|以前|之后|以后)")
# What is applied for is not done: "申报设立…", "申请设立…".
APPLIED_FOR = re.compile(r"(申报|申请)$")
# A delay word inside an attribute ("未按期开工的项目") names a kind of thing.
ATTRIBUTIVE_AFTER = re.compile(r"[\u4e00-\u9fff]{0,4}的(项目|工程|单位|企业|地块|村|镇|街道)")
# Steps before the works: done, they say nothing of the thing being built.
PREPARATION = (
    "初步设计", "方案设计", "施工图", "可研", "可行性研究", "立项", "招标", "前期",
    "规划设计", "设计方案", "用地预审", "现状调查", "摸底调查", "意愿征询", "征求意见", "洽谈",
    "磋商", "概念设计",
)  # fmt: skip
CONTINUING = re.compile(r"(持续|不断|逐步|深入|稳步|有序)[\u4e00-\u9fff]{2}")
# In news, an effort said to go on ("继续深化", "持续推进") is under way.
GOING_ON = re.compile(r"(继续|持续|不断)(深化|推进|加强|提升|完善|扩面|优化|扩大|发力)")
# A span of this year up to now ("今年以来", "年初以来", "3月以来"): an effort verb under it
# ("今年以来, 我区以…为契机, 深化十里长街大商圈建设") tells of work done in that span.
SINCE_THIS_YEAR = re.compile(r"(今年|年初|开年|\d{1,2}月(份)?)以来")
# A date the thing was due by, said before it is said not done.
ORIGINALLY_DUE = re.compile(r"原定|原计划|按计划应|按原计划")
# A condition before a cue: what would follow it, not what happened.
CONDITION_BEFORE = re.compile(r"(?<!接)(?<!有)待|一旦|如果|若(?!干)|等到|只要")
# A cue in a list that 包括/涵盖 opens: contents ("项目包括建成…、新建口袋公园20个等").
LISTED_AS_CONTENT = re.compile(r"(包括|包含|涵盖)[^,，;；。:：]*$")
# A cue in a goal's name: "年初确定的建成中央绿轴公园目标".
NAMED_GOAL_AFTER = re.compile(r"[^,，;；。]{0,20}?(目标|任务)(?![已均全])")
# A clause that says what the thing just told of is ("这是我区首家…", "这也是…").
REFERS_BACK = re.compile(r"\s*(这|此)(也|就|正|既)?(是|标志着|意味着)")
_CLEFT_FOCUS = re.compile(r"\s*(正|就|也)?是")

TASK_LIST_MIN_CLAUSES = 3
_TASK_SPLIT = re.compile(r"[,，;；]")


@lru_cache(maxsize=1)
def _pos_cut() -> Callable[..., Iterator[Any]]:
    """jieba's part-of-speech cut, imported and quietened once: `jieba.setLogLevel` clears
    the logging module's caches on every call, which cost more than the cut itself."""
    import jieba
    import jieba.posseg

    # With the term tables read from the cache, jieba's dictionary loads here, first:
    # quietly, as it does when the tables are built.
    jieba.setLogLevel(60)
    cut: Callable[..., Iterator[Any]] = jieba.posseg.cut
    return cut


@lru_cache(maxsize=16384)
def _verb_first(clause: str) -> bool:
    """Does the clause open with a verb (after adverbs), with no subject before it?"""
    if _CUE_RE.match(clause):
        return True  # a stage cue is a verb, whatever jieba tags it ("新建" is also a place)
    for word in _pos_cut()(clause[:8], HMM=False):
        if word.flag.startswith("v"):
            return True
        if not word.flag.startswith(("d", "ad")):
            return False
    return False


def names_an_item(sentence: str) -> bool:
    """Is the sentence a numbered item that restates a task ("五、建成中央绿轴公园。")? It
    names the task; what became of it is told after it ("中央绿轴公园北区已于12月底开放…")."""
    text = sentence.lstrip()
    # A numbered item's head ("五、", "(三)", "3."), as the report parser reads them.
    item = NUMBERED_SECTION.match(text) or NUMBERED_SUB.match(text) or NUMBERED_ITEM.match(text)
    return item is not None and not EVENT_MARKERS.search(text) and _verb_first(text[item.end() :])


def is_task_list(sentence: str) -> bool:
    """A plan's imperative: several verb-first clauses, no subject, no sign of an event.

    "开工路北三小新建工程,启动完小撤并工作,推进区职教中心合作办学" lists tasks;
    the same verbs after "今年以来,我区…" report what happened.
    """
    if EVENT_MARKERS.search(sentence):
        return False
    clauses = [c.strip() for c in _TASK_SPLIT.split(sentence.rstrip("。!！?？")) if c.strip()]
    if len(clauses) < TASK_LIST_MIN_CLAUSES or not _verb_first(clauses[0]):
        return False
    # Counted only until the count decides (enough verb-first clauses, or too few left):
    # a clause not read before costs a jieba part-of-speech cut.
    verb_first, left = 1, len(clauses) - 1
    for clause in clauses[1:]:
        if verb_first >= TASK_LIST_MIN_CLAUSES or verb_first + left < TASK_LIST_MIN_CLAUSES:
            break
        verb_first += _verb_first(clause)
        left -= 1
    return verb_first >= TASK_LIST_MIN_CLAUSES


def read_stage(window: str, focus: int | None = None, record: bool = False) -> StageReading:
    """Read the stage a sentence window reports about the thing at `focus`.

    The clause holding the focus decides when it has any cue; otherwise the
    next clauses do ("X项目中, 已有3个完成"). A thing named in an enumeration
    ("入选A、B、C") takes the verb that opens the enumeration. A realised event
    reported before the focus is not undone by a future tail after it
    ("主体已结顶, 建成后将新增学位…"). A task list with no sign of an event is
    a plan, unless the text is a record (a report's review part, `record`).
    Without a focus, every clause counts and the most telling cue wins.
    """
    window = _mask_definitions(mask_quoted_phrases(window))
    reading = _read_stage(window, focus)
    if record and reading.stage is None:
        # A record states what was done: "“1187”体系持续迭代" there is work under way.
        clause = next(
            (c for start, c, _ in reversed(_clauses(window)) if start <= (focus or 0)), window
        )
        if CONTINUING.search(clause):
            return StageReading(Stage.IN_PROGRESS, None, "record:continuing")
        if clause.lstrip().startswith(EFFORT_VERBS):
            # "深化双向转诊机制, 全年…下转患者1.3万人次": a summary's effort, done this year.
            return StageReading(Stage.IN_PROGRESS, None, "record:effort")
    if not record and reading.stage is None:
        # "紧密型城市医联体建设继续深化": news that an effort goes on, with no modal.
        clause = next(
            (c for start, c, _ in reversed(_clauses(window)) if start <= (focus or 0)), window
        )
        if GOING_ON.search(clause) and not _MODAL_RE.search(window):
            reading = StageReading(Stage.IN_PROGRESS, None, "going_on")
        elif (
            clause.lstrip().startswith(EFFORT_VERBS)
            and SINCE_THIS_YEAR.search(window, statement_start(window, focus or 0), focus or 0)
            and not _MODAL_RE.search(window)
        ):
            reading = StageReading(Stage.IN_PROGRESS, None, "effort_since")
    if (
        not record
        and reading.stage is not None
        and reading.stage not in (Stage.PLANNED, Stage.DELAYED)
    ):
        if is_task_list(window):
            return StageReading(Stage.PLANNED, reading.cue, "task_list")
        if names_an_item(window):
            return StageReading(Stage.PLANNED, reading.cue, "item_named")
        frame = PLAN_FRAME_AFTER.search(window, focus or 0)
        if frame:
            return StageReading(Stage.PLANNED, reading.cue, f"plan_frame:{frame.group()}")
        colon = _last_colon_before(window, focus or 0)
        if colon is not None:
            # "这十大民生实事项目是:推进…;新建…;改造…": the list a colon opens;
            # "会议对…提出了明确要求:…要在6月底前全部开工": a frame that makes it a plan.
            if PLAN_FRAME_AFTER.search(window[:colon]) or CONTENTS_FRAME.search(window[:colon]):
                return StageReading(Stage.PLANNED, reading.cue, "plan_frame:colon")
            if is_task_list(window[colon + 1 :]):
                return StageReading(Stage.PLANNED, reading.cue, "task_list:colon")
    return reading


def _last_colon_before(window: str, pos: int) -> int | None:
    found = [m.start() for m in _COLON.finditer(window, 0, pos)]
    return found[-1] if found else None


def _read_stage(window: str, focus: int | None) -> StageReading:
    clauses = _clauses(window)
    if focus is None:
        merged: list[tuple[Stage, str]] = []
        planned = negated = None
        for start, clause, _ in clauses:
            r, p, n = _read_clause(clause, window[:start])
            merged += r
            planned, negated = planned or p, negated or n
        reading = _verdict(merged, planned, negated)
    else:
        at = max(i for i, (start, _, _) in enumerate(clauses) if start <= focus)
        reading = None
        for start, clause, _ in clauses[at : at + 1 + FOLLOWING_CLAUSES]:
            reading = _verdict(*_read_clause(clause, window[:start]))
            if reading is not None:
                break
        if reading is None:
            # "入选浙江和美乡村试点区、“四好农村路”省级示范区": back to the verb.
            i = at
            while reading is None and i > 0 and clauses[i][2] == "、":
                i -= 1
                start, clause, _ = clauses[i]
                reading = _verdict(*_read_clause(clause, window[:start]))
        if reading is None and (
            REFERS_BACK.match(clauses[at][1])
            or (at > 0 and _CLEFT_FOCUS.match(clauses[at][1]) and clauses[at - 1][1].endswith("的"))
        ):
            # "全年新增省级重点实验室1家, 这是我区首家省重点实验室": the clause that says
            # what this is names the event of the clause before it; so does a cleft's
            # first part ("与出口同步推进的, 是方林…发展区的建设").
            since = statement_start(window, focus)
            for start, clause, _ in reversed(clauses[:at]):
                if start < since:
                    break
                earlier = _verdict(*_read_clause(clause, window[:start]))
                if earlier is not None:
                    reading = StageReading(
                        earlier.stage,
                        earlier.cue,
                        f"refers_back:{earlier.rule}",
                        earlier.regression_code,
                    )
                    break
        if reading is None:
            # "对照“四好农村路”2.0版的要求, 从…延伸: 全面推行路长制, 设立路长386名":
            # a frame with no verb of its own, and what was done after its colon.
            end = statement_end(window, focus)
            colon = _COLON.search(window, focus, end)
            if colon:
                after = _read_stage(window[colon.end() : end], None)
                reading = after if after.stage is not None else None
        if (
            reading is not None
            and reading.stage == Stage.PLANNED
            and not GOAL.search(clauses[at][1])
        ):
            # Only a future tail borrows: a clause with no cue of its own may be
            # another subject's ("A获评…, B持续打响"), and takes nothing; nor does a goal
            # ("正在培育两家企业的研发平台, 力争省重点实验室实现零的突破").
            since = statement_start(window, focus)
            for start, clause, _ in reversed(clauses[:at]):
                if start < since:
                    break  # another statement's event is not this one's
                earlier = _verdict(*_read_clause(clause, window[:start]))
                if earlier is not None and earlier.stage != Stage.PLANNED:
                    reading = StageReading(
                        earlier.stage,
                        earlier.cue,
                        f"earlier:{earlier.rule}",
                        earlier.regression_code,
                    )
                    break
        if reading is not None and reading.stage != Stage.DELAYED:
            # A delay later in the sentence outweighs progress reported before it:
            # "X受招商进展影响, 入驻仅为计划的三成, 建设进度未达预期".
            for start, clause, _ in clauses[at + 1 :]:
                later = _verdict(*_read_clause(clause, window[:start]))
                if later is not None and later.stage == Stage.DELAYED:
                    if later.cue and len(clause.split(later.cue, 1)[0].strip()) >= OWN_SUBJECT:
                        continue  # "…, 国家级渔港经济区创建进度滞后": another thing's delay
                    reading = later
                    break
    if reading is not None:
        return reading
    modal = _MODAL_RE.search(window)
    if modal:
        if _acts_done(window[: modal.start()]):
            # "此次调整优化了全区城镇开发边界, 将分散在…的空间集中调整到…": an act done
            # before the first modal, which then governs none of it.
            return StageReading(Stage.IN_PROGRESS, None, "done_before_modal")
        return StageReading(Stage.PLANNED, None, "modal_only")
    return StageReading(None, None, "no_stage_cue")


# A verb with the perfective 了 ("优化了", "编制了") or after 已 ("已运行6个月") reports an
# act done, whatever the verb; not 为了/除了/了解, nor a visit or a hearing (察看了).
_DONE_VERB = re.compile(
    r"(?<![为除到得不])([\u4e00-\u9fff]{2})了(?![解却结])|已(?:经)?([\u4e00-\u9fff]{2})"
)
_NOT_AN_ACT = frozenset(
    ("察看", "视察", "调研", "考察", "走访", "参观", "听取", "观看", "看望", "列入", "纳入", "研究",
     "进行", "制定")
)  # fmt: skip


def _acts_done(text: str) -> bool:
    for m in _DONE_VERB.finditer(text):
        verb = m.group(1) or m.group(2)
        if verb in _NOT_AN_ACT:
            continue
        words = _pos_cut()(text[max(0, m.start() - 2) : m.end() + 2], HMM=False)
        if any(w.word == verb and w.flag.startswith("v") for w in words):
            return True
    return False
