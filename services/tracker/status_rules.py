"""How a commitment's status is decided from its evidence, as of a date.

Pure: plain values in, a `Decision` out. Every rule has a stable id (stored in
the ledger beside the status, so the history reads as a story) and gives its
reasons in Chinese, for the reader. Rules are tried in the order of `decide`;
the first that applies wins. `RULES` describes each one for the 方法说明 page.

What the product knows is what it found. Silence is not a verdict: without
evidence a commitment is 未见报道 (no_evidence) even after its deadline, and it
is 逾期未完成 (overdue) only when a report published after the deadline shows
the work still unfinished. Ongoing commitments (the catalog's kind "ongoing":
持续…, 深化…, 常态化…) have no finish line and are 持续推进, never overdue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.catalog.model import Commitment
from services.events import Stage

# A milestone whose verb is one of these is reached when work starts.
START_VERBS = ("开工", "启动", "开建", "动工")
# A completion and a delay reported this close together contradict each other.
CONFLICT_WINDOW_DAYS = 60
MONTHS_IN_PLAN_YEAR = 12


class Status(StrEnum):
    """Machine names are stable: they are metric labels, Prometheus rule matchers
    and the `new_status` of luqiao.status events."""

    NO_EVIDENCE = "no_evidence"  # 未见报道
    PLANNED_ONLY = "planned_only"  # 仅见部署
    STARTED = "started"  # 已启动
    IN_PROGRESS = "in_progress"  # 推进中
    ONGOING = "ongoing"  # 持续推进
    ACHIEVED = "achieved"  # 已完成
    PARTIALLY_ACHIEVED = "partially_achieved"  # 部分完成
    STALLED = "stalled"  # 进度滞后
    OVERDUE = "overdue"  # 逾期未完成
    CARRIED_OVER = "carried_over"  # 转入下年
    DISPUTED = "disputed"  # 存疑


STATUS_LABELS: dict[str, str] = {
    Status.NO_EVIDENCE: "未见报道",
    Status.PLANNED_ONLY: "仅见部署",
    Status.STARTED: "已启动",
    Status.IN_PROGRESS: "推进中",
    Status.ONGOING: "持续推进",
    Status.ACHIEVED: "已完成",
    Status.PARTIALLY_ACHIEVED: "部分完成",
    Status.STALLED: "进度滞后",
    Status.OVERDUE: "逾期未完成",
    Status.CARRIED_OVER: "转入下年",
    Status.DISPUTED: "存疑",
}

# Red/amber/green for the overview strip; "none" is neutral: nothing is known.
STATUS_RAG: dict[str, str] = {
    Status.NO_EVIDENCE: "none",
    Status.PLANNED_ONLY: "none",
    Status.STARTED: "green",
    Status.IN_PROGRESS: "green",
    Status.ONGOING: "green",
    Status.ACHIEVED: "green",
    Status.PARTIALLY_ACHIEVED: "amber",
    Status.CARRIED_OVER: "amber",
    Status.DISPUTED: "amber",
    Status.STALLED: "red",
    Status.OVERDUE: "red",
}


class Schedule(StrEnum):
    BEHIND = "欠进度"
    ON = "达进度"
    AHEAD = "超进度"


@dataclass(frozen=True)
class Rule:
    id: str
    status: Status
    title: str  # Chinese, one line
    explanation: str  # Chinese, what the rule looks at


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "conflicting_evidence",
            Status.DISPUTED,
            "说法矛盾",
            f"{CONFLICT_WINDOW_DAYS}天内既有完成报道又有延期、暂缓报道，无法判断，标为存疑，等待核实。",
        ),
        Rule(
            "unfinished_after_deadline",
            Status.OVERDUE,
            "截止后仍未完成",
            "截止日期之后发布的报道仍称在推进、刚启动或延期，说明到期时工作尚未完成。"
            "只有这种有据可查的情况才标为逾期未完成。",
        ),
        Rule(
            "delay_reported",
            Status.STALLED,
            "报道延期",
            "最新的相关报道称延期、暂缓或调整，且其后没有新的进展报道。",
        ),
        Rule(
            "behind_schedule",
            Status.STALLED,
            "欠序时进度",
            "报道的完成量低于序时进度（已过月数÷12），按公布的序时规则视为进度滞后。",
        ),
        Rule(
            "milestone_verb_reached",
            Status.ACHIEVED,
            "开工类承诺已开工",
            "承诺本身是开工、启动一类的事项，报道已开工或启动即视为完成。",
        ),
        Rule("completion_reported", Status.ACHIEVED, "报道完成", "有报道称已经建成、完成或投用。"),
        Rule("target_met", Status.ACHIEVED, "达到目标", "报道的数量达到或超过承诺的目标值。"),
        Rule(
            "target_part_met_at_deadline",
            Status.PARTIALLY_ACHIEVED,
            "到期部分完成",
            "截止日期已过，报道的数量达到目标的一部分但未达到全部。",
        ),
        Rule(
            "restated_in_next_plan",
            Status.CARRIED_OVER,
            "次年报告再次部署",
            "下一年度的工作报告再次提出了这项工作，且未见完成报道，视为转入下年。",
        ),
        Rule(
            "ongoing_progress",
            Status.ONGOING,
            "持续性工作有进展",
            "持续性、常态化的工作没有完成节点，不会逾期；有进展报道即标为持续推进，并列出最新报道。",
        ),
        Rule("progress_reported", Status.IN_PROGRESS, "报道推进", "有报道称正在推进、已部分完成。"),
        Rule(
            "start_reported", Status.STARTED, "报道启动", "有报道称已开工、启动，尚无进一步进展。"
        ),
        Rule(
            "progress_then_quiet",
            Status.IN_PROGRESS,
            "进展报道后长期无新报道",
            "已有进展或启动报道，但之后很久没有新报道；状态不变，只提示读者报道已旧。",
        ),
        Rule(
            "deadline_passed_unconfirmed",
            Status.IN_PROGRESS,
            "截止后未见结果报道",
            "截止日期已过，截止前有进展报道，但截止后既未见完成也未见未完成的报道，不作逾期判断。",
        ),
        Rule(
            "plan_restated_only",
            Status.PLANNED_ONLY,
            "仅见部署",
            "只找到重申计划、部署安排的表述，没有进展报道。",
        ),
        Rule(
            "no_evidence",
            Status.NO_EVIDENCE,
            "未见报道",
            "没有找到任何相关报道。未见报道不等于未完成，只说明本站没有找到证据，截止日期过后也是如此。",
        ),
    )
}


@dataclass(frozen=True)
class CountedEvidence:
    """Evidence that counts (auto-accepted or confirmed by an auditor)."""

    evidence_id: str
    stage: Stage
    published_at: datetime
    progress_ratio: float | None = None  # the evidence's `Progress.ratio`, as the extractor read it
    regression_code: str | None = None


@dataclass(frozen=True)
class Decision:
    status: Status
    rule: str
    reasons: list[str]
    evidence_ids: list[str] = field(default_factory=list)
    progress_ratio: float | None = None
    schedule: Schedule | None = None
    expected_progress: float | None = None


STAGE_LABELS = {
    Stage.PLANNED: "计划部署",
    Stage.STARTED: "开工/启动",
    Stage.IN_PROGRESS: "推进中",
    Stage.COMPLETED: "完成",
    Stage.DELAYED: "延期/滞后",
}


def progress_ratio(evidence: list[CountedEvidence]) -> float | None:
    """Best reported progress against the target (3 of 4 → 0.75), or None. Each
    evidence carries its ratio, computed once by the extractor (`Progress.toward`)."""
    ratios = [ev.progress_ratio for ev in evidence if ev.progress_ratio is not None]
    if not ratios:
        return None
    return round(min(max(ratios), 1.0), 4)


def elapsed_months(plan_year: int, as_of: date) -> int:
    """Whole months of the plan year that have ended by `as_of` (0..12): on
    30 November eleven months have ended, on 29 November ten."""
    if as_of < date(plan_year, 1, 1):
        return 0
    months = (as_of.year - plan_year) * 12 + as_of.month - 1
    if (as_of + timedelta(days=1)).month != as_of.month:
        months += 1  # the last day of a month completes it
    return min(months, MONTHS_IN_PLAN_YEAR)


def expected_progress(commitment: Commitment, as_of: date) -> float:
    """序时进度: the share of the year's target due by now = elapsed months / 12."""
    return elapsed_months(commitment.report.plan_year, as_of) / MONTHS_IN_PLAN_YEAR


