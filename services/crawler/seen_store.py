"""What the crawler has already fetched and delivered: one row per article address.

A row is written as "published" only after the article reached its downstream
durably (the broker acknowledged it, it is committed in the hand-off queue, or
it is flushed to the output file), so an outage or a crash never makes the
crawler forget an article it did not deliver. A page that failed (5xx or a
timeout after Scrapy's retries) is kept as "failed" with a time for its next
attempt on a later poll, doubling, until it is given up after a number of
failures; giving up is counted and reported, never silent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.events import canonical_url

from .state_db import CrawlerPage, open_state, utcnow


@dataclass(frozen=True)
class SeenPage:
    """A detached copy of a row, safe to use after the session closed."""

    url: str
    article_id: str
    fetch_url: str | None
    column_id: str | None
    etag: str | None
    last_modified: str | None
    html_sha256: str | None
    text_sha256: str | None
    list_title: str | None
    list_date: str | None
    published_at: datetime | None
    http_status: int | None
    outcome: str
    published: bool
    failures: int
    next_attempt_at: datetime | None
    gave_up: bool

    @classmethod
    def of(cls, row: CrawlerPage) -> SeenPage:
        return cls(
            url=row.url,
            article_id=row.article_id,
            fetch_url=row.fetch_url,
            column_id=row.column_id,
            etag=row.etag,
            last_modified=row.last_modified,
            html_sha256=row.html_sha256,
            text_sha256=row.text_sha256,
            list_title=row.list_title,
            list_date=row.list_date,
            published_at=row.published_at,
            http_status=row.http_status,
            outcome=row.outcome,
            published=row.published,
            failures=row.failures or 0,
            next_attempt_at=row.next_attempt_at,
            gave_up=bool(row.gave_up),
        )

    def retry_due(self, now: datetime) -> bool:
        """Listed but never fetched (a crawl ended first), or failed with its retry due."""
        if self.published or self.gave_up:
            return False
        if self.outcome == "listed":
            return True
        if self.outcome != "failed":
            return False
        return self.next_attempt_at is None or self.next_attempt_at <= now


@dataclass(frozen=True)
class FailureRecorded:
    failures: int
    gave_up: bool


class SeenStore:
    """Reads and writes crawler_pages; every call is its own short transaction."""

    def __init__(self, state_url: str) -> None:
        self.engine = open_state(state_url)

    def close(self) -> None:
        self.engine.dispose()

    def get(self, url: str) -> SeenPage | None:
        with Session(self.engine) as session:
            row = session.get(CrawlerPage, url)
            return SeenPage.of(row) if row else None

    def get_many(self, urls: Iterable[str]) -> dict[str, SeenPage]:
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return {}
        with Session(self.engine) as session:
            rows = session.scalars(select(CrawlerPage).where(CrawlerPage.url.in_(wanted)))
            return {row.url: SeenPage.of(row) for row in rows}

    def published_with_text(self, text_sha256: str, other_than: str) -> str | None:
        """article_id of another published page with the same story, if any."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(CrawlerPage)
                .where(CrawlerPage.text_sha256 == text_sha256)
                .where(CrawlerPage.published.is_(True))
                .where(CrawlerPage.url != other_than)
                .limit(1)
            ).first()
            return row.article_id if row else None

    def due_retries(self, now: datetime | None = None) -> list[SeenPage]:
        """Failed pages to try again on this poll."""
        now = now or utcnow()
        with Session(self.engine) as session:
            rows = session.scalars(
                select(CrawlerPage)
                .where(CrawlerPage.outcome.in_(("failed", "listed")))
                .where(CrawlerPage.gave_up.is_(False))
                .where(CrawlerPage.published.is_(False))
            )
            return [page for page in map(SeenPage.of, rows) if page.retry_due(now)]

    def mark_listed(
        self, entries: Iterable[tuple[str, str, str | None, str | None]], column_id: str | None
    ) -> None:
        """Rows (outcome "listed") for pages about to be fetched for the first time.

        ``entries`` are (address as listed, article id, list title, list date). A page
        that already has a row keeps it.
        """
        now = utcnow()
        wanted = {canonical_url(url): entry for entry in entries for url in [entry[0]]}
        if not wanted:
            return
        with Session(self.engine) as session, session.begin():
            known = set(session.scalars(select(CrawlerPage.url).where(CrawlerPage.url.in_(wanted))))
            for key, (fetch_url, article_id, title, listed_on) in wanted.items():
                if key in known:
                    continue
                row = self._row(session, key, article_id, "listed", now)
                row.fetch_url = fetch_url
                row.list_title = title
                row.list_date = listed_on
                row.column_id = column_id

    def count_given_up(self) -> int:
        with Session(self.engine) as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(CrawlerPage).where(CrawlerPage.gave_up)
                )
                or 0
            )

    def record(
        self,
        url: str,
        article_id: str,
        *,
        outcome: str,
        published: bool | None = None,
        session: Session | None = None,
        **fields: Any,
    ) -> None:
        """Insert or update one page's row; ``published`` only ever moves to True here.

        Any outcome other than "failed" ends a page's retries. With ``session`` the row is
        written in the caller's transaction (committed with what else the caller writes,
        e.g. the hand-off entry of the article it marks published); without, in its own.
        """
        if session is not None:
            self._write(session, url, article_id, outcome, published, fields)
            return
        with Session(self.engine) as own, own.begin():
            self._write(own, url, article_id, outcome, published, fields)

    def _write(
        self,
        session: Session,
        url: str,
        article_id: str,
        outcome: str,
        published: bool | None,
        fields: dict[str, Any],
    ) -> None:
        now = utcnow()
        row = self._row(session, url, article_id, outcome, now)
        row.outcome = outcome
        row.last_fetched = now
        row.failures = 0
        row.next_attempt_at = None
        row.gave_up = False
        if published is not None:
            row.published = row.published or published
        _set(row, fields)

    def record_failure(
        self,
        url: str,
        article_id: str,
        *,
        note: str,
        retry_after: timedelta,
        give_up_after: int,
        **fields: object,
    ) -> FailureRecorded:
        """One more failed poll for a page: next attempt after ``retry_after`` × 2^(n-1)."""
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            row = self._row(session, url, article_id, "failed", now)
            if row.published:
                # An update of a published page failed: the published copy stands.
                row.note = note[:500]
                return FailureRecorded(row.failures or 0, False)
            row.outcome = "failed"
            row.last_fetched = now
            row.note = note[:500]
            row.failures = (row.failures or 0) + 1
            row.gave_up = row.failures >= give_up_after
            row.next_attempt_at = now + retry_after * (2 ** (row.failures - 1))
            _set(row, fields)
            return FailureRecorded(row.failures, row.gave_up)

    @staticmethod
    def _row(
        session: Session, url: str, article_id: str, outcome: str, now: datetime
    ) -> CrawlerPage:
        row = session.get(CrawlerPage, url)
        if row is None:
            row = CrawlerPage(
                url=url,
                article_id=article_id,
                first_seen=now,
                last_fetched=now,
                published=False,
                outcome=outcome,
                failures=0,
                gave_up=False,
            )
            session.add(row)
        return row


def _set(row: CrawlerPage, fields: dict[str, object]) -> None:
    for key, value in fields.items():
        if not hasattr(CrawlerPage, key):
            raise AttributeError(f"crawler_pages has no column {key!r}")
        setattr(row, key, value)
