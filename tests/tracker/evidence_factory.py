"""Evidence events for tracker tests, built from a few fields."""

from __future__ import annotations

from datetime import date, datetime, time

from services.events import CHINA_TZ, EvidenceFound, Figure, Stage, article_id_for, evidence_id_for


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
) -> EvidenceFound:
    article_id = article_id_for(url)
    figures = (
        [Figure(value=done, unit=unit, text=f"{done:g}{unit}", role="done")]
        if done is not None
        else []
    )
    return EvidenceFound(
        evidence_id=evidence_id_for(commitment_id, article_id, revision),
        commitment_id=commitment_id,
        article_id=article_id,
        url=url,
        title="测试文章",
        published_at=datetime.combine(date.fromisoformat(day), time(9), CHINA_TZ),
        quote="引文",
        quote_start=0,
        quote_end=2,
        stage=stage,
        figures=figures,
        confidence=confidence,
        reasons=list(reasons),
        html_sha256=revision,
        extractor_version="test",
    )
