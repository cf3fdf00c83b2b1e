"""Every commitment's summary, as the list, the exports and the filters read it.

Rebuilt only when the ledger changed (`read_model.ledger_version`): a busy API must
not redo it per request, and a version read from the database keeps every replica
truthful. Filtering is on the built summaries, in memory: there are a few hundred.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sqlalchemy.orm import Session

from services.tracker.api.schemas import CommitmentBase, CommitmentSummary
from services.tracker.ledger.models import CommitmentRow, StatusRow
from services.tracker.ledger.read_model import (
    LedgerVersion,
    all_commitments,
    current_statuses,
    latest_evidence,
    ledger_version,
)
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


class CommitmentSummaries:
    """The cache of summaries, ordered newest plan first, then as the report states them."""

    def __init__(self, catalog_order: Iterable[str]) -> None:
        self._position = {cid: i for i, cid in enumerate(catalog_order)}
        self._version: LedgerVersion | None = None
        self._items: list[CommitmentSummary] = []
        self._lock = threading.Lock()

    def all(self, db: Session) -> list[CommitmentSummary]:
        version = ledger_version(db)
        with self._lock:
            if version != self._version:
                self._items = self._build(db)
                self._version = version
            return self._items

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
        def keep(item: CommitmentSummary) -> bool:
            path = section_path(item)
            return (
                (not report or item.report == report)
                and (not section or section in path)
                and (not kind or item.kind == kind)
                and (not q or q in item.text or q in path)
                and (status is None or item.status == status)
            )

        return [item for item in self.all(db) if keep(item)]
