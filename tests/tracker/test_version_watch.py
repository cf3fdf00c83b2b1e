"""When the read model re-reads the ledger's version (ledger/version_watch.py), on
SQLite and PostgreSQL: this process's own commits at once, another process's within
`max_age` (a clock the test moves), every time with ``max_age=0``; from the event
loop, an old read served while one refresh runs in the background."""

from __future__ import annotations

import asyncio
from datetime import date

from services.events import Stage
from services.tracker.ledger.version_watch import LedgerVersionWatch
from services.tracker.service import TrackerService
from tests.catalog_fixtures import mini_catalog
from tests.tracker.evidence_factory import make_evidence

URL = "https://www.luqiao.gov.cn/art/2025/6/1/art_1229_7.html"
URL2 = "https://www.luqiao.gov.cn/art/2025/6/3/art_1229_8.html"


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


def test_from_the_event_loop_an_old_read_is_served_while_one_refresh_runs(
    tracker: TrackerService,
) -> None:
    """`current_async`: a read that is only old answers at once and starts one
    background read, whose result the next caller gets; a commit here is waited for."""
    tracker.start(as_of=date(2025, 6, 1))
    clock = Clock()
    watch = LedgerVersionWatch(tracker.sessions, max_age=0.25, clock=clock)
    other = _other_replica(tracker)

    async def scenario() -> None:
        before = await watch.current_async()
        other.handle_batch(
            [make_evidence("t25-school", URL, "2025-06-01", Stage.STARTED)],
            as_of=date(2025, 6, 2),
        )
        clock.now += 0.3
        assert await watch.current_async() == before  # old: served, refresh started
        refreshing = watch._refreshing
        assert refreshing is not None
        seen_by_refresh = await refreshing
        assert seen_by_refresh != before
        assert await watch.current_async() == seen_by_refresh
        tracker.handle_batch(
            [make_evidence("t25-school", URL2, "2025-06-03", Stage.IN_PROGRESS)],
            as_of=date(2025, 6, 4),
        )
        assert await watch.current_async() != seen_by_refresh  # own commit: waited for

    try:
        asyncio.run(scenario())
    finally:
        other.engine.dispose()
