"""The tracker as a service: a FastStream consumer of luqiao.evidence and the
HTTP API in one process (uvicorn runs FastAPI; FastAPI's lifespan runs the broker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher import DefaultPublisher

from services.events import DeadLetter, StatusChanged
from services.heap import freeze_startup_heap
from services.tracker.api.main import create_api
from services.tracker.api.routes.pages import web_router
from services.tracker.api.routes.subscriptions import subscriptions_router
from services.tracker.metrics import ConsumerLagCollector, register_consumer_lag
from services.tracker.notifications.outbox import SubscriptionMatcher
from services.tracker.notifications.webhooks import run_delivery_loop
from services.tracker.service import CrawlReports, TrackerService
from services.tracker.settings import TrackerSettings
from services.worker import BatchOutcome, publish_outcome, raw_batch_subscriber

log = structlog.get_logger("tracker")


# Evidence records per batch: one transaction and a fixed number of statements each. A
# back-fill fills batches; their fixed cost (reading the touched commitments' counted
# evidence) is then paid once per 2,000 events (measured: 1.6x the rate of 500).
EVIDENCE_BATCH_MAX = 2000
CRAWL_BATCH_MAX = 50


@dataclass(frozen=True)
class TrackerBus:
    """The tracker's broker and its one publisher of luqiao.status: status changes
    from evidence, re-evaluation and reviews all leave through it."""

    broker: KafkaBroker
    status_out: DefaultPublisher

    async def publish_changes(self, changes: list[StatusChanged]) -> None:
        await publish_outcome(
            BatchOutcome(out=changes), out=self.status_out, dead=None, key_of=_by_commitment
        )


def _by_commitment(change: StatusChanged) -> bytes:
    return change.commitment_id.encode()


def build_bus(settings: TrackerSettings, service: TrackerService) -> TrackerBus:
    broker = KafkaBroker(settings.kafka_bootstrap, client_id="luqiao-tracker")
    status_out = broker.publisher(
        settings.status_topic,
        title="StatusChanged",
        description="A commitment's status changed, on new evidence, the daily re-evaluation "
        "or an auditor's review (key: commitment_id).",
        schema=StatusChanged,
    )
    dead_out = broker.publisher(
        settings.deadletter_topic,
        title="DeadLetter",
        description="Unhandled evidence or crawl reports, with the reason.",
        schema=DeadLetter,
    )
    raw_batch_subscriber(
        broker,
        service,
        topic=settings.evidence_topic,
        group_id=settings.tracker_group,
        max_records=EVIDENCE_BATCH_MAX,
        out=status_out,
        dead=dead_out,
        key_of=_by_commitment,
        blocking=True,  # the database; an outage raises and the batch is redelivered
        title="EvidenceFound",
        description="Evidence from the extractor (v2; v1 is upgraded on arrival); "
        "stored once per evidence_id.",
    )
    raw_batch_subscriber(
        broker,
        CrawlReports(service),
        topic=settings.crawls_topic,
        group_id=settings.tracker_group,
        max_records=CRAWL_BATCH_MAX,
        dead=dead_out,
        blocking=True,
        title="CrawlReport",
        description="The crawler's outcome of one poll; the newest are kept for the page's "
        "crawl-health banner and the luqiao_crawl_* metrics.",
    )
    return TrackerBus(broker, status_out)


def build_broker(settings: TrackerSettings, service: TrackerService) -> KafkaBroker:
    """The broker alone (the AsyncAPI document is generated from it)."""
    return build_bus(settings, service).broker


StatusSink = Callable[[list[StatusChanged]], Awaitable[None]]


def tracker_api(
    service: TrackerService,
    *,
    broker: KafkaBroker | None = None,
    status_sink: StatusSink | None = None,
) -> FastAPI:
    """The tracker's HTTP side with its background work: subscriptions and their
    webhook delivery, and the daily re-evaluation. Shared by the Kafka service
    (with a broker) and the embedded mode (without)."""
    settings = service.settings
    service.add_listener(SubscriptionMatcher(service.catalog))

    async def publish(changes: list[StatusChanged]) -> None:
        if status_sink is not None and changes:
            await status_sink(changes)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if broker is not None:
            await broker.connect()  # the producer, before the first status changes
        await publish(await asyncio.to_thread(service.start))
        freeze_startup_heap()  # before serving: full collections skip start-up's objects
        if broker is not None:
            await broker.start()  # consume only once the schema and catalog are in place
            log.info(
                "tracker consuming", topic=settings.evidence_topic, group=settings.tracker_group
            )
        stop = asyncio.Event()
        delivery = asyncio.create_task(
            run_delivery_loop(
                service.sessions,
                settings,
                stop=stop,
                backoff_base_seconds=settings.webhook_backoff_seconds,
            )
        )
        daily = asyncio.create_task(
            _reevaluate_forever(service, settings.reevaluate_hours, publish)
        )
        try:
            yield
        finally:
            stop.set()
            daily.cancel()
            await delivery
            if broker is not None:
                await broker.stop()

    async def broker_ready() -> bool:
        if broker is None:
            return True
        try:
            return bool(await broker.ping(timeout=2.0))
        except Exception:
            return False

    api = create_api(
        service,
        readiness=broker_ready,
        lifespan=lifespan,
        extra_routers=[subscriptions_router(service), web_router(service)],
        on_status_changes=publish,
    )
    api.state.service = service
    return api


def build_tracker_api(settings: TrackerSettings, service: TrackerService | None = None) -> FastAPI:
    """The deployed tracker: the Kafka consumer plus `tracker_api`; status changes
    from re-evaluation and reviews go to luqiao.status like those from evidence."""
    service = service or TrackerService(settings)
    bus = build_bus(settings, service)

    register_consumer_lag(
        ConsumerLagCollector(
            settings.kafka_bootstrap,
            {settings.tracker_group: [settings.evidence_topic, settings.crawls_topic]},
        )
    )
    return tracker_api(service, broker=bus.broker, status_sink=bus.publish_changes)


async def _reevaluate_forever(service: TrackerService, hours: float, publish: StatusSink) -> None:
    """Deadlines pass and stalls begin without any new evidence."""
    while True:
        await asyncio.sleep(hours * 3600)
        await publish(await asyncio.to_thread(service.reevaluate))
