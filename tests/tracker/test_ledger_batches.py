"""The set-based write path (ledger/store.py, ledger/bulk.py) on SQLite and PostgreSQL:
a batch is stored with one INSERT … ON CONFLICT DO NOTHING … RETURNING (by COPY on
PostgreSQL from `bulk.COPY_FROM_ROWS` rows on, as arrays below), each touched
commitment is decided once, and the unique keys keep a redelivered batch from
changing anything. Batch sizes on both sides of the COPY threshold are used."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from services.events import CHINA_TZ, EvidenceFound, Stage
from services.tracker.ledger import store
from services.tracker.ledger.bulk import COPY_FROM_ROWS
from services.tracker.ledger.models import EvidenceRow, NotificationRow, StatusRow
from services.tracker.ledger.subscriptions import add_subscription
from services.tracker.notifications.outbox import SubscriptionMatcher
from services.tracker.service import TrackerService
from services.tracker.status_rules import decide
from services.worker import RawMessage
from tests.catalog_fixtures import mini_catalog
from tests.tracker.evidence_factory import make_evidence

STAGES = [Stage.PLANNED, Stage.STARTED, Stage.IN_PROGRESS, Stage.COMPLETED]
SMALL, LARGE = 5, COPY_FROM_ROWS + 30  # below and above the COPY threshold


def _events(count: int, *, commitments: list[str] | None = None) -> list[EvidenceFound]:
    """`count` evidence on distinct articles, spread over the given commitments."""
    ids = commitments or [c.id for c in mini_catalog()]
    return [
        make_evidence(
            ids[i % len(ids)],
            f"https://www.luqiao.gov.cn/art/2025/5/{i % 28 + 1}/art_1229_{i}.html",
            f"2025-05-{i % 28 + 1:02d}",
            STAGES[i % len(STAGES)],
            confidence=0.5 if i % 7 == 0 else 0.9,  # some wait for review
            quote=f"引文{i}：“加快推进”",
        )
        for i in range(count)
    ]


def _raw(events: list[EvidenceFound]) -> list[RawMessage]:
    return [RawMessage(ev.model_dump_json().encode(), ev.commitment_id.encode()) for ev in events]


def _counts(tracker: TrackerService) -> dict[str, int]:
    with tracker.sessions() as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (EvidenceRow, StatusRow, NotificationRow)
        }


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_duplicates_within_a_batch_are_stored_once(tracker: TrackerService, size: int) -> None:
    tracker.start(as_of=date(2025, 5, 1))
    events = _events(size)
    batch = [*events, *events[::2], events[0]]
    before = _counts(tracker)["evidence"]
    with tracker.sessions.begin() as s:
        new = store.record_evidence_batch(s, batch, review_threshold=0.6)
    assert [ev.evidence_id for ev in new] == [ev.evidence_id for ev in events]
    assert _counts(tracker)["evidence"] == before + size
    with tracker.sessions() as s:
        rows = {r.evidence_id: r for r in s.scalars(select(EvidenceRow))}
    for ev in events:  # every column as the event said, whichever statement stored it
        row = rows[ev.evidence_id]
        assert (row.commitment_id, row.quote, row.stage, row.confidence) == (
            ev.commitment_id, ev.quote, ev.stage.value, ev.confidence,
        )  # fmt: skip
        assert row.review_state == ("auto" if ev.confidence >= 0.6 else "pending")
        published = row.published_at  # SQLite keeps the wall time (Asia/Shanghai) alone
        assert (published if published.tzinfo else published.replace(tzinfo=CHINA_TZ)) == (
            ev.published_at
        )
        assert row.superseded_by is None and row.reasons == list(ev.reasons)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_redelivered_batch_changes_nothing(tracker: TrackerService, size: int) -> None:
    """The whole path as the Kafka subscriber runs it, with a subscription to every
    change: the second delivery publishes nothing and writes no row anywhere."""
    tracker.start(as_of=date(2025, 5, 1))
    with tracker.sessions.begin() as s:
        add_subscription(s, name="all", scope="all", value="", webhook_url=None)
    tracker.add_listener(SubscriptionMatcher(tracker.catalog))
    raw = _raw(_events(size))
    first = tracker.handle_raw_batch(raw)
    after_first = _counts(tracker)
    again = tracker.handle_raw_batch(raw)
    assert first.out, "the first delivery changes statuses"
    assert after_first["notifications"] == len(first.out)
    assert again.out == [] and again.dead == []
    assert _counts(tracker) == after_first


def test_a_batch_overlapping_one_stored_before_stores_only_the_rest(
    tracker: TrackerService,
) -> None:
    """As when another replica (or an earlier, partly committed run) stored part of it."""
    tracker.start(as_of=date(2025, 5, 1))
    events = _events(LARGE)
    tracker.handle_batch(events[: LARGE // 2], as_of=date(2025, 6, 1))
    with tracker.sessions.begin() as s:
        new = store.record_evidence_batch(s, events, review_threshold=0.6)
    assert [ev.evidence_id for ev in new] == [ev.evidence_id for ev in events[LARGE // 2 :]]
    assert _counts(tracker)["evidence"] == LARGE


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_commitment_touched_many_times_in_a_batch_is_decided_once(
    tracker: TrackerService, size: int
) -> None:
    tracker.start(as_of=date(2025, 5, 1))
    cid = "t25-school"
    events = _events(size, commitments=[cid, "t25-green-axis"])
    statuses_before = _counts(tracker)["status_history"]
    changes = tracker.handle_batch(events, as_of=date(2025, 6, 1))
    assert sorted(c.commitment_id for c in changes) == sorted({cid, "t25-green-axis"})
    assert _counts(tracker)["status_history"] == statuses_before + 2  # one row each
    with tracker.sessions() as s:
        newest = store.latest_status(s, cid)
        counted = store.counted_evidence(s, tracker.catalog[cid])
    # The one decision is the rules' verdict on all the batch's counting evidence.
    expected = decide(tracker.catalog[cid], counted, date(2025, 6, 1), stall_days=90)
    assert newest is not None
    assert (newest.status, newest.rule) == (expected.status.value, expected.rule)
    assert sorted(newest.evidence_ids) == sorted(expected.evidence_ids)
    assert len(counted) == sum(
        1 for ev in events if ev.commitment_id == cid and ev.confidence >= 0.6
    )


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_revisions_in_one_batch_supersede_each_other_in_order(
    tracker: TrackerService, size: int
) -> None:
    tracker.start(as_of=date(2025, 5, 1))
    url = "https://www.luqiao.gov.cn/art/2025/6/1/art_1229_9.html"
    cid = "t25-green-axis"
    r0, r1, r2, r3 = (
        make_evidence(cid, url, "2025-06-01", stage, revision=f"r{i}")
        for i, stage in enumerate(STAGES)
    )
    same_article_other_commitment = make_evidence("t25-school", url, "2025-06-01", Stage.STARTED)
    tracker.handle_batch([r0, same_article_other_commitment], as_of=date(2025, 6, 2))
    fillers = _events(size, commitments=["t25-gdp"])
    tracker.handle_batch([*fillers[:2], r1, *fillers[2:], r2, r3, r1], as_of=date(2025, 6, 2))
    with tracker.sessions() as s:
        by = {r.evidence_id: r.superseded_by for r in s.scalars(select(EvidenceRow))}
    assert by[r0.evidence_id] == r1.evidence_id
    assert by[r1.evidence_id] == r2.evidence_id
    assert by[r2.evidence_id] == r3.evidence_id
    assert by[r3.evidence_id] is None
    assert by[same_article_other_commitment.evidence_id] is None  # another commitment
    assert all(by[ev.evidence_id] is None for ev in fillers)
    with tracker.sessions() as s:
        counted = store.counted_evidence(s, tracker.catalog[cid])
    assert [c.evidence_id for c in counted] == [r3.evidence_id]


def test_reevaluation_of_every_commitment_is_one_pass_and_then_quiet(
    tracker: TrackerService,
) -> None:
    changes = tracker.start(as_of=date(2025, 5, 1))
    assert len(changes) == len(mini_catalog())
    statuses = _counts(tracker)["status_history"]
    assert tracker.reevaluate(as_of=date(2025, 5, 1)) == []
    assert _counts(tracker)["status_history"] == statuses
