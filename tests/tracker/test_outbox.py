"""Status changes become notifications: scope matching, once per subscriber even on
replay, on a real database (SQLite, and PostgreSQL through the `tracker` fixture)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.events import StatusChanged
from services.tracker.ledger.database import migrate
from services.tracker.ledger.models import NotificationRow, SubscriptionRow
from services.tracker.notifications.outbox import SubscriptionMatcher, scope_matches, utc_now
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_by_id, mini_catalog
from tests.tracker.evidence_factory import report_unfinished_after_deadline

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "data" / "notifications" / "scope_cases.json").read_text("utf-8")
)


def subscribe(
    tracker: TrackerService, scope: str, value: str, webhook_url: str | None = None
) -> int:
    with tracker.sessions.begin() as s:
        sub = SubscriptionRow(
            name=f"{scope}:{value}", scope=scope, value=value, webhook_url=webhook_url,
            secret="s3cret", feed_token=f"feed-{scope}-{value}", created_at=utc_now(),
        )  # fmt: skip
        s.add(sub)
        s.flush()
        return sub.id


def notified(tracker: TrackerService) -> dict[int, list[str]]:
    """subscription id -> commitment ids notified, sorted."""
    out: dict[int, list[str]] = {}
    with tracker.sessions() as s:
        for note in s.scalars(select(NotificationRow).order_by(NotificationRow.commitment_id)):
            out.setdefault(note.subscription_id, []).append(note.commitment_id)
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['scope']}:{c['value']}")
def test_scope_matches_exactly_the_expected_commitments(case: dict[str, Any]) -> None:
    matched = {c.id for c in mini_catalog() if scope_matches(case["scope"], case["value"], c.id, c)}
    assert matched == set(case["matches"])


def test_each_subscription_is_notified_of_its_scope_only(tmp_path: Path) -> None:
    tracker = TrackerService(
        TrackerSettings(database_url=f"sqlite:///{tmp_path / 't.db'}"), catalog=list(mini_catalog())
    )
    migrate(tracker.engine)
    ids = {subscribe(tracker, c["scope"], c["value"]): c for c in CASES}
    tracker.add_listener(SubscriptionMatcher(tracker.catalog))
    changes = tracker.start(as_of=date(2025, 6, 1))  # first decision for all 7 commitments
    assert len(changes) == len(mini_catalog())
    got = notified(tracker)
    for sub_id, case in ids.items():
        assert got.get(sub_id, []) == sorted(case["matches"]), case
    tracker.engine.dispose()


def test_a_replayed_change_notifies_each_subscriber_once(tracker: TrackerService) -> None:
    """Runs on SQLite and PostgreSQL: the uniqueness is the database's, not Python's."""
    tracker.start(as_of=date(2025, 6, 1))
    everyone = subscribe(tracker, "all", "")
    axis_fans = subscribe(tracker, "keyword", "中央绿轴")
    matcher = SubscriptionMatcher(tracker.catalog)
    tracker.add_listener(matcher)
    report_unfinished_after_deadline(tracker)
    changes = tracker.reevaluate(as_of=date(2026, 1, 15))  # the 2025 deadlines pass
    assert {c.new_status for c in changes} == {"overdue"}
    axis = [c for c in changes if c.commitment_id == "t25-green-axis"]
    assert len(axis) == 1
    # The same change applied again, in a new transaction and twice within one.
    replayed = StatusChanged.model_validate(axis[0].model_dump())
    with tracker.sessions.begin() as s:
        matcher(s, [replayed])
    with tracker.sessions.begin() as s:
        matcher(s, [replayed, replayed])
    got = notified(tracker)
    assert got[everyone] == sorted(c.commitment_id for c in changes)
    assert got[axis_fans] == ["t25-green-axis"]
    with tracker.sessions() as s:
        per_pair = s.execute(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.status_event_id == axis[0].status_event_id)
        ).scalar_one()
    assert per_pair == 2  # one for each of the two subscribers


def test_notification_carries_the_commitment_and_waits_for_its_channel(
    tracker: TrackerService,
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    hook = subscribe(tracker, "commitment", "t25-gdp", webhook_url="http://127.0.0.1:9/hook")
    off = subscribe(tracker, "report", "luqiao-2025")
    with tracker.sessions.begin() as s:
        s.get(SubscriptionRow, off).active = False  # type: ignore[union-attr]
    feed_only = subscribe(tracker, "section", "着力指标回升")
    tracker.add_listener(SubscriptionMatcher(tracker.catalog))
    report_unfinished_after_deadline(tracker)
    tracker.reevaluate(as_of=date(2026, 1, 15))
    with tracker.sessions() as s:
        rows = {n.subscription_id: n for n in s.scalars(select(NotificationRow))}
    assert off not in rows  # an inactive subscription is not notified
    assert rows[hook].delivery_state == "pending"
    assert rows[hook].next_attempt_at is not None
    assert rows[feed_only].delivery_state == "feed_only"
    payload = rows[hook].payload
    gdp = mini_by_id()["t25-gdp"]
    assert payload["commitment"]["text"] == gdp.text
    assert payload["commitment"]["section"] == gdp.section
    assert (payload["old_status"], payload["new_status"]) == ("no_evidence", "overdue")
    assert payload["api_path"] == "/api/commitments/t25-gdp"
    assert payload["status_event_id"] == rows[hook].status_event_id
