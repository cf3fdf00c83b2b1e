"""The tracker's HTTP API (FastAPI): one router per resource, typed answers.

Reads go to the database through `ledger.read_model`, the list and one
commitment through the read model (`summaries.py`, `details.py`); writes (reviews,
manual statuses, subscriptions) go through `TrackerService` or `ledger`, so a
status is re-decided at once. What the routers share they read from `app.state`
(set here): the service, the summaries cache, the readiness check, the ledger's
metrics, the archive of crawled pages and where status changes are published.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.events import StatusChanged
from services.tracker.api.body_limit import BodySizeLimit
from services.tracker.api.details import CommitmentDetails
from services.tracker.api.fast_reads import ReadModelFastPath
from services.tracker.api.routes import commitments, evidence, exports, ops, review
from services.tracker.api.summaries import CommitmentSummaries
from services.tracker.api.validation_errors import answer_validation_errors_safely
from services.tracker.api.warc_archive import WarcIndex
from services.tracker.ledger.version_watch import LedgerVersionWatch
from services.tracker.metrics import LedgerCollector, ProcessExposition, ScrapeBodies
from services.tracker.service import TrackerService

ReadinessCheck = Callable[[], Awaitable[bool]]
StatusChangesSink = Callable[[list[StatusChanged]], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

CORE_ROUTERS = (ops.router, commitments.router, exports.router, evidence.router, review.router)


def create_api(
    service: TrackerService,
    *,
    readiness: ReadinessCheck | None = None,
    lifespan: Lifespan | None = None,
    extra_routers: Sequence[APIRouter] = (),
    on_status_changes: StatusChangesSink | None = None,
) -> FastAPI:
    api = FastAPI(
        title="luqiao-monitor tracker",
        version="1.0.0",
        description="Commitments of the Luqiao district work reports, their evidence and status.",
        lifespan=lifespan,
    )
    api.add_middleware(BodySizeLimit, max_bytes=service.settings.api_max_body_bytes)
    answer_validation_errors_safely(api)
    api.state.service = service
    # One watch of the ledger's version for the read model: the list, one
    # commitment and /metrics.
    watch = LedgerVersionWatch(
        service.sessions, max_age=service.settings.read_model_max_age_seconds
    )
    api.state.summaries = CommitmentSummaries(service.catalog, watch)
    api.state.details = CommitmentDetails(watch)
    api.state.readiness = readiness
    api.state.ledger_metrics = LedgerCollector(service.sessions, watch=watch)
    api.state.process_metrics = ProcessExposition()
    api.state.scrape_bodies = ScrapeBodies()
    api.state.on_status_changes = on_status_changes
    api.state.warc_index = WarcIndex(Path(service.settings.crawler_warc_dir))
    for router in (*CORE_ROUTERS, *extra_routers):
        api.include_router(router)
    # Outermost of ours: the read model's kept answers skip FastAPI's routing and
    # dependency solving (the routes above still document and validate them).
    api.add_middleware(ReadModelFastPath)
    return api
