"""Per column, how far its list has been read completely (the ``paging.ColumnMark``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from .paging import ColumnMark
from .state_db import CrawlerColumn, open_state, utcnow


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class ColumnMarks:
    def __init__(self, state_url: str) -> None:
        self.engine = open_state(state_url)

    def close(self) -> None:
        self.engine.dispose()

    def get(self, column_id: str) -> ColumnMark:
        with Session(self.engine) as session:
            row = session.get(CrawlerColumn, column_id)
            if row is None:
                return ColumnMark()
            return ColumnMark(
                newest=_date(row.newest_date),
                oldest=_date(row.oldest_date),
                backfill_done=row.backfill_done,
                resume_position=row.resume_position,
                resume_total=row.resume_total,
            )

    def save(
        self, column_id: str, mark: ColumnMark, *, name: str | None, error: str | None
    ) -> None:
        """Store the mark a poll left, and whether its list read failed (consecutive count)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(CrawlerColumn, column_id)
            if row is None:
                row = CrawlerColumn(column_id=column_id, list_failures=0, updated_at=utcnow())
                session.add(row)
            row.name = name or row.name
            row.newest_date = mark.newest.isoformat() if mark.newest else None
            row.oldest_date = mark.oldest.isoformat() if mark.oldest else None
            row.backfill_done = mark.backfill_done
            row.resume_position = mark.resume_position
            row.resume_total = mark.resume_total
            row.list_failures = (row.list_failures or 0) + 1 if error else 0
            row.last_error = error[:500] if error else None
            row.updated_at = utcnow()
