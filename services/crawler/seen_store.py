"""What the crawler has already fetched and published: one row per article address.

It lives in the database the tracker uses (``DATABASE_URL``) rather than a file
that CI or a container restart would lose, in a table of its own with its own
Alembic history (version table ``alembic_version_crawler``), so the two
services migrate independently. A row is written as "published" only after the
article reached Kafka (or the JSONL file), so a broker outage never makes the
crawler forget an article it did not deliver.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version_crawler"


class CrawlerBase(DeclarativeBase):
    """The crawler's own metadata, so its migrations never touch tracker tables."""


class CrawlerPage(CrawlerBase):
    __tablename__ = "crawler_pages"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    article_id: Mapped[str] = mapped_column(String(32), index=True)
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    html_sha256: Mapped[str | None] = mapped_column(String(64))
    # Hash of title + clean text: what "changed content" and "duplicate story" mean.
    text_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    list_title: Mapped[str | None] = mapped_column(String(500))
    list_date: Mapped[str | None] = mapped_column(String(10))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20), default="new")
    note: Mapped[str | None] = mapped_column(String(500))
    duplicate_of: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_fetched: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class SeenPage:
    """A detached copy of a row, safe to use after the session closed."""

    url: str
    article_id: str
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

    @classmethod
    def of(cls, row: CrawlerPage) -> SeenPage:
        return cls(
            url=row.url,
            article_id=row.article_id,
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
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the tracker read the same file while the crawler writes.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(database_url: str) -> None:
    """Bring crawler_pages to the newest revision; run at every crawler start."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(cfg, "head")


class SeenStore:
    """Reads and writes crawler_pages; every call is its own short transaction."""

    def __init__(self, database_url: str, *, run_migrations: bool = True) -> None:
        if run_migrations:
            migrate(database_url)
        self.engine = make_engine(database_url)

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

    def count(self) -> int:
        with Session(self.engine) as session:
            return len(session.scalars(select(CrawlerPage.url)).all())

    def record(
        self,
        url: str,
        article_id: str,
        *,
        outcome: str,
        published: bool | None = None,
        **fields: object,
    ) -> None:
        """Insert or update one page's row; ``published`` only ever moves to True here."""
        now = _utcnow()
        with Session(self.engine) as session, session.begin():
            row = session.get(CrawlerPage, url)
            if row is None:
                row = CrawlerPage(
                    url=url,
                    article_id=article_id,
                    first_seen=now,
                    last_fetched=now,
                    published=False,
                    outcome=outcome,
                )
                session.add(row)
            row.outcome = outcome
            row.last_fetched = now
            if published is not None:
                row.published = row.published or published
            for key, value in fields.items():
                if not hasattr(CrawlerPage, key):
                    raise AttributeError(f"crawler_pages has no column {key!r}")
                setattr(row, key, value)
