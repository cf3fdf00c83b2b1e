"""Deliver pending notifications to their subscribers' webhooks.

Each pass claims the notifications that are due, POSTs them outside any database
transaction (a slow receiver must not hold locks), and then records the attempt.
A claim is a conditional UPDATE that moves ``next_attempt_at`` forward by a lease:
two workers (the tracker and an embedded run, say) never send the same attempt
twice, on SQLite or PostgreSQL, without row locks held across HTTP calls.

Receivers verify ``X-Luqiao-Signature: sha256=<hex>``, an HMAC-SHA256 of the raw
body with the subscription's secret (`sign_body`). Failures retry with exponential
backoff up to ``webhook_max_attempts``; ``webhook_disable_after`` failed attempts
in a row deactivate the subscription, and any success resets that count.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import structlog
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.tracker.models import DeliveryAttemptRow, NotificationRow, SubscriptionRow
from services.tracker.settings import TrackerSettings

log = structlog.get_logger("tracker.webhooks")

SIGNATURE_HEADER = "X-Luqiao-Signature"
EVENT_ID_HEADER = "X-Luqiao-Event-Id"
DELIVERY_ID_HEADER = "X-Luqiao-Delivery"
DEFAULT_BACKOFF_BASE_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 6 * 3600.0
BATCH_SIZE = 50
ERROR_TEXT_LIMIT = 500


def sign_body(secret: str, body: bytes) -> str:
    """The signature header value a receiver recomputes to trust the body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Exactly the bytes that are signed and sent."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def backoff_delay(attempts: int, base_seconds: float) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: base, 2·base, 4·base…"""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; this module writes UTC, so read them as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Delivery:
    """A claimed notification: what to send, where, and how to sign it."""

    notification_id: int
    subscription_id: int
    status_event_id: str
    url: str
    secret: str
    body: bytes
    attempts_before: int


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    attempted_at: datetime
    http_status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


def claim_due(
    sessions: sessionmaker[Session], now: datetime, lease: timedelta, limit: int = BATCH_SIZE
) -> list[Delivery]:
    """Claim due notifications of active webhook subscriptions for this pass."""
    claimed: list[Delivery] = []
    with sessions.begin() as session:
        rows = session.execute(
            select(NotificationRow, SubscriptionRow)
            .join(SubscriptionRow, SubscriptionRow.id == NotificationRow.subscription_id)
            .where(
                NotificationRow.delivery_state == "pending",
                NotificationRow.next_attempt_at <= now,
                SubscriptionRow.active.is_(True),
                SubscriptionRow.webhook_url.is_not(None),
            )
            .order_by(NotificationRow.next_attempt_at, NotificationRow.id)
            .limit(limit)
        ).all()
        for note, sub in rows:
            won = session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == note.id,
                    NotificationRow.delivery_state == "pending",
                    NotificationRow.next_attempt_at == note.next_attempt_at,
                )
                .values(next_attempt_at=now + lease)
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], won).rowcount != 1:  # another worker claimed it first
                continue
            claimed.append(
                Delivery(
                    notification_id=note.id,
                    subscription_id=sub.id,
                    status_event_id=note.status_event_id,
                    url=sub.webhook_url or "",
                    secret=sub.secret,
                    body=encode_payload(note.payload),
                    attempts_before=note.attempts,
                )
            )
    return claimed


def post(client: httpx.Client, delivery: Delivery, now: datetime) -> Outcome:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "luqiao-monitor-webhooks/1",
        SIGNATURE_HEADER: sign_body(delivery.secret, delivery.body),
        EVENT_ID_HEADER: delivery.status_event_id,
        DELIVERY_ID_HEADER: str(delivery.notification_id),
    }
    try:
        response = client.post(delivery.url, content=delivery.body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(delivery, now, None, f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT])
    error = None if response.is_success else f"HTTP {response.status_code}"
    return Outcome(delivery, now, response.status_code, error)


def record_outcome(
    session: Session, outcome: Outcome, settings: TrackerSettings, backoff_base_seconds: float
) -> bool:
    """Log the attempt and move the notification and its subscription on; returns
    whether the subscription is still active."""
    d = outcome.delivery
    session.add(
        DeliveryAttemptRow(
            notification_id=d.notification_id,
            attempted_at=outcome.attempted_at,
            http_status=outcome.http_status,
            error=outcome.error,
        )
    )
    note = session.get(NotificationRow, d.notification_id)
    sub = session.get(SubscriptionRow, d.subscription_id)
    if note is None or sub is None:  # deleted while we were sending
        return False
    note.attempts = d.attempts_before + 1
    if outcome.ok:
        note.delivery_state, note.next_attempt_at, note.last_error = "delivered", None, None
        sub.consecutive_failures = 0
        return sub.active
    note.last_error = outcome.error
    sub.consecutive_failures += 1
    if note.attempts >= settings.webhook_max_attempts:
        note.delivery_state, note.next_attempt_at = "failed", None
    else:
        note.next_attempt_at = outcome.attempted_at + backoff_delay(
            note.attempts, backoff_base_seconds
        )
    if sub.active and sub.consecutive_failures >= settings.webhook_disable_after:
        sub.active = False
        reason = f"subscription disabled after {sub.consecutive_failures} consecutive failures"
        session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.subscription_id == sub.id,
                NotificationRow.delivery_state == "pending",
            )
            .values(delivery_state="failed", next_attempt_at=None, last_error=reason)
            .execution_options(synchronize_session=False)
        )
        log.warning("webhook subscription disabled", subscription_id=sub.id, url=d.url)
    return sub.active


def deliver_due(
    sessions: sessionmaker[Session],
    settings: TrackerSettings,
    now: datetime | None = None,
    *,
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS,
    client: httpx.Client | None = None,
) -> int:
    """One delivery pass; returns how many attempts were made (successful or not).

    ``now`` is injectable so tests can step through backoff without sleeping.
    """
    when = as_utc(now) if now is not None else datetime.now(UTC)
    lease = timedelta(seconds=settings.webhook_timeout_seconds * 2 + 5)
    due = claim_due(sessions, when, lease)
    if not due:
        return 0
    own_client = client is None
    http = client or httpx.Client(timeout=settings.webhook_timeout_seconds)
    gone: set[int] = set()  # subscriptions disabled or deleted during this pass
    attempted = 0
    try:
        for delivery in due:
            if delivery.subscription_id in gone:
                continue
            outcome = post(http, delivery, when)
            attempted += 1
            with sessions.begin() as session:
                if not record_outcome(session, outcome, settings, backoff_base_seconds):
                    gone.add(delivery.subscription_id)
            log.info(
                "webhook attempt",
                notification_id=delivery.notification_id,
                http_status=outcome.http_status,
                ok=outcome.ok,
            )
    finally:
        if own_client:
            http.close()
    return attempted


async def run_delivery_loop(
    sessions: sessionmaker[Session],
    settings: TrackerSettings,
    *,
    interval_seconds: float = 5.0,
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """Run `deliver_due` until ``stop`` is set (or the task is cancelled).

    The pass runs in a worker thread because the database layer is synchronous; the
    event loop stays free for the consumer and the HTTP API.
    """
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            sent = await asyncio.to_thread(
                deliver_due, sessions, settings, backoff_base_seconds=backoff_base_seconds
            )
        except Exception:  # noqa: BLE001 — a bad pass must not end the loop
            log.exception("webhook delivery pass failed")
            sent = 0
        if sent >= BATCH_SIZE:
            continue  # a full batch: more may be due, do not wait
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            pass
