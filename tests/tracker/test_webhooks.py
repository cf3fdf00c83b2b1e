"""Webhook delivery to a real HTTP receiver on 127.0.0.1: signed bodies, retry with
backoff after a failing first attempt, the delivery log, and disabling a subscription
that keeps failing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from services.tracker.ledger.models import DeliveryAttemptRow, NotificationRow, SubscriptionRow
from services.tracker.notifications.outbox import SubscriptionMatcher, utc_now
from services.tracker.notifications.webhooks import backoff_delay, deliver_due, run_delivery_loop
from services.tracker.service import TrackerService
from tests.tracker.evidence_factory import report_unfinished_after_deadline
from tests.webhook_receiver import Receiver, running_receiver

BACKOFF_S = 0.5


@pytest.fixture
def receiver(tracker: TrackerService) -> Iterator[Receiver]:
    # The receiver is on loopback, which only an allow-list lets webhooks reach.
    tracker.settings = tracker.settings.model_copy(update={"webhook_allow_hosts": "127.0.0.1/32"})
    with running_receiver() as rec:
        yield rec


def subscribe(tracker: TrackerService, scope: str, value: str, url: str, secret: str) -> int:
    with tracker.sessions.begin() as s:
        sub = SubscriptionRow(
            name="desk", scope=scope, value=value, webhook_url=url, secret=secret,
            feed_token=f"feed-{scope}-{value}", created_at=utc_now(),
        )  # fmt: skip
        s.add(sub)
        s.flush()
        return sub.id


def overdue_changes(tracker: TrackerService) -> None:
    """Start before the 2025 deadlines, learn that each 2025 commitment was unfinished
    after its deadline, then re-evaluate after them: six changes to overdue."""
    tracker.add_listener(SubscriptionMatcher(tracker.catalog))
    report_unfinished_after_deadline(tracker)
    tracker.reevaluate(as_of=date(2026, 1, 15))


def test_failed_first_attempt_is_retried_after_backoff_and_signed(
    tracker: TrackerService, receiver: Receiver
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    secret = "correct horse battery staple"
    sub_id = subscribe(tracker, "commitment", "t25-gdp", receiver.url, secret)
    overdue_changes(tracker)
    receiver.script.extend([500])
    t0 = datetime.now(UTC)

    def attempts_at(when: datetime) -> int:
        return deliver_due(tracker.sessions, tracker.settings, when, backoff_base_seconds=BACKOFF_S)

    assert attempts_at(t0) == 1
    # Not due again until the backoff has passed.
    assert attempts_at(t0 + timedelta(seconds=BACKOFF_S * 0.9)) == 0
    later = t0 + backoff_delay(1, BACKOFF_S) + timedelta(milliseconds=1)
    assert attempts_at(later) == 1
    assert attempts_at(later) == 0

    assert len(receiver.received) == 2
    first, second = receiver.received
    assert first[1] == second[1]  # a retry sends the same bytes
    for headers, body in receiver.received:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-luqiao-signature"], f"sha256={expected}")
    payload = json.loads(second[1])
    assert payload["commitment_id"] == "t25-gdp"
    assert payload["new_status"] == "overdue"
    assert second[0]["x-luqiao-event-id"] == payload["status_event_id"]

    with tracker.sessions() as s:
        notes = s.scalars(select(NotificationRow)).all()
        log = s.scalars(select(DeliveryAttemptRow).order_by(DeliveryAttemptRow.id)).all()
        sub = s.get(SubscriptionRow, sub_id)
    assert [(n.delivery_state, n.attempts) for n in notes] == [("delivered", 2)]
    assert [a.http_status for a in log] == [500, 200]
    assert log[0].error == "HTTP 500" and log[1].error is None
    assert sub is not None and sub.active and sub.consecutive_failures == 0


def test_a_subscription_that_keeps_failing_is_disabled(
    tracker: TrackerService, receiver: Receiver
) -> None:
    settings = tracker.settings.model_copy(
        update={"webhook_max_attempts": 2, "webhook_disable_after": 3}
    )
    tracker.start(as_of=date(2025, 6, 1))
    sub_id = subscribe(tracker, "report", "luqiao-2025", receiver.url, "k")
    overdue_changes(tracker)  # six notifications for this subscriber
    receiver.script.extend([503] * 100)
    now = datetime.now(UTC)
    attempts = 0
    for _ in range(10):
        attempts += deliver_due(tracker.sessions, settings, now, backoff_base_seconds=BACKOFF_S)
        now += timedelta(seconds=60)
    with tracker.sessions() as s:
        sub = s.get(SubscriptionRow, sub_id)
        states = [n.delivery_state for n in s.scalars(select(NotificationRow))]
        logged = len(s.scalars(select(DeliveryAttemptRow)).all())
    assert sub is not None and not sub.active
    assert sub.consecutive_failures == 3
    assert attempts == logged == len(receiver.received) == 3
    assert states == ["failed"] * 6  # nothing left pending for a disabled subscription


def test_unreachable_receiver_is_logged_and_a_success_resets_the_count(
    tracker: TrackerService, receiver: Receiver
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    dead = subscribe(tracker, "commitment", "t25-school", "http://127.0.0.1:9/none", "k")
    live = subscribe(tracker, "commitment", "t25-gdp", receiver.url, "k")
    with tracker.sessions.begin() as s:
        s.get(SubscriptionRow, live).consecutive_failures = 4  # type: ignore[union-attr]
    overdue_changes(tracker)
    assert deliver_due(tracker.sessions, tracker.settings, backoff_base_seconds=BACKOFF_S) == 2
    with tracker.sessions() as s:
        by_sub = {
            n.subscription_id: (n, a)
            for n, a in s.execute(
                select(NotificationRow, DeliveryAttemptRow).join(
                    DeliveryAttemptRow, DeliveryAttemptRow.notification_id == NotificationRow.id
                )
            )
        }
        subs = {sub.id: sub for sub in s.scalars(select(SubscriptionRow))}
    note, attempt = by_sub[dead]
    assert note.delivery_state == "pending" and note.attempts == 1
    assert attempt.http_status is None and attempt.error == "could not connect"
    assert subs[dead].consecutive_failures == 1
    assert by_sub[live][0].delivery_state == "delivered"
    assert subs[live].consecutive_failures == 0


def test_a_notification_fails_after_the_last_allowed_attempt(
    tracker: TrackerService, receiver: Receiver
) -> None:
    settings = tracker.settings.model_copy(
        update={"webhook_max_attempts": 3, "webhook_disable_after": 100}
    )
    tracker.start(as_of=date(2025, 6, 1))
    sub_id = subscribe(tracker, "commitment", "t25-gdp", receiver.url, "k")
    overdue_changes(tracker)
    receiver.script.extend([500] * 100)
    now = datetime.now(UTC)
    for _ in range(6):
        deliver_due(tracker.sessions, settings, now, backoff_base_seconds=BACKOFF_S)
        now += timedelta(hours=1)
    with tracker.sessions() as s:
        note = s.scalars(select(NotificationRow)).one()
        sub = s.get(SubscriptionRow, sub_id)
    assert len(receiver.received) == 3
    assert (note.delivery_state, note.attempts, note.next_attempt_at) == ("failed", 3, None)
    assert sub is not None and sub.active and sub.consecutive_failures == 3


async def test_the_background_loop_delivers_and_stops_when_asked(
    tracker: TrackerService, receiver: Receiver
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    subscribe(tracker, "keyword", "中央绿轴", receiver.url, "k")
    overdue_changes(tracker)  # one 2025 green-axis change; the 2024 one is ongoing work
    stop = asyncio.Event()
    loop = asyncio.create_task(
        run_delivery_loop(tracker.sessions, tracker.settings, interval_seconds=0.05, stop=stop)
    )
    for _ in range(200):
        if receiver.received:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, timeout=5)
    assert len(receiver.received) == 1
    with tracker.sessions() as s:
        assert [n.delivery_state for n in s.scalars(select(NotificationRow))] == ["delivered"]
