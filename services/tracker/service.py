"""The tracker's handlers, independent of how evidence arrives.

`TrackerService` is the tracker's `Worker` (services.worker): `decode` checks
one message (version upgrade, schema, known commitment), `handle` stores a batch.
The Kafka app and the embedded one-process mode both go through
`handle_raw_batch`, poison handling included; neither has its own logic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.deadletters import PoisonMessage, decode_event
from services.events import (
    CHINA_TZ,
    CrawlReport,
    EvidenceFound,
    StatusChanged,
    upgrade_evidence_v1,
)
from services.pipeline_metrics import EVENTS_CONSUMED, HANDLER_SECONDS
from services.tracker.ledger import store as ledger
from services.tracker.ledger.database import make_engine, migrate, session_factory
from services.tracker.settings import TrackerSettings
from services.worker import BatchOutcome, RawMessage, process_batch

log = structlog.get_logger("tracker")

StatusListener = Callable[[Session, list[StatusChanged]], None]
# Crawl reports kept: enough for a week of hourly polls.
CRAWL_REPORTS_KEPT = 200


def today_in_china() -> date:
    return datetime.now(CHINA_TZ).date()


class TrackerService:
    service = "tracker"

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

    def decode(self, raw: bytes) -> EvidenceFound:
        """Bytes → evidence on a commitment of the catalog, or `PoisonMessage`.
        v2 is read as it is, v1 upgraded (`upgrade_evidence_v1`), others refused."""
        evidence = decode_event(raw, EvidenceFound, upgrades={1: self._upgrade_v1})
        if evidence.commitment_id not in self.catalog:
            raise PoisonMessage(
                f"unknown_commitment: {evidence.commitment_id!r} is not in the catalog"
            )
        return evidence

    def _upgrade_v1(self, data: dict[str, Any]) -> dict[str, Any]:
        cid = data.get("commitment_id")
        commitment = self.catalog.get(cid) if isinstance(cid, str) else None
        target = commitment.targets[0] if commitment and commitment.targets else None
        return upgrade_evidence_v1(data, target)

    def handle(self, items: list[EvidenceFound]) -> list[StatusChanged]:
        return self.handle_batch(items)

    def handle_raw_batch(self, batch: Sequence[RawMessage]) -> BatchOutcome[StatusChanged]:
        """A batch of raw evidence messages: the whole path, as the Kafka subscriber
        runs it. A database outage raises (nothing is published, the batch is
        delivered again)."""
        return process_batch(self, self.settings.evidence_topic, batch)

    def handle_raw(self, raw: bytes, key: bytes | None = None) -> BatchOutcome[StatusChanged]:
        return self.handle_raw_batch([RawMessage(raw, key)])

    def handle_evidence(
        self, evidence: EvidenceFound, as_of: date | None = None
    ) -> list[StatusChanged]:
        return self.handle_batch([evidence], as_of)

    def handle_batch(
        self, batch: Sequence[EvidenceFound], as_of: date | None = None
    ) -> list[StatusChanged]:
        """Store a batch in one transaction and re-decide each touched commitment once
        (set-based: a fixed number of statements per batch, not per event).

        Evidence already stored (a replay) touches nothing, so it changes no
        status and notifies nobody.
        """
        started = time.perf_counter()
        for ev in batch:
            if ev.commitment_id not in self.catalog:
                raise UnknownCommitment(ev.commitment_id)
        with self.sessions.begin() as session:
            new = ledger.record_evidence_batch(session, batch, self.settings.review_threshold)
            touched = [self.catalog[cid] for cid in dict.fromkeys(ev.commitment_id for ev in new)]
            changes = ledger.evaluate_many(
                session, touched, as_of or today_in_china(), stall_days=self.settings.stall_days
            )
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
        with self.sessions.begin() as session:
            changes = ledger.evaluate_many(
                session, list(self.catalog.values()), day, stall_days=self.settings.stall_days
            )
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


class CrawlReports:
    """The tracker's `Worker` for luqiao.crawls: keep each report, publish nothing."""

    service = "tracker"

    def __init__(self, tracker: TrackerService) -> None:
        self.tracker = tracker

    def decode(self, raw: bytes) -> CrawlReport:
        return decode_event(raw, CrawlReport)

    def handle(self, items: list[CrawlReport]) -> list[StatusChanged]:
        for report in items:
            self.tracker.record_crawl(report)
        return []


class UnknownCommitment(ValueError):
    def __init__(self, commitment_id: str) -> None:
        super().__init__(f"evidence names unknown commitment {commitment_id!r}")
