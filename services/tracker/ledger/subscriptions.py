"""The subscriptions' SQL: add one, count them, delete one with its outbox rows,
and read its delivery log. Used by the JSON API and the subscribe form alike."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.tracker.ledger.models import DeliveryAttemptRow, NotificationRow, SubscriptionRow
from services.tracker.notifications.outbox import utc_now


def add_subscription(
    session: Session, *, name: str, scope: str, value: str, webhook_url: str | None
) -> SubscriptionRow:
    """A new active subscription with a fresh webhook secret and feed token."""
    sub = SubscriptionRow(
        name=name,
        scope=scope,
        value=value,
        webhook_url=webhook_url,
        secret=secrets.token_hex(32),
        feed_token=secrets.token_urlsafe(32),
        active=True,
        consecutive_failures=0,
        created_at=utc_now(),
    )
    session.add(sub)
    session.flush()
    return sub


def subscription_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SubscriptionRow)) or 0


def delete_subscription(session: Session, subscription_id: int) -> None:
    """Removes the subscription with its notifications and delivery log."""
    note_ids = select(NotificationRow.id).where(NotificationRow.subscription_id == subscription_id)
    session.execute(
        delete(DeliveryAttemptRow).where(DeliveryAttemptRow.notification_id.in_(note_ids))
    )
    session.execute(
        delete(NotificationRow).where(NotificationRow.subscription_id == subscription_id)
    )
    session.execute(delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id))


@dataclass(frozen=True)
class DeliveryLogPage:
    total: int
    rows: list[tuple[DeliveryAttemptRow, NotificationRow]]
    notifications_by_state: dict[str, int]


def delivery_log(
    session: Session, subscription_id: int, *, offset: int, limit: int
) -> DeliveryLogPage:
    """The delivery attempts, newest first, each with its notification, and how many
    of the subscription's notifications are in each delivery state."""
    base = (
        select(DeliveryAttemptRow, NotificationRow)
        .join(NotificationRow, NotificationRow.id == DeliveryAttemptRow.notification_id)
        .where(NotificationRow.subscription_id == subscription_id)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(DeliveryAttemptRow.attempted_at.desc(), DeliveryAttemptRow.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    states = session.execute(
        select(NotificationRow.delivery_state, func.count())
        .where(NotificationRow.subscription_id == subscription_id)
        .group_by(NotificationRow.delivery_state)
    ).all()
    return DeliveryLogPage(
        total=total,
        rows=[(attempt, note) for attempt, note in rows],
        notifications_by_state={state: count for state, count in states},
    )


def all_subscriptions(session: Session) -> list[SubscriptionRow]:
    return list(session.scalars(select(SubscriptionRow).order_by(SubscriptionRow.id)))


def by_feed_token(session: Session, feed_token: str) -> SubscriptionRow | None:
    return session.scalar(select(SubscriptionRow).where(SubscriptionRow.feed_token == feed_token))
