"""Read-side queries shared by the API, the metrics collector and the exports."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.tracker.models import EvidenceRow, StatusRow


def current_statuses(session: Session, *, manual: bool = False) -> dict[str, StatusRow]:
    """The newest automatic (or manual) decision per commitment."""
    newest = (
        select(StatusRow.commitment_id, func.max(StatusRow.id).label("id"))
        .where(StatusRow.manual.is_(manual))
        .group_by(StatusRow.commitment_id)
        .subquery()
    )
    rows = session.scalars(select(StatusRow).join(newest, StatusRow.id == newest.c.id)).all()
    return {r.commitment_id: r for r in rows}


def latest_evidence(session: Session) -> dict[str, dict[str, str]]:
    """Per commitment, the newest evidence that counts: its quote, link and date."""
    rows = session.execute(
        select(
            EvidenceRow.commitment_id,
            EvidenceRow.quote,
            EvidenceRow.url,
            EvidenceRow.title,
            EvidenceRow.published_at,
            EvidenceRow.stage,
        )
        .where(
            EvidenceRow.superseded_by.is_(None),
            EvidenceRow.review_state.in_(("auto", "confirmed")),
        )
        .order_by(EvidenceRow.published_at)
    ).all()
    return {
        r.commitment_id: {
            "quote": r.quote,
            "url": r.url,
            "title": r.title,
            "published_at": r.published_at.date().isoformat(),
            "stage": r.stage,
        }
        for r in rows
    }
