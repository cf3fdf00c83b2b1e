"""Evidence events for tracker tests, built from a few fields."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from services.events import (
    CHINA_TZ,
    EvidenceFound,
    Figure,
    Progress,
    Regression,
    Stage,
    article_id_for,
    evidence_id_for,
)
from tests.catalog_fixtures import mini_by_id

if TYPE_CHECKING:
    from services.tracker.service import TrackerService


def make_evidence(
    commitment_id: str,
    url: str,
    day: str,
    stage: Stage,
    *,
    confidence: float = 0.9,
    revision: str = "r1",
    done: float | None = None,
    unit: str = "个",
    reasons: tuple[str, ...] = (),
    regression: Regression | None = None,
    title: str = "测试文章",
    quote: str = "引文",
) -> EvidenceFound:
    article_id = article_id_for(url)
    figures = (
        [Figure(value=done, unit=unit, text=f"{done:g}{unit}", role="done")]
        if done is not None
        else []
    )
    # Progress against the mini catalog's target, as the extractor computes it.
    commitment = mini_by_id().get(commitment_id)
    target = commitment.targets[0] if commitment and commitment.targets else None
    return EvidenceFound(
        evidence_id=evidence_id_for(commitment_id, article_id, revision),
        commitment_id=commitment_id,
        article_id=article_id,
        url=url,
        title=title,
        published_at=datetime.combine(date.fromisoformat(day), time(9), CHINA_TZ),
        quote=quote,
        quote_start=0,
        quote_end=len(quote),
        stage=stage,
        figures=figures,
        confidence=confidence,
        reasons=list(reasons),
        regression=regression,
        progress=Progress.toward(target, figures),
        html_sha256=revision,
        extractor_version="test",
    )


# Reports dated after the 2025 deadlines saying the work goes on: the evidence that makes
# a commitment overdue (silence never does).
AFTER_DEADLINE_DAY = "2026-01-10"
MINI_2025 = ("t25-old-housing", "t25-dead-end-roads", "t25-green-axis", "t25-science-park",
             "t25-school", "t25-gdp")  # fmt: skip


def report_unfinished_after_deadline(
    tracker: TrackerService,
    commitment_ids: tuple[str, ...] = MINI_2025,
    stored_as_of: date = date(2025, 6, 1),
) -> None:
    """Store a still-in-progress report from January 2026 for each commitment, while the
    tracker's day is still `stored_as_of`: nothing changes now, and a re-evaluation after
    that January day turns each of them overdue."""
    batch = [
        make_evidence(cid, f"https://www.luqiao.gov.cn/art/2026/1/10/{cid}.html",
                      AFTER_DEADLINE_DAY, Stage.IN_PROGRESS)
        for cid in commitment_ids
    ]  # fmt: skip
    tracker.handle_batch(batch, as_of=stored_as_of)
