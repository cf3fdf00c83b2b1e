"""Every commitment's summary, as the list, the exports and the filters read it:
the API's read model.

Rebuilt only when the ledger changed (`read_model.ledger_version`, read through a
`LedgerVersionWatch`): a busy API must not redo it per request, and a version read
from the database keeps every replica truthful. Filtering is on the built
summaries, in memory: there are a few hundred. The list endpoint's answers are
kept too, rendered (JSON body and ETag) once per ledger version and query, so a
repeated request costs a dictionary look-up and never a thread or a query.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from services.tracker.api.etag import etag_of
from services.tracker.api.rendered_answers import RenderedAnswers, RenderedPage
from services.tracker.api.schemas import CommitmentBase, CommitmentSummary, Page
from services.tracker.ledger.models import CommitmentRow, StatusRow
from services.tracker.ledger.read_model import (
    LedgerVersion,
    all_commitments,
    current_statuses,
    latest_evidence,
    ledger_version,
)
from services.tracker.ledger.version_watch import LedgerVersionWatch
from services.tracker.status_rules import Status

SECTION_SEPARATOR = " › "


def commitment_base(
    c: CommitmentRow, auto: StatusRow | None, manual: StatusRow | None
) -> dict[str, object]:
    """The fields of `CommitmentBase`, from the row and its newest decisions."""
    return {
        "id": c.id,
        "report": c.report_id,
        "plan_year": c.plan_year,
        "section": c.section,
        "text": c.text,
        "kind": c.kind,
        "deadline": c.deadline,
        "targets": c.targets,
        "retired": c.retired,
        "status": (manual.status if manual else None)
        or (auto.status if auto else Status.NO_EVIDENCE.value),
        "auto_status": auto.status if auto else Status.NO_EVIDENCE.value,
        "manual_status": manual.status if manual else None,
        "schedule": auto.schedule if auto else None,
        "progress_ratio": auto.progress_ratio if auto else None,
        "status_reasons": auto.reasons if auto else [],
        "status_as_of": auto.as_of if auto else None,
    }


def section_path(summary: CommitmentBase) -> str:
    return SECTION_SEPARATOR.join(summary.section)


@dataclass(frozen=True)
class SummaryQuery:
    """The list endpoint's filters and page."""

    report: str | None = None
    section: str | None = None
    kind: str | None = None
    q: str | None = None
    status: str | None = None
    offset: int = 0
    limit: int = 50


class CommitmentSummaries:
    """The cache of summaries, ordered newest plan first, then as the report states them."""

    def __init__(
        self, catalog_order: Iterable[str], watch: LedgerVersionWatch | None = None
    ) -> None:
        self._position = {cid: i for i, cid in enumerate(catalog_order)}
        self._watch = watch
        self._version: LedgerVersion | None = None
        self._items: list[CommitmentSummary] = []
        self._pages: RenderedAnswers[SummaryQuery, RenderedPage] = RenderedAnswers()
        self._lock = threading.Lock()

    def all(self, db: Session) -> list[CommitmentSummary]:
        version = self._watch.current() if self._watch is not None else ledger_version(db)
        return self._items_at(db, version)

    def _items_at(self, db: Session, version: LedgerVersion) -> list[CommitmentSummary]:
        with self._lock:
            if version != self._version:
                self._items = self._build(db)
                self._version = version
            return self._items

    async def page(self, sessions: sessionmaker[Session], query: SummaryQuery) -> RenderedPage:
        """One page of the list, rendered; from memory while the ledger is unchanged."""
        if self._watch is None:
            raise RuntimeError("pages are served with a LedgerVersionWatch")
        version = await self._watch.current_async()

        def render() -> RenderedPage:
            with sessions() as db:
                built = self._items_at(db, version)
            items = [item for item in built if _keeps(query, item)]
            page = Page[CommitmentSummary](
                total=len(items),
                offset=query.offset,
                limit=query.limit,
                items=items[query.offset : query.offset + query.limit],
            )
            body = page.model_dump_json().encode()
            return RenderedPage(body, etag_of(body))

        return await self._pages.answer(version, query, render)

    def _build(self, db: Session) -> list[CommitmentSummary]:
        auto, manual = current_statuses(db), current_statuses(db, manual=True)
        latest = latest_evidence(db)
        items = [
            CommitmentSummary.model_validate(
                {
                    **commitment_base(c, auto.get(c.id), manual.get(c.id)),
                    "latest_evidence": latest.get(c.id),
                }
            )
            for c in all_commitments(db)
        ]
        last = len(self._position)
        items.sort(key=lambda i: (-i.plan_year, self._position.get(i.id, last)))
        return items

    def matching(
        self,
        db: Session,
        *,
        report: str | None = None,
        section: str | None = None,
        kind: str | None = None,
        q: str | None = None,
        status: str | None = None,
    ) -> list[CommitmentSummary]:
        query = SummaryQuery(report=report, section=section, kind=kind, q=q, status=status)
        return [item for item in self.all(db) if _keeps(query, item)]


def _keeps(query: SummaryQuery, item: CommitmentSummary) -> bool:
    path = section_path(item)
    return (
        (not query.report or item.report == query.report)
        and (not query.section or query.section in path)
        and (not query.kind or item.kind == query.kind)
        and (not query.q or query.q in item.text or query.q in path)
        and (query.status is None or item.status == query.status)
    )
