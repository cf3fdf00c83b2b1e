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

Only allowed targets are contacted (`notifications.targets`, checked again at connect time
by `notifications.transport`), redirects are not followed, at most
``webhook_max_response_bytes`` of an answer are read and each attempt ends after
``webhook_total_seconds``. The delivery log, which token holders read, says what
happened in a few fixed words ("could not connect", "timed out", "HTTP 503"); the
exception itself goes to the server log only, so the log cannot serve as a port
scanner.
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

from services.tracker.ledger.models import (
    DeliveryAttemptRow,
    DeliveryState,
    NotificationRow,
    SubscriptionRow,
)
from services.tracker.notifications.targets import (
    REFUSED_MESSAGE,
    AllowList,
    Resolver,
    TargetRefused,
    resolve,
)
from services.tracker.notifications.transport import guarded_client
from services.tracker.settings import TrackerSettings

log = structlog.get_logger("tracker.webhooks")

SIGNATURE_HEADER = "X-Luqiao-Signature"
EVENT_ID_HEADER = "X-Luqiao-Event-Id"
DELIVERY_ID_HEADER = "X-Luqiao-Delivery"
DEFAULT_BACKOFF_BASE_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 6 * 3600.0
BATCH_SIZE = 50


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
                NotificationRow.delivery_state == DeliveryState.PENDING,
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
                    NotificationRow.delivery_state == DeliveryState.PENDING,
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


def post(
    client: httpx.Client, delivery: Delivery, now: datetime, max_response_bytes: int
) -> Outcome:
    """One attempt. The answer's body is streamed and at most ``max_response_bytes``
    of it read (undecoded, so a compressed bomb stays small); only the status counts."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "luqiao-monitor-webhooks/1",
        SIGNATURE_HEADER: sign_body(delivery.secret, delivery.body),
        EVENT_ID_HEADER: delivery.status_event_id,
        DELIVERY_ID_HEADER: str(delivery.notification_id),
    }
    try:
        with client.stream("POST", delivery.url, content=delivery.body, headers=headers) as r:
            read = 0
            for chunk in r.iter_raw():
                read += len(chunk)
                if read > max_response_bytes:
                    log.warning(
                        "webhook answer cut at the size cap",
                        notification_id=delivery.notification_id,
                        cap=max_response_bytes,
                    )
                    break
            status = r.status_code
    except TargetRefused as exc:
        return _failed(delivery, now, "refused", exc)
    except httpx.TimeoutException as exc:
        return _failed(delivery, now, "timed out", exc)
    except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
        return _failed(delivery, now, "could not connect", exc)
    except httpx.HTTPError as exc:
        return _failed(delivery, now, "delivery failed", exc)
    except Exception as exc:  # e.g. a stored URL httpx cannot parse
        return _failed(delivery, now, "delivery failed", exc)
    if 200 <= status < 300:
        return Outcome(delivery, now, status, None)
    error = f"HTTP {status}"
    if 300 <= status < 400:
        error += " (redirects are not followed)"
    return Outcome(delivery, now, status, error)


PUBLIC_ERRORS = ("timed out", "could not connect", "delivery failed", "refused: ")


def public_error(error: str | None) -> str | None:
    """What the delivery log shows of a stored error: the fixed words this module
    writes; anything else (rows written before the rule) as "delivery failed"."""
    if error is None or error.startswith("HTTP ") or error.startswith(PUBLIC_ERRORS):
        return error
    return "delivery failed"


def _failed(delivery: Delivery, now: datetime, public: str, exc: Exception) -> Outcome:
    """An attempt that got no HTTP answer: the detail goes to the server log only."""
    log.warning(
        "webhook attempt failed",
        notification_id=delivery.notification_id,
        subscription_id=delivery.subscription_id,
        outcome=public,
        detail=f"{type(exc).__name__}: {exc}",
    )
    if public == "refused":
        public = f"refused: {REFUSED_MESSAGE}"
    return Outcome(delivery, now, None, public)


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
        note.delivery_state, note.next_attempt_at, note.last_error = (
            DeliveryState.DELIVERED,
            None,
            None,
        )
        sub.consecutive_failures = 0
        return sub.active
    note.last_error = outcome.error
    sub.consecutive_failures += 1
    if note.attempts >= settings.webhook_max_attempts:
        note.delivery_state, note.next_attempt_at = DeliveryState.FAILED, None
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
                NotificationRow.delivery_state == DeliveryState.PENDING,
            )
            .values(delivery_state=DeliveryState.FAILED, next_attempt_at=None, last_error=reason)
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
    resolver: Resolver = resolve,
) -> int:
    """One delivery pass; returns how many attempts were made (successful or not).

    ``now`` is injectable so tests can step through backoff without sleeping, and
    ``resolver`` so they can play a DNS that answers what they need.
    """
    when = now if now is not None else datetime.now(UTC)
    # A claim outlives the pass's attempts: each one ends by the total time cap.
    lease = timedelta(seconds=settings.webhook_total_seconds * BATCH_SIZE + 5)
    due = claim_due(sessions, when, lease)
    if not due:
        return 0
    allow = AllowList.parse(settings.webhook_allow_hosts)
    gone: set[int] = set()  # subscriptions disabled or deleted during this pass
    attempted = 0
    for delivery in due:
        if delivery.subscription_id in gone:
            continue
        # One client per attempt: its deadline is this attempt's.
        with guarded_client(
            allow,
            timeout_seconds=settings.webhook_timeout_seconds,
            total_seconds=settings.webhook_total_seconds,
            ca_bundle=settings.webhook_ca_bundle,
            resolver=resolver,
        ) as http:
            outcome = post(http, delivery, when, settings.webhook_max_response_bytes)
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
        except Exception:  # a bad pass must not end the loop
            log.exception("webhook delivery pass failed")
            sent = 0
        if sent >= BATCH_SIZE:
            continue  # a full batch: more may be due, do not wait
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            pass
