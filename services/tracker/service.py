"""The tracker's handlers, independent of how evidence arrives.

The Kafka app (`app.py`) and the embedded one-process mode both call
`TrackerService.handle_batch`; neither has its own logic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.events import CHINA_TZ, CrawlReport, EvidenceFound, StatusChanged
from services.pipeline_metrics import EVENTS_CONSUMED, HANDLER_SECONDS
from services.tracker.ledger import store as ledger
from services.tracker.ledger.database import make_engine, migrate, session_factory
from services.tracker.settings import TrackerSettings

log = structlog.get_logger("tracker")

StatusListener = Callable[[Session, list[StatusChanged]], None]
# Crawl reports kept: enough for a week of hourly polls.
CRAWL_REPORTS_KEPT = 200


def today_in_china() -> date:
    return datetime.now(CHINA_TZ).date()


class TrackerService:
    def __init__(
        self,
        settings: TrackerSettings,
        catalog: Sequence[Commitment] | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = {c.id: c for c in (catalog if catalog is not None else load_catalog())}
        self.engine = engine or make_engine(settings.database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.listeners: list[StatusListener] = []

    def start(self, as_of: date | None = None) -> list[StatusChanged]:
        """Migrate, load the catalog, and decide every status once, so deadlines
        that passed before the first run show as overdue at once."""
        migrate(self.engine)
        with self.sessions.begin() as session:
            kept, retired = ledger.sync_catalog(session, self.catalog.values())
        log.info("catalog synced", commitments=kept, retired=retired)
        return self.reevaluate(as_of)

    def add_listener(self, listener: StatusListener) -> None:
        """Called inside the same transaction as the status change (outbox style)."""
        self.listeners.append(listener)

    def handle_evidence(
        self, evidence: EvidenceFound, as_of: date | None = None
    ) -> list[StatusChanged]:
        return self.handle_batch([evidence], as_of)

    def handle_batch(
        self, batch: Sequence[EvidenceFound], as_of: date | None = None
    ) -> list[StatusChanged]:
        """Store a batch in one transaction and re-decide each touched commitment once.

        Evidence already stored (a replay) touches nothing, so it changes no
        status and notifies nobody.
        """
        started = time.perf_counter()
        for ev in batch:
            if ev.commitment_id not in self.catalog:
                raise UnknownCommitment(ev.commitment_id)
        changes: list[StatusChanged] = []
        with self.sessions.begin() as session:
            new = ledger.record_evidence_batch(session, batch, self.settings.review_threshold)
            touched = dict.fromkeys(ev.commitment_id for ev in new)
            day = as_of or today_in_china()
            for cid in touched:
                change = ledger.evaluate(
                    session, self.catalog[cid], day, stall_days=self.settings.stall_days
                )
                if change is not None:
                    changes.append(change)
            if changes:
                self._notify(session, changes)
        EVENTS_CONSUMED.labels(service="tracker", topic="evidence").inc(len(batch))
        HANDLER_SECONDS.labels(service="tracker", handler="evidence_batch").observe(
            time.perf_counter() - started
        )
        return changes

    def reevaluate(self, as_of: date | None = None) -> list[StatusChanged]:
        """Daily pass: deadlines and stalls change status without new evidence."""
        day = as_of or today_in_china()
        changes: list[StatusChanged] = []
        with self.sessions.begin() as session:
            for commitment in self.catalog.values():
                change = ledger.evaluate(
                    session, commitment, day, stall_days=self.settings.stall_days
                )
                if change is not None:
                    changes.append(change)
            if changes:
                self._notify(session, changes)
        log.info("statuses re-evaluated", as_of=day.isoformat(), changed=len(changes))
        return changes

    def review(
        self,
        commitment_id: str,
        decision: str,
        reviewer: str,
        note: str,
        *,
        evidence_id: str | None,
        status: object | None,
        as_of: date,
    ) -> list[StatusChanged]:
        """An auditor confirms or rejects evidence in the review queue, or sets a manual
        status; stored with the reviewer, and the status is re-decided at once."""
        commitment = self.catalog[commitment_id]
        with self.sessions.begin() as session:
            if decision in ("confirm", "reject"):
                if evidence_id is None:
                    raise ValueError("evidence_id is required to confirm or reject evidence")
                ledger.record_review(
                    session, commitment_id, evidence_id, decision == "confirm", reviewer, note
                )
                change = ledger.evaluate(
                    session, commitment, as_of, stall_days=self.settings.stall_days
                )
                changes = [change] if change else []
            else:
                if status is None:
                    raise ValueError("status is required for set_status")
                value = str(getattr(status, "value", status))
                changes = [
                    ledger.record_manual_status(
                        session, commitment_id, value, reviewer, note, as_of
                    )
                ]
            if changes:
                self._notify(session, changes)
        return changes

    def record_crawl(self, report: CrawlReport) -> None:
        """Keep the crawler's report of one poll (idempotent on crawl_id) and drop the
        oldest beyond `CRAWL_REPORTS_KEPT`: the page's banner and the
        luqiao_crawl_* metrics read the newest."""
        with self.sessions.begin() as session:
            ledger.record_crawl_report(session, report, keep=CRAWL_REPORTS_KEPT)
        EVENTS_CONSUMED.labels(service="tracker", topic="crawls").inc()
        log.info("crawl report", crawl_id=report.crawl_id, ok=report.ok, seen=report.articles_seen)

    def _notify(self, session: Session, changes: list[StatusChanged]) -> None:
        for listener in self.listeners:
            listener(session, changes)


class UnknownCommitment(ValueError):
    def __init__(self, commitment_id: str) -> None:
        super().__init__(f"evidence names unknown commitment {commitment_id!r}")
