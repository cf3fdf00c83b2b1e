"""A subscription's Atom feed: public, but addressed by an unguessable token, so a
journalist can paste it into any feed reader."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from services.tracker.api.deps import SessionDep
from services.tracker.api.input_bounds import OneLineText
from services.tracker.api.schemas import text_body
from services.tracker.ledger import subscriptions as stored
from services.tracker.notifications.atom import ATOM_MEDIA_TYPE, render_feed

router = APIRouter(tags=["subscriptions"])


@router.get(
    "/feeds/{feed_token}.atom",
    response_class=Response,
    responses=text_body(ATOM_MEDIA_TYPE, "The subscription's notifications, newest first"),
)
def feed(
    feed_token: Annotated[OneLineText, Path(max_length=64)], request: Request, db: SessionDep
) -> Response:
    sub = stored.by_feed_token(db, feed_token)
    if sub is None:
        raise HTTPException(404, "no such feed")
    body = render_feed(db, sub, str(request.base_url))
    return Response(body, media_type=ATOM_MEDIA_TYPE)