def schedule_for(commitment: Commitment, reported: float | None, as_of: date) -> Schedule | None:
    """Reported progress against 序时进度; only reported figures count, never a guess
    from a stage word (a figure "3个" or "完成60%" is needed)."""
    if reported is None:
        return None
    expected = expected_progress(commitment, as_of)
    if reported < expected - 1e-9:
        return Schedule.BEHIND
    if reported > expected + 1e-9:
        return Schedule.AHEAD
    return Schedule.ON


def _day(ev: CountedEvidence) -> str:
    d = ev.published_at.date()
    return f"{d.year}年{d.month}月{d.day}日"


def _date_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def decide(
    commitment: Commitment,
    evidence: list[CountedEvidence],
    as_of: date,
    *,
    stall_days: int = 90,
    restated_in_later_plan: bool = False,
) -> Decision:
    known = sorted(
        (e for e in evidence if e.published_at.date() <= as_of), key=lambda e: e.published_at
    )
    progress = [e for e in known if e.stage not in (Stage.PLANNED, Stage.DELAYED)]
    delays = [e for e in known if e.stage == Stage.DELAYED]
    completed = [e for e in progress if e.stage == Stage.COMPLETED]
    ratio = progress_ratio(progress)
    deadline = commitment.deadline
    past_deadline = as_of > deadline
    ongoing = commitment.kind == "ongoing"
    quantitative = commitment.kind == "quantitative" and bool(commitment.targets)
    schedule = None if past_deadline else schedule_for(commitment, ratio, as_of)
    expected = None if past_deadline else expected_progress(commitment, as_of)
    ids = [e.evidence_id for e in known]

    def made(
        rule: str,
        *reasons: str,
        evs: list[CountedEvidence] | None = None,
        status: Status | None = None,
    ) -> Decision:
        """`status` overrides the rule's usual one where the rule keeps the stage
        reached (started or in progress) and only adds a note."""
        used = [e.evidence_id for e in evs] if evs is not None else ids
        return Decision(
            status or RULES[rule].status, rule, list(reasons), used, ratio, schedule, expected
        )

    if delays and completed:
        last_delay, last_done = delays[-1], completed[-1]
        if abs((last_delay.published_at - last_done.published_at).days) <= CONFLICT_WINDOW_DAYS:
            return made(
                "conflicting_evidence",
                f"{_day(last_done)}的报道称已完成，{_day(last_delay)}的报道却称"
                f"{last_delay.regression_code or '延期'}，两者相距不到{CONFLICT_WINDOW_DAYS}天",
                evs=[last_done, last_delay],
            )
    if delays and (not progress or delays[-1].published_at >= progress[-1].published_at):
        last = delays[-1]
        code = last.regression_code or "延期"
        if not ongoing and last.published_at.date() > deadline:
            return made(
                "unfinished_after_deadline",
                f"截止日期{_date_zh(deadline)}之后，{_day(last)}的报道称{code}",
                evs=[last],
            )
        return made("delay_reported", f"最新相关报道（{_day(last)}）称{code}", evs=[last])

    starts = [e for e in progress if e.stage in (Stage.STARTED, Stage.COMPLETED)]
    if not quantitative and starts and _is_start_milestone(commitment):
        return made(
            "milestone_verb_reached",
            f"承诺的是开工、启动；{_day(starts[0])}报道已开工或启动",
            evs=starts,
        )
    if completed and (not quantitative or ratio is None or ratio >= 1.0):
        return made("completion_reported", f"{_day(completed[-1])}报道已完成", evs=completed)
    if quantitative and ratio is not None and ratio >= 1.0:
        return made("target_met", f"报道的完成量达到目标的{ratio:.0%}")

    if ongoing:
        return _ongoing(commitment, known, progress, as_of, restated_in_later_plan, made)

    next_year = date(commitment.report.plan_year + 1, 1, 1)
    if restated_in_later_plan and as_of >= next_year:
        return made(
            "restated_in_next_plan",
            f"{commitment.report.plan_year + 1}年的工作报告再次部署了这项工作，未见完成报道",
        )
    if past_deadline:
        if quantitative and ratio is not None and 0 < ratio < 1:
            return made(
                "target_part_met_at_deadline",
                f"截止日期{_date_zh(deadline)}已过，报道的完成量为目标的{ratio:.0%}",
            )
        after = [e for e in progress if e.published_at.date() > deadline]
        if after:
            return made(
                "unfinished_after_deadline",
                f"截止日期{_date_zh(deadline)}之后，{_day(after[-1])}的报道仍称"
                f"{STAGE_LABELS[after[-1].stage]}，未见完成",
                evs=[after[-1]],
            )
        if progress:
            last = progress[-1]
            return made(
                "deadline_passed_unconfirmed",
                f"截止日期{_date_zh(deadline)}已过；最近一次报道（{_day(last)}）称"
                f"{STAGE_LABELS[last.stage]}，此后未见完成或未完成的报道，不作逾期判断",
                evs=[last],
                status=_stage_status(progress),
            )
        if known:
            return made(
                "plan_restated_only",
                f"截止日期{_date_zh(deadline)}已过，只见部署表述，未见进展报道",
            )
        return made(
            "no_evidence",
            f"截止日期{_date_zh(deadline)}已过，未找到相关报道（未见报道不等于未完成）",
        )
    if schedule == Schedule.BEHIND and ratio is not None and expected is not None:
        return made(
            "behind_schedule",
            f"报道的完成量为目标的{ratio:.0%}，低于序时进度{expected:.0%}"
            f"（已过{elapsed_months(commitment.report.plan_year, as_of)}个月÷12）",
        )
    if progress:
        last = progress[-1]
        idle = (as_of - last.published_at.date()).days
        reached = _stage_status(progress)
        if idle > stall_days:
            return made(
                "progress_then_quiet",
                f"最近一次进展报道在{_day(last)}，此后超过{stall_days}天未见新报道",
                evs=[last],
                status=reached,
            )
        rule = "progress_reported" if reached == Status.IN_PROGRESS else "start_reported"
        return made(rule, f"最近一次报道（{_day(last)}）称{STAGE_LABELS[last.stage]}")
    if known:
        return made("plan_restated_only", "只见部署表述，未见进展报道")
    return made("no_evidence", "未找到相关报道")


