"""An Atom feed per subscription, for readers who prefer a feed reader to a webhook.

Entries are the subscription's notifications, newest first. Entry ids are derived
from the status event (``urn:luqiao:status:<status_event_id>``), so a reader that
polls twice, or a feed rebuilt after a restart, never shows a change as new twice.
Everything shown comes from the stored notification payload, not the live catalog:
the feed says what the subscriber was told.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tracker.api.input_bounds import xml_safe
from services.tracker.ledger.models import NotificationRow, SubscriptionRow

ATOM_MEDIA_TYPE = "application/atom+xml"
FEED_ENTRY_LIMIT = 200
NO_STATUS = "—"


def feed_path(feed_token: str) -> str:
    return f"/feeds/{feed_token}.atom"


def entry_id(status_event_id: str) -> str:
    return f"urn:luqiao:status:{status_event_id}"


def entry_title(payload: dict[str, Any]) -> str:
    text = payload.get("commitment", {}).get("text") or payload["commitment_id"]
    return f"{text}: {payload.get('old_status') or NO_STATUS} → {payload['new_status']}"


def entry_content(payload: dict[str, Any]) -> str:
    commitment = payload.get("commitment", {})
    lines = [
        commitment.get("text", payload["commitment_id"]),
        f"status: {payload.get('old_status') or NO_STATUS} → {payload['new_status']}"
        f" (as of {payload['as_of']})",
    ]
    if payload.get("schedule"):
        lines.append(f"schedule: {payload['schedule']}")
    if commitment.get("section"):
        lines.append("section: " + " › ".join(commitment["section"]))
    if commitment.get("report"):
        lines.append(f"report: {commitment['report']}")
    reasons = payload.get("reasons") or []
    if reasons:
        lines.append("reasons:")
        lines.extend(f"- {r}" for r in reasons)
    return "\n".join(lines)


def render_feed(
    session: Session,
    subscription: SubscriptionRow,
    base_url: str,
    limit: int = FEED_ENTRY_LIMIT,
) -> bytes:
    """The Atom document for one subscription; ``base_url`` makes links absolute.

    Stored text goes through `xml_safe`: a row written before names were checked
    must not make the feed fail for good."""
    base = base_url.rstrip("/")
    notes = session.scalars(
        select(NotificationRow)
        .where(NotificationRow.subscription_id == subscription.id)
        .order_by(NotificationRow.created_at.desc(), NotificationRow.id.desc())
        .limit(limit)
    ).all()
    fg = FeedGenerator()
    fg.id(f"urn:luqiao:subscription:{subscription.id}")
    fg.title(xml_safe(f"Luqiao commitments: {subscription.name}"))
    fg.subtitle(xml_safe(f"Status changes for {subscription.scope} {subscription.value}".strip()))
    fg.author({"name": "luqiao-monitor"})
    fg.link(href=base + feed_path(subscription.feed_token), rel="self")
    fg.language("zh-CN")
    updated: list[datetime] = [subscription.created_at]
    for note in notes:  # newest first; append keeps that order in the document
        payload = note.payload
        changed = datetime.fromisoformat(payload["changed_at"]).astimezone(UTC)
        updated.append(changed)
        entry = fg.add_entry(order="append")
        entry.id(entry_id(note.status_event_id))
        entry.title(xml_safe(entry_title(payload)))
        entry.link(href=base + payload.get("api_path", ""), rel="alternate")
        entry.updated(changed)
        entry.published(note.created_at)
        entry.content(xml_safe(entry_content(payload)), type="text")
    fg.updated(max(updated))
    return fg.atom_str(pretty=True)
