"""The crawler's own store: one SQLAlchemy database (a SQLite file by default).

It holds what the crawler must remember between polls and across crashes: the
pages it has seen (``crawler_pages``), how far each column has been read
(``crawler_columns``), and the embedded mode's hand-off queue
(``crawler_handoff``). It is deliberately not the tracker's database: the
crawler's state is its own, so neither service's schema changes touch the other.
The schema is small and created on open (``create_all``); ``SCHEMA_VERSION`` in
``crawler_meta`` says which shape a file has, for a later migration.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed transaction is in
the WAL when the commit returns, so it survives a SIGKILL of any process (the
hand-off queue relies on that); the WAL is fsynced at checkpoints, not at every
commit. A power cut may lose the last commits, but never part of one, and only the
last ones (the database comes back as it was at an earlier commit): an article's
hand-off entry and its seen mark are one transaction, so a lost commit makes the
next poll fetch the article again, and a lost acknowledgement of the parent's
makes it feed the entry again (the tracker's ingest is idempotent by
``evidence_id``). With the broker or an output file as the sink, a lost seen mark
means the article is delivered a second time, never lost. Per article this spares
the two fsyncs the hand-off cost before (last session's profile: 20 of 87 s).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.db_types import UtcDateTime

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class CrawlerBase(DeclarativeBase):
    """The crawler's metadata; nothing else lives in its store."""


class CrawlerMeta(CrawlerBase):
    __tablename__ = "crawler_meta"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class CrawlerPage(CrawlerBase):
    """One article address the crawler has fetched (or tried to)."""

    __tablename__ = "crawler_pages"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    article_id: Mapped[str] = mapped_column(String(32), index=True)
    # The address as listed (``url`` is canonical: https, no fragment), for retries.
    fetch_url: Mapped[str | None] = mapped_column(String(1000))
    column_id: Mapped[str | None] = mapped_column(String(40))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    html_sha256: Mapped[str | None] = mapped_column(String(64))
    # Hash of title + clean text: what "changed content" and "duplicate story" mean.
    text_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    list_title: Mapped[str | None] = mapped_column(String(500))
    list_date: Mapped[str | None] = mapped_column(String(10))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20), default="new")
    note: Mapped[str | None] = mapped_column(String(500))
    duplicate_of: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_fetched: Mapped[datetime] = mapped_column(UtcDateTime)
    # Delivered durably downstream (broker ack, hand-off queue, or output file).
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Retries on later polls of a page that failed (5xx or timeout after retries).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    gave_up: Mapped[bool] = mapped_column(Boolean, default=False)


class CrawlerColumn(CrawlerBase):
    """How far one column's list has been read completely (a ``paging.ColumnMark``)."""

    __tablename__ = "crawler_columns"

    column_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    newest_date: Mapped[str | None] = mapped_column(String(10))
    backfill_done: Mapped[bool] = mapped_column(Boolean, default=False)
    mark: Mapped[str] = mapped_column(Text, default="{}")  # the whole ColumnMark, as JSON
    list_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HandoffEntry(CrawlerBase):
    """An article handed from the crawl child to the embedded pipeline, until acknowledged."""

    __tablename__ = "crawler_handoff"
    __table_args__ = (UniqueConstraint("article_id", "html_sha256"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(32))
    html_sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    enqueued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # "ready" until the downstream stored it (then deleted); "dead" when it was refused.
    state: Mapped[str] = mapped_column(String(10), default="ready")
    note: Mapped[str | None] = mapped_column(String(500))


def open_state(url: str) -> Engine:
    """Engine on the crawler's store, with the tables created (idempotent)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: DBAPIConnection, _record: object) -> None:
            # WAL: the embedded parent drains the queue while the crawl child writes.
            # synchronous=NORMAL: a commit outlives its process; see the module's text.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    else:
        engine = create_engine(url, pool_pre_ping=True)
    try:
        CrawlerBase.metadata.create_all(engine)
        with engine.begin() as connection:
            found = connection.scalar(select(CrawlerMeta.value).where(CrawlerMeta.key == "schema"))
            if found is None:
                connection.execute(
                    insert(CrawlerMeta).values(key="schema", value=str(SCHEMA_VERSION))
                )
    except (IntegrityError, OperationalError):
        # Another process (the parent or a crawl child) created it at the same moment.
        CrawlerBase.metadata.create_all(engine)
    return engine
