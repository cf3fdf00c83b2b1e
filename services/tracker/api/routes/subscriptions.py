"""HTTP endpoints to manage subscriptions to status changes (webhooks and Atom feeds;
the feeds themselves are served by `routes.feeds`).

Managing subscriptions needs the auditors' bearer token (like the review endpoint):
a subscription sends data to any URL it names. The feed is public but addressed by
an unguessable token, so a journalist can paste it into any feed reader.
The webhook secret is shown once, in the answer to the POST, as GitHub does.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from services.tracker.api.deps import AuditorToken, ServiceDep, SessionDep
from services.tracker.api.input_bounds import MAX_ID, MAX_OFFSET, OneLineText
from services.tracker.api.routes import feeds
from services.tracker.api.schemas import (
    CreatedSubscription,
    DeliveryAttemptOut,
    DeliveryLog,
    SubscriptionOut,
)
from services.tracker.ledger import subscriptions as stored
from services.tracker.ledger.models import SubscriptionRow
from services.tracker.notifications.atom import feed_path
from services.tracker.notifications.outbox import Scope
from services.tracker.notifications.targets import (
    REFUSED_MESSAGE,
    AllowList,
    TargetRefused,
    check_target,
    parse_target,
)
from services.tracker.notifications.webhooks import public_error
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


def public_view(sub: SubscriptionRow, request: Request) -> SubscriptionOut:
    """What a token holder sees of a subscription: everything but the secret."""
    base = str(request.base_url).rstrip("/")
    return SubscriptionOut(
        id=sub.id,
        name=sub.name,
        scope=sub.scope,
        value=sub.value,
        webhook_url=sub.webhook_url,
        active=sub.active,
        consecutive_failures=sub.consecutive_failures,
        feed_token=sub.feed_token,
        feed_url=base + feed_path(sub.feed_token),
        created_at=sub.created_at,
    )


def known_value(service: TrackerService, body: SubscriptionCreate) -> None:
    """A typo in an id or report would subscribe to nothing, silently; refuse it."""
    if body.scope == Scope.COMMITMENT and body.value not in service.catalog:
        raise HTTPException(422, f"no commitment {body.value!r}")
    if body.scope == Scope.REPORT:
        reports = {c.report.id for c in service.catalog.values()}
        if body.value not in reports:
            raise HTTPException(
                422, f"no report {body.value!r}; known: {', '.join(sorted(reports))}"
            )


def public_target(service: TrackerService, url: str | None) -> None:
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


def room_for_one_more(service: TrackerService, db: Session) -> None:
    limit = service.settings.max_subscriptions
    if stored.subscription_count(db) >= limit:
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


router = APIRouter(tags=["subscriptions"], dependencies=[AuditorToken])


def subscriptions_router(service: TrackerService) -> APIRouter:
    """The subscription endpoints and the feeds, for `create_api(extra_routers=...)`.
    The routers read the service from `app.state` like every other; the argument is
    kept for the callers that compose the app this way (app.py, the tests)."""
    del service
    combined = APIRouter()
    combined.include_router(router)
    combined.include_router(feeds.router)
    return combined


@router.post("/api/subscriptions", status_code=201, response_model=CreatedSubscription)
def create_subscription(
    body: SubscriptionCreate, request: Request, service: ServiceDep
) -> CreatedSubscription:
    known_value(service, body)
    public_target(service, body.webhook_url)
    with service.sessions.begin() as db:
        room_for_one_more(service, db)
        sub = stored.add_subscription(
            db, name=body.name, scope=body.scope.value, value=body.value,
            webhook_url=body.webhook_url,
        )  # fmt: skip
        return CreatedSubscription(**public_view(sub, request).model_dump(), secret=sub.secret)


@router.get("/api/subscriptions", response_model=list[SubscriptionOut])
def list_subscriptions(request: Request, db: SessionDep) -> list[SubscriptionOut]:
    return [public_view(sub, request) for sub in stored.all_subscriptions(db)]


@router.delete("/api/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(subscription_id: SubscriptionId, service: ServiceDep) -> Response:
    """Removes the subscription with its notifications and delivery log."""
    with service.sessions.begin() as db:
        get_subscription(db, subscription_id)
        stored.delete_subscription(db, subscription_id)
    return Response(status_code=204)


@router.post("/api/subscriptions/{subscription_id}/enable", response_model=SubscriptionOut)
def enable_subscription(
    subscription_id: SubscriptionId, request: Request, service: ServiceDep
) -> SubscriptionOut:
    """Turns a subscription disabled after repeated failures back on, once the
    subscriber's endpoint works again; new status changes reach it from then on."""
    with service.sessions.begin() as db:
        sub = get_subscription(db, subscription_id)
        sub.active = True
        sub.consecutive_failures = 0
        db.flush()
        return public_view(sub, request)


@router.get("/api/subscriptions/{subscription_id}/deliveries", response_model=DeliveryLog)
def deliveries(
    subscription_id: SubscriptionId,
    db: SessionDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveryLog:
    """The delivery log, newest attempt first, with each notification's state."""
    sub = get_subscription(db, subscription_id)
    found = stored.delivery_log(db, subscription_id, offset=offset, limit=limit)
    return DeliveryLog(
        subscription_id=sub.id,
        active=sub.active,
        consecutive_failures=sub.consecutive_failures,
        notifications_by_state=found.notifications_by_state,
        total=found.total,
        offset=offset,
        limit=limit,
        items=[
            DeliveryAttemptOut(
                notification_id=note.id,
                status_event_id=note.status_event_id,
                commitment_id=note.commitment_id,
                attempted_at=attempt.attempted_at,
                http_status=attempt.http_status,
                error=public_error(attempt.error),
                delivery_state=note.delivery_state,
                attempts=note.attempts,
                next_attempt_at=note.next_attempt_at,
            )
            for attempt, note in found.rows
        ],
    )
