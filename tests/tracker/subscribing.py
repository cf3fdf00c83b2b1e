"""A tracker with its subscription side wired as `services.tracker.app.tracker_api`
wires it (status changes matched to subscriptions, the subscriptions routes), started on
the mini catalog on a fixed day: what the notification and subscription tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from fastapi import FastAPI

from services.tracker.api.main import create_api
from services.tracker.api.routes.subscriptions import subscriptions_router
from services.tracker.notifications.outbox import SubscriptionMatcher
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_catalog

AS_OF = date(2025, 6, 1)


def subscribing_tracker(settings: TrackerSettings) -> TrackerService:
    """Started as of `AS_OF`; the caller disposes of its engine (or uses `running`)."""
    service = TrackerService(settings, catalog=list(mini_catalog()))
    service.start(as_of=AS_OF)
    service.add_listener(SubscriptionMatcher(service.catalog))
    return service


@contextmanager
def running(settings: TrackerSettings) -> Iterator[TrackerService]:
    service = subscribing_tracker(settings)
    try:
        yield service
    finally:
        service.engine.dispose()


def subscriptions_api(service: TrackerService) -> FastAPI:
    """The tracker's API with the subscriptions routes, without the background loops."""
    return create_api(service, extra_routers=[subscriptions_router(service)])
