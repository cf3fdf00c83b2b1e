"""One commitment in full (`GET /api/commitments/{id}`), as the read model serves it.

The detail page reads five queries (the row, two newest decisions, a page of
evidence, its count, the history) and renders a body of up to hundreds of
evidence items; under load that ran at ~100 requests/s. Like the list, each answer
is rendered once per ledger version and query (id and evidence page) and then
served from memory, with its ETag, on the event loop without a thread or a query.
An unknown id is kept too (as ``None``, a 404), so asking for it again is as cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from services.tracker.api.etag import etag_of
from services.tracker.api.rendered_answers import RenderedAnswers, RenderedPage
from services.tracker.api.schemas import (
    CommitmentDetail,
    EvidenceOut,
    StatusOut,
    TargetProgress,
)
from services.tracker.api.summaries import commitment_base
from services.tracker.ledger import read_model, store
from services.tracker.ledger.models import CommitmentRow
from services.tracker.ledger.version_watch import LedgerVersionWatch


@dataclass(frozen=True)
class DetailQuery:
    """Which commitment, and which page of its evidence (newest first)."""

    commitment_id: str
    evidence_offset: int = 0
    evidence_limit: int = 100


def commitment_detail(db: Session, query: DetailQuery) -> CommitmentDetail | None:
    """The commitment with one page of its evidence and every decision; None when
    there is no such commitment."""
    c = db.get(CommitmentRow, query.commitment_id)
    if c is None:
        return None
    auto = store.latest_status(db, c.id)
    manual = store.latest_status(db, c.id, manual=True)
    evidence = read_model.evidence_of(
        db, c.id, offset=query.evidence_offset, limit=query.evidence_limit
    )
    return CommitmentDetail.model_validate(
        {
            **commitment_base(c, auto, manual),
            "aliases": c.aliases,
            "related": c.related,
            "evidence": [EvidenceOut.model_validate(e, from_attributes=True) for e in evidence],
            "evidence_total": read_model.evidence_count(db, c.id),
            "evidence_offset": query.evidence_offset,
            "evidence_limit": query.evidence_limit,
            "status_history": [
                StatusOut.model_validate(s, from_attributes=True)
                for s in read_model.history_of(db, c.id)
            ],
            "target_progress": TargetProgress(
                targets=c.targets,
                progress_ratio=auto.progress_ratio if auto else None,
                schedule=auto.schedule if auto else None,
            ),
        }
    )


class CommitmentDetails:
    """The rendered details, per ledger version (read through the API's one watch)."""

    def __init__(self, watch: LedgerVersionWatch) -> None:
        self._watch = watch
        self._answers: RenderedAnswers[DetailQuery, RenderedPage | None] = RenderedAnswers()

    async def page(
        self, sessions: sessionmaker[Session], query: DetailQuery
    ) -> RenderedPage | None:
        """The rendered detail, or None for an unknown id; from memory while the
        ledger is unchanged."""
        version = await self._watch.current_async()

        def render() -> RenderedPage | None:
            with sessions() as db:  # read after `version`: at least as new as it
                detail = commitment_detail(db, query)
            if detail is None:
                return None
            body = detail.model_dump_json().encode()
            return RenderedPage(body, etag_of(body))

        return await self._answers.answer(version, query, render)
