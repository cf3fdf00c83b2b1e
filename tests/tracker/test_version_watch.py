"""When the read model re-reads the ledger's version (ledger/version_watch.py), on
SQLite and PostgreSQL: this process's own commits at once, another process's within
`max_age` (a clock the test moves), every time with ``max_age=0``."""

from __future__ import annotations

from datetime import date

from services.events import Stage
from services.tracker.ledger.version_watch import LedgerVersionWatch
from services.tracker.service import TrackerService
from tests.catalog_fixtures import mini_catalog
from tests.tracker.evidence_factory import make_evidence

URL = "https://www.luqiao.gov.cn/art/2025/6/1/art_1229_7.html"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _other_replica(tracker: TrackerService) -> TrackerService:
    """A second tracker on the same database, with its own engine and sessions."""
    return TrackerService(tracker.settings, catalog=list(mini_catalog()))


def test_this_process_commits_are_seen_at_once(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    watch = LedgerVersionWatch(tracker.sessions, max_age=3600.0, clock=Clock())
    before = watch.current()
    assert watch.current() == before
    tracker.handle_batch(
        [make_evidence("t25-school", URL, "2025-06-01", Stage.STARTED)], as_of=date(2025, 6, 2)
    )
    assert watch.current() != before


def test_another_process_commits_are_seen_within_max_age(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    clock = Clock()
    watch = LedgerVersionWatch(tracker.sessions, max_age=0.25, clock=clock)
    before = watch.current()
    other = _other_replica(tracker)
    try:
        other.handle_batch(
            [make_evidence("t25-school", URL, "2025-06-01", Stage.STARTED)],
            as_of=date(2025, 6, 2),
        )
        clock.now += 0.2
        assert watch.current() == before  # still within max_age: the last read stands
        clock.now += 0.05
        assert watch.current() != before
    finally:
        other.engine.dispose()


def test_max_age_zero_reads_every_time(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    watch = LedgerVersionWatch(tracker.sessions, max_age=0.0, clock=Clock())
    before = watch.current()
    other = _other_replica(tracker)
    try:
        other.handle_batch(
            [make_evidence("t25-school", URL, "2025-06-01", Stage.STARTED)],
            as_of=date(2025, 6, 2),
        )
        assert watch.current() != before
    finally:
        other.engine.dispose()
