"""Read-side queries shared by the API, the metrics collector and the exports."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.tracker.models import StatusRow


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
