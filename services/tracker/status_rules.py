"""How a commitment's status is decided from its evidence, as of a date.

Pure: plain values in, a `Decision` out. Every rule names itself and gives
its reasons, which the ledger stores beside the status so the history can be
read by a person. Rules are tried in the order of `decide`; the first that
applies wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from services.catalog.model import Commitment
from services.events import Stage

REGRESSION_CODES = ("延期", "暂缓", "调整")
# A milestone whose verb is one of these is reached when work starts.
START_VERBS = ("开工", "启动", "开建", "动工")


class Status(StrEnum):
    NO_EVIDENCE = "no_evidence"
    PLANNED_ONLY = "planned_only"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    PARTIALLY_ACHIEVED = "partially_achieved"
    STALLED = "stalled"
    OVERDUE = "overdue"
    CARRIED_OVER = "carried_over"
    DISPUTED = "disputed"


class Schedule(StrEnum):
    BEHIND = "欠进度"
    ON = "达进度"
    AHEAD = "超进度"


@dataclass(frozen=True)
class CountedEvidence:
    """Evidence that counts (auto-accepted or confirmed by an auditor)."""

    evidence_id: str
    stage: Stage
    published_at: datetime
    done_value: float | None = None  # progress figure in the target's unit
    percent_done: float | None = None  # "完成60%" → 0.6
    regression_code: str | None = None


@dataclass(frozen=True)
class Decision:
    status: Status
    rule: str
    reasons: list[str]
    evidence_ids: list[str] = field(default_factory=list)
    progress_ratio: float | None = None
    schedule: Schedule | None = None


SCHEDULE_TOLERANCE = 0.05
STAGE_PROGRESS = {Stage.STARTED: 0.3, Stage.IN_PROGRESS: 0.5, Stage.COMPLETED: 1.0}


def progress_ratio(commitment: Commitment, evidence: list[CountedEvidence]) -> float | None:
    """Best reported progress against the first target (3 of 4 → 0.75), or None."""
    ratios: list[float] = []
    target = commitment.targets[0] if commitment.targets else None
    for ev in evidence:
        if ev.percent_done is not None:
            ratios.append(ev.percent_done)
        elif target is not None and ev.done_value is not None and target.value > 0:
            ratios.append(ev.done_value / target.value)
    if not ratios:
        return None
    return round(min(max(ratios), 1.0), 4)


def expected_progress(commitment: Commitment, as_of: date) -> float:
    """序时进度: pro rata over the plan year up to the deadline."""
    start = date(commitment.report.plan_year, 1, 1)
    total = (commitment.deadline - start).days or 1
    elapsed = (as_of - start).days
    return min(max(elapsed / total, 0.0), 1.0)


def schedule_for(commitment: Commitment, reported: float | None, as_of: date) -> Schedule | None:
    if reported is None:
        return None
    expected = expected_progress(commitment, as_of)
    if reported + SCHEDULE_TOLERANCE < expected:
        return Schedule.BEHIND
    if reported > expected + SCHEDULE_TOLERANCE:
        return Schedule.AHEAD
    return Schedule.ON


def _reported_progress(commitment: Commitment, progress: list[CountedEvidence]) -> float | None:
    ratio = progress_ratio(commitment, progress)
    if ratio is not None:
        return ratio
    staged = [STAGE_PROGRESS[e.stage] for e in progress if e.stage in STAGE_PROGRESS]
    return max(staged) if staged else None


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
    ratio = progress_ratio(commitment, progress)
    reported = _reported_progress(commitment, progress)
    past_deadline = as_of > commitment.deadline
    schedule = None if past_deadline else schedule_for(commitment, reported, as_of)
    ids = [e.evidence_id for e in known]

    def made(
        status: Status, rule: str, *reasons: str, evs: list[CountedEvidence] | None = None
    ) -> Decision:
        used = [e.evidence_id for e in evs] if evs is not None else ids
        return Decision(status, rule, list(reasons), used, ratio, schedule)

    if delays and completed:
        last_delay, last_done = delays[-1], completed[-1]
        if abs((last_delay.published_at - last_done.published_at).days) <= 60:
            return made(
                Status.DISPUTED,
                "conflicting_evidence",
                f"completion reported {last_done.published_at.date()} and delay reported "
                f"{last_delay.published_at.date()} within 60 days",
                evs=[last_done, last_delay],
            )
    if delays and (not progress or delays[-1].published_at >= progress[-1].published_at):
        code = delays[-1].regression_code or "延期"
        return made(
            Status.STALLED,
            f"regression:{code}",
            f"latest evidence ({delays[-1].published_at.date()}) reports {code}",
            evs=[delays[-1]],
        )

    quantitative = commitment.kind == "quantitative" and bool(commitment.targets)
    starts = [e for e in progress if e.stage in (Stage.STARTED, Stage.COMPLETED)]
    if not quantitative and starts and _is_start_milestone(commitment):
        return made(
            Status.ACHIEVED,
            "milestone_verb_reached",
            f"the commitment is to start work; start reported on {starts[0].published_at.date()}",
            evs=starts,
        )
    if completed and (not quantitative or ratio is None or ratio >= 1.0):
        return made(
            Status.ACHIEVED,
            "completion_reported",
            f"completion reported on {completed[-1].published_at.date()}",
            evs=completed,
        )
    if quantitative and ratio is not None and ratio >= 1.0:
        return made(Status.ACHIEVED, "target_met", f"reported progress {ratio:.0%} of target")

    if restated_in_later_plan and as_of >= date(commitment.report.plan_year + 1, 1, 1):
        return made(
            Status.CARRIED_OVER,
            "restated_in_next_plan",
            f"restated in the {commitment.report.plan_year + 1} plan without reported completion",
        )
    if past_deadline:
        if quantitative and ratio is not None and 0 < ratio < 1:
            return made(
                Status.PARTIALLY_ACHIEVED,
                "target_part_met_at_deadline",
                f"deadline {commitment.deadline} passed at {ratio:.0%} of target",
            )
        return made(
            Status.OVERDUE,
            "deadline_passed",
            f"deadline {commitment.deadline} passed without reported achievement",
        )
    if progress:
        last = progress[-1]
        idle = (as_of - last.published_at.date()).days
        if idle > stall_days:
            return made(
                Status.STALLED,
                "no_recent_progress",
                f"no new evidence for {idle} days (limit {stall_days})",
                evs=[last],
            )
        return made(
            Status.IN_PROGRESS,
            "progress_reported",
            f"latest progress ({last.stage}) reported on {last.published_at.date()}",
        )
    if known:
        return made(
            Status.PLANNED_ONLY, "plan_restated_only", "only restatements of the plan found"
        )
    return made(Status.NO_EVIDENCE, "no_evidence", "no evidence found")


def _is_start_milestone(commitment: Commitment) -> bool:
    verbs = commitment.verbs or []
    return bool(verbs) and all(v in START_VERBS for v in verbs)