def _ongoing(
    commitment: Commitment,
    known: list[CountedEvidence],
    progress: list[CountedEvidence],
    as_of: date,
    restated: bool,
    made: Callable[..., Decision],
) -> Decision:
    """A commitment without a finish line: its latest evidence, never a deadline."""
    again = (
        f"；{commitment.report.plan_year + 1}年工作报告继续部署"
        if restated and as_of >= date(commitment.report.plan_year + 1, 1, 1)
        else ""
    )
    if progress:
        last = progress[-1]
        return made(
            "ongoing_progress",
            f"持续性工作，没有完成节点；最近一次报道（{_day(last)}）称"
            f"{STAGE_LABELS[last.stage]}{again}",
            evs=[last],
        )
    if known:
        return made("plan_restated_only", f"持续性工作，只见部署表述，未见进展报道{again}")
    return made("no_evidence", f"持续性工作，未找到相关报道{again}")


def _stage_status(progress: list[CountedEvidence]) -> Status:
    """推进中 once any report says the work is under way, else 已启动."""
    if any(e.stage == Stage.IN_PROGRESS for e in progress):
        return Status.IN_PROGRESS
    return Status.STARTED


def _is_start_milestone(commitment: Commitment) -> bool:
    verbs = commitment.verbs or []
    return bool(verbs) and all(v in START_VERBS for v in verbs)
