"""The embedded mode's durable hand-off: crawl child → queue → extractor and tracker.

The crawl child appends each article it publishes and, in the same transaction,
marks the page published in its seen-store (one commit per article: a crash leaves
both or neither, so an article is neither lost nor handed over twice). The parent
process drains the queue in order, hands each article to the extractor and the
tracker, and deletes the entry only after the tracker committed its evidence. A
crash anywhere leaves the entry in the queue, and the next start drains it first;
the tracker's ingest is idempotent by ``evidence_id``, so feeding an entry twice
stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.events import ArticleFetched

from .state_db import HandoffEntry, open_state, utcnow

READY = "ready"
REFUSED = "dead"


@dataclass(frozen=True)
class QueuedArticle:
    seq: int
    article_id: str
    payload: bytes


class HandoffQueue:
    def __init__(self, state_url: str) -> None:
        self.engine = open_state(state_url)

    def close(self) -> None:
        self.engine.dispose()

    def put(self, event: ArticleFetched, also: Callable[[Session], None] | None = None) -> None:
        """Append one article, durably; the same revision already waiting is not added twice.

        ``also`` writes what must be committed together with the entry, in the same
        transaction (the crawl child marks the page published in the seen-store): one
        commit per article, and a crash leaves either both or neither.
        """
        values = {
            "article_id": event.article_id,
            "html_sha256": event.html_sha256,
            "payload": event.model_dump_json(),
            "enqueued_at": utcnow(),
            "state": READY,
        }
        with Session(self.engine) as session, session.begin():
            if self.engine.dialect.name == "sqlite":
                session.execute(
                    sqlite_insert(HandoffEntry).values(**values).on_conflict_do_nothing()
                )
            else:
                try:
                    with session.begin_nested():
                        session.add(HandoffEntry(**values))
                except IntegrityError:
                    pass
            if also is not None:
                also(session)

    def pending(self, limit: int = 100) -> list[QueuedArticle]:
        """The oldest entries not yet acknowledged, in the order they were put; at most
        ``limit`` of them, so a reader holds one chunk, however long the queue is."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(HandoffEntry)
                .where(HandoffEntry.state == READY)
                .order_by(HandoffEntry.seq)
                .limit(limit)
            )
            return [QueuedArticle(r.seq, r.article_id, r.payload.encode("utf-8")) for r in rows]

    def ack(self, seq: int) -> None:
        """The downstream stored it: the entry goes."""
        self.ack_many([seq])

    def ack_many(self, seqs: list[int]) -> None:
        """The downstream stored them all: the entries go, in one transaction."""
        if not seqs:
            return
        with Session(self.engine) as session, session.begin():
            session.execute(delete(HandoffEntry).where(HandoffEntry.seq.in_(seqs)))

    def refuse(self, seq: int, reason: str) -> None:
        """The downstream refused it (a dead letter): kept, with the reason, out of the way."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(HandoffEntry)
                .where(HandoffEntry.seq == seq)
                .values(state=REFUSED, note=reason[:500])
            )

    def count(self, state: str = READY) -> int:
        with Session(self.engine) as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(HandoffEntry)
                    .where(HandoffEntry.state == state)
                )
                or 0
            )
