"""HTTP endpoints to manage alert subscriptions and read their Atom feeds.

Managing subscriptions needs the auditors' bearer token (like the review endpoint):
a subscription sends data to any URL it names. The feed is public but addressed by
an unguessable token, so a journalist can paste it into any feed reader.
The webhook secret is shown once, in the answer to the POST, as GitHub does.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.tracker.api.deps import session_dependency, token_dependency
from services.tracker.api.input_bounds import MAX_ID, MAX_OFFSET, OneLineText
from services.tracker.ledger.models import DeliveryAttemptRow, NotificationRow, SubscriptionRow
from services.tracker.notifications.atom import ATOM_MEDIA_TYPE, feed_path, render_feed
from services.tracker.notifications.outbox import Scope, utc_now
from services.tracker.notifications.targets import (
    REFUSED_MESSAGE,
    AllowList,
    TargetRefused,
    check_target,
    parse_target,
)
from services.tracker.notifications.webhooks import as_utc, public_error
from services.tracker.service import TrackerService

log = structlog.get_logger("tracker.subscriptions")

SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID)]


class SubscriptionCreate(BaseModel):
    name: OneLineText = Field(min_length=1, max_length=128, description="Who or what this is for")
    scope: Scope
    value: OneLineText = Field(
        "",
        max_length=200,
        description="commitment id, section substring, report id, keyword; empty for all",
    )
    webhook_url: OneLineText | None = Field(
        None, max_length=2000, description="http(s) URL to POST to; omit for a feed only"
    )

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None or url == "":
            return None
        try:
            parse_target(url)  # the form only; where it leads is checked with the settings
        except TargetRefused as exc:
            raise ValueError(f"webhook_url must be an absolute http(s) URL: {exc}") from None
        return url

    @model_validator(mode="after")
    def _value_fits_scope(self) -> SubscriptionCreate:
        self.value = self.value.strip()
        if self.scope == Scope.ALL:
            self.value = ""
        elif not self.value:
            raise ValueError(f"scope {self.scope.value!r} needs a non-empty value")
        return self


def _public(sub: SubscriptionRow, request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "id": sub.id,
        "name": sub.name,
        "scope": sub.scope,
        "value": sub.value,
        "webhook_url": sub.webhook_url,
        "active": sub.active,
        "consecutive_failures": sub.consecutive_failures,
        "feed_token": sub.feed_token,
        "feed_url": base + feed_path(sub.feed_token),
        "created_at": as_utc(sub.created_at).isoformat(),
    }


def _iso(value: datetime | None) -> str | None:
    """UTC with its offset, also on SQLite, which stores datetimes without one."""
    return as_utc(value).isoformat() if value is not None else None


def subscriptions_router(service: TrackerService) -> APIRouter:
    router = APIRouter(tags=["subscriptions"])

    session = session_dependency(service)
    require_token = token_dependency(service)

    def known_value(body: SubscriptionCreate) -> None:
        """A typo in an id or report would subscribe to nothing, silently; refuse it."""
        if body.scope == Scope.COMMITMENT and body.value not in service.catalog:
            raise HTTPException(422, f"no commitment {body.value!r}")
        if body.scope == Scope.REPORT:
            reports = {c.report.id for c in service.catalog.values()}
            if body.value not in reports:
                raise HTTPException(
                    422, f"no report {body.value!r}; known: {', '.join(sorted(reports))}"
                )

    def public_target(url: str | None) -> None:
        """Refuse a webhook that leads to the private network (see `notifications.targets`);
        why exactly goes to the server log, the caller gets one sentence for all."""
        if url is None:
            return
        allow = AllowList.parse(service.settings.webhook_allow_hosts)
        try:
            check_target(url, allow, timeout=service.settings.webhook_timeout_seconds)
        except TargetRefused as exc:
            log.warning("webhook target refused", url=url, detail=str(exc))
            raise HTTPException(422, REFUSED_MESSAGE) from None

    def room_for_one_more(db: Session) -> None:
        limit = service.settings.max_subscriptions
        if (db.scalar(select(func.count()).select_from(SubscriptionRow)) or 0) >= limit:
            raise HTTPException(
                409,
                f"the tracker holds its limit of {limit} subscriptions "
                "(LUQIAO_MAX_SUBSCRIPTIONS); delete one first",
            )

    def get_subscription(db: Session, subscription_id: int) -> SubscriptionRow:
        sub = db.get(SubscriptionRow, subscription_id)
        if sub is None:
            raise HTTPException(404, f"no subscription {subscription_id}")
        return sub

    @router.post("/api/subscriptions", status_code=201, dependencies=[Depends(require_token)])
    def create_subscription(body: SubscriptionCreate, request: Request) -> dict[str, Any]:
        known_value(body)
        public_target(body.webhook_url)
        with service.sessions.begin() as db:
            room_for_one_more(db)
            sub = SubscriptionRow(
                name=body.name,
                scope=body.scope.value,
                value=body.value,
                webhook_url=body.webhook_url,
                secret=secrets.token_hex(32),
                feed_token=secrets.token_urlsafe(32),
                active=True,
                consecutive_failures=0,
                created_at=utc_now(),
            )
            db.add(sub)
            db.flush()
            return {**_public(sub, request), "secret": sub.secret}

    @router.get("/api/subscriptions", dependencies=[Depends(require_token)])
    def list_subscriptions(
        request: Request, db: Session = Depends(session)
    ) -> list[dict[str, Any]]:
        rows = db.scalars(select(SubscriptionRow).order_by(SubscriptionRow.id)).all()
        return [_public(sub, request) for sub in rows]

    @router.delete(
        "/api/subscriptions/{subscription_id}",
        status_code=204,
        dependencies=[Depends(require_token)],
    )
    def delete_subscription(subscription_id: SubscriptionId) -> Response:
        """Removes the subscription with its notifications and delivery log."""
        with service.sessions.begin() as db:
            get_subscription(db, subscription_id)
            note_ids = select(NotificationRow.id).where(
                NotificationRow.subscription_id == subscription_id
            )
            db.execute(
                delete(DeliveryAttemptRow).where(DeliveryAttemptRow.notification_id.in_(note_ids))
            )
            db.execute(
                delete(NotificationRow).where(NotificationRow.subscription_id == subscription_id)
            )
            db.execute(delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id))
        return Response(status_code=204)

    @router.post(
        "/api/subscriptions/{subscription_id}/enable", dependencies=[Depends(require_token)]
    )
    def enable_subscription(subscription_id: SubscriptionId, request: Request) -> dict[str, Any]:
        """Turns a subscription disabled after repeated failures back on, once the
        subscriber's endpoint works again; new status changes reach it from then on."""
        with service.sessions.begin() as db:
            sub = get_subscription(db, subscription_id)
            sub.active = True
            sub.consecutive_failures = 0
            db.flush()
            return _public(sub, request)

    @router.get(
        "/api/subscriptions/{subscription_id}/deliveries", dependencies=[Depends(require_token)]
    )
    def deliveries(
        subscription_id: SubscriptionId,
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(100, ge=1, le=1000),
        db: Session = Depends(session),
    ) -> dict[str, Any]:
        """The delivery log, newest attempt first, with each notification's state."""
        sub = get_subscription(db, subscription_id)
        base = (
            select(DeliveryAttemptRow, NotificationRow)
            .join(NotificationRow, NotificationRow.id == DeliveryAttemptRow.notification_id)
            .where(NotificationRow.subscription_id == subscription_id)
        )
        total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = db.execute(
            base.order_by(DeliveryAttemptRow.attempted_at.desc(), DeliveryAttemptRow.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        states = dict(
            db.execute(
                select(NotificationRow.delivery_state, func.count())
                .where(NotificationRow.subscription_id == subscription_id)
                .group_by(NotificationRow.delivery_state)
            ).all()
        )
        return {
            "subscription_id": sub.id,
            "active": sub.active,
            "consecutive_failures": sub.consecutive_failures,
            "notifications_by_state": states,
            "total": total,
            "offset": offset,
            "limit": limit,
            "items": [
                {
                    "notification_id": note.id,
                    "status_event_id": note.status_event_id,
                    "commitment_id": note.commitment_id,
                    "attempted_at": _iso(attempt.attempted_at),
                    "http_status": attempt.http_status,
                    "error": public_error(attempt.error),
                    "delivery_state": note.delivery_state,
                    "attempts": note.attempts,
                    "next_attempt_at": _iso(note.next_attempt_at),
                }
                for attempt, note in rows
            ],
        }

    @router.get(
        "/feeds/{feed_token}.atom",
        response_class=Response,
        responses={200: {"content": {ATOM_MEDIA_TYPE: {}}}},
    )
    def feed(
        feed_token: Annotated[OneLineText, Path(max_length=64)],
        request: Request,
        db: Session = Depends(session),
    ) -> Response:
        sub = db.scalar(select(SubscriptionRow).where(SubscriptionRow.feed_token == feed_token))
        if sub is None:
            raise HTTPException(404, "no such feed")
        body = render_feed(db, sub, str(request.base_url))
        return Response(body, media_type=ATOM_MEDIA_TYPE)

    return router
