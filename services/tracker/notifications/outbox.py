"""Turn status changes into notifications, one per matching subscription.

The matcher is a `TrackerService` listener, so it runs inside the transaction that
stored the status change (outbox style): a notification exists if and only if the
change was committed. Delivery (webhooks) and reading (Atom) happen later, from the
notifications table, so a slow subscriber never slows ingestion.

A replayed change inserts nothing: the table is unique on (subscription, status
event) and the insert is ``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from services.catalog.model import Commitment
from services.events import StatusChanged
from services.tracker.ledger.bulk import insert_ignoring_duplicates
from services.tracker.ledger.models import DeliveryState, NotificationRow, SubscriptionRow

SECTION_SEPARATOR = " › "  # the same join the ledger uses for CommitmentRow.section_key


class Scope(StrEnum):
    """What a subscription follows."""

    COMMITMENT = "commitment"  # value = commitment id
    SECTION = "section"  # value = substring of the section path
    REPORT = "report"  # value = report id, e.g. "luqiao-2025"
    KEYWORD = "keyword"  # value = substring of the commitment text
    ALL = "all"  # every status change; value ignored


def utc_now() -> datetime:
    return datetime.now(UTC)


def section_path(commitment: Commitment) -> str:
    return SECTION_SEPARATOR.join(commitment.section)


def scope_matches(
    scope: str, value: str, commitment_id: str, commitment: Commitment | None
) -> bool:
    """Whether a subscription (scope, value) wants a change of this commitment.

    Without the commitment (not in the catalog) only id and "all" can match: the
    other scopes need its section, report or text.
    """
    if scope == Scope.ALL:
        return True
    if scope == Scope.COMMITMENT:
        return value == commitment_id
    if commitment is None or not value:
        return False
    if scope == Scope.SECTION:
        return value in section_path(commitment)
    if scope == Scope.REPORT:
        return value == commitment.report.id
    if scope == Scope.KEYWORD:
        return value in commitment.text
    return False


def notification_payload(
    change: StatusChanged, commitment: Commitment | None, subscription: SubscriptionRow
) -> dict[str, Any]:
    """The JSON a webhook receives and the Atom entry is built from; self-contained so
    neither needs the catalog later."""
    return {
        "event": "status_changed",
        **change.model_dump(mode="json"),
        "commitment": (
            {
                "id": commitment.id,
                "text": commitment.text,
                "report": commitment.report.id,
                "section": list(commitment.section),
                "deadline": commitment.deadline.isoformat(),
            }
            if commitment is not None
            else {"id": change.commitment_id}
        ),
        "api_path": f"/api/commitments/{change.commitment_id}",
        "subscription": {"id": subscription.id, "name": subscription.name},
    }


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    """One statement for all the rows (executemany, paged by the driver)."""
    if rows:
        table = cast(Table, NotificationRow.__table__)
        keys = ["subscription_id", "status_event_id"]
        session.execute(insert_ignoring_duplicates(session, table, keys), rows)


class SubscriptionMatcher:
    """The listener: ``service.add_listener(SubscriptionMatcher(service.catalog))``."""

    def __init__(self, catalog: Mapping[str, Commitment]) -> None:
        self.catalog = catalog

    def __call__(self, session: Session, changes: list[StatusChanged]) -> None:
        self.record(session, changes)

    def record(self, session: Session, changes: Iterable[StatusChanged]) -> int:
        """Insert the notifications for these changes; returns how many were attempted
        (duplicates of earlier ones are silently skipped by the database)."""
        subscriptions = session.scalars(
            select(SubscriptionRow).where(SubscriptionRow.active.is_(True))
        ).all()
        if not subscriptions:
            return 0
        stamp = utc_now()
        rows: dict[tuple[int, str], dict[str, Any]] = {}
        for change in changes:
            commitment = self.catalog.get(change.commitment_id)
            for sub in subscriptions:
                if not scope_matches(sub.scope, sub.value, change.commitment_id, commitment):
                    continue
                rows[(sub.id, change.status_event_id)] = {
                    "subscription_id": sub.id,
                    "status_event_id": change.status_event_id,
                    "commitment_id": change.commitment_id,
                    "payload": notification_payload(change, commitment, sub),
                    "created_at": stamp,
                    "delivery_state": (
                        DeliveryState.PENDING if sub.webhook_url else DeliveryState.FEED_ONLY
                    ),
                    "attempts": 0,
                    "next_attempt_at": stamp if sub.webhook_url else None,
                }
        _insert_ignoring_duplicates(session, list(rows.values()))
        return len(rows)
