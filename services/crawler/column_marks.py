"""Per column, how far its list has been read completely (the ``paging.ColumnMark``)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from .paging import ColumnMark, Resume
from .state_db import CrawlerColumn, open_state, utcnow


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _resume_json(resume: Resume | None) -> dict[str, Any] | None:
    if resume is None:
        return None
    return {
        "position": resume.position,
        "total": resume.total,
        "last_date": resume.last_date.isoformat() if resume.last_date else None,
        "until": resume.until.isoformat() if resume.until else None,
    }


def _resume(data: dict[str, Any] | None) -> Resume | None:
    if not data:
        return None
    return Resume(
        position=int(data["position"]),
        total=data.get("total"),
        last_date=_day(data.get("last_date")),
        until=_day(data.get("until")),
    )


def mark_to_json(mark: ColumnMark) -> str:
    return json.dumps(
        {
            "newest": mark.newest.isoformat() if mark.newest else None,
            "oldest": mark.oldest.isoformat() if mark.oldest else None,
            "backfill_done": mark.backfill_done,
            "backfill": _resume_json(mark.backfill),
            "gap": _resume_json(mark.gap),
        }
    )


def mark_from_json(text: str) -> ColumnMark:
    data = json.loads(text or "{}")
    return ColumnMark(
        newest=_day(data.get("newest")),
        oldest=_day(data.get("oldest")),
        backfill_done=bool(data.get("backfill_done")),
        backfill=_resume(data.get("backfill")),
        gap=_resume(data.get("gap")),
    )


class ColumnMarks:
    def __init__(self, state_url: str) -> None:
        self.engine = open_state(state_url)

    def close(self) -> None:
        self.engine.dispose()

    def get(self, column_id: str) -> ColumnMark:
        with Session(self.engine) as session:
            row = session.get(CrawlerColumn, column_id)
            return mark_from_json(row.mark) if row is not None else ColumnMark()

    def save(self, column_id: str, mark: ColumnMark, *, name: str | None, error: str | None) -> int:
        """Store the mark a poll left; returns for how many polls in a row the list failed."""
        with Session(self.engine) as session, session.begin():
            row = session.get(CrawlerColumn, column_id)
            if row is None:
                row = CrawlerColumn(column_id=column_id, list_failures=0, updated_at=utcnow())
                session.add(row)
            row.name = name or row.name
            row.newest_date = mark.newest.isoformat() if mark.newest else None
            row.backfill_done = mark.backfill_done
            row.mark = mark_to_json(mark)
            row.list_failures = (row.list_failures or 0) + 1 if error else 0
            row.last_error = error[:500] if error else None
            row.updated_at = utcnow()
            return row.list_failures
