"""The tracker as a service: a FastStream consumer of luqiao.evidence and the
HTTP API in one process (uvicorn runs FastAPI; FastAPI's lifespan runs the broker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import cast

import structlog
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy

from services.deadletters import PoisonMessage, dead_letter, decode_event, reason_code
from services.events import CrawlReport, DeadLetter, EvidenceFound, StatusChanged
from services.pipeline_metrics import DEADLETTERS
from services.tracker.api.main import create_api
from services.tracker.api.routes.pages import web_router
from services.tracker.api.routes.subscriptions import subscriptions_router
from services.tracker.metrics import ConsumerLagCollector, register_consumer_lag
from services.tracker.notifications.outbox import SubscriptionMatcher
from services.tracker.notifications.webhooks import run_delivery_loop
from services.tracker.service import TrackerService, UnknownCommitment
from services.tracker.settings import TrackerSettings

log = structlog.get_logger("tracker")


def build_broker(settings: TrackerSettings, service: TrackerService) -> KafkaBroker:
    broker = KafkaBroker(settings.kafka_bootstrap, client_id="luqiao-tracker")
    status_out = broker.publisher(
        settings.status_topic,
        title="StatusChanged",
        description="A commitment's status changed (key: commitment_id).",
        schema=StatusChanged,
    )
    dead_out = broker.publisher(
        settings.deadletter_topic,
        title="DeadLetter",
        description="Unhandled evidence.",
        schema=DeadLetter,
    )

    @broker.subscriber(
        settings.evidence_topic,
        group_id=settings.tracker_group,
        batch=True,
        max_records=500,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="EvidenceFound",
        description="Evidence from the extractor; stored once per evidence_id.",
    )
    async def on_evidence(msg: KafkaMessage) -> None:
        # Raw bytes, not FastStream's decoding: a poison message must reach us to be diverted.
        body: list[bytes] = list(cast(list[bytes], msg.body))
        good: list[EvidenceFound] = []
        pending = []
        for raw in body:
            try:
                ev = decode_event(raw, EvidenceFound)
                if ev.commitment_id not in service.catalog:
                    raise PoisonMessage(str(UnknownCommitment(ev.commitment_id)))
                good.append(ev)
            except PoisonMessage as exc:
                DEADLETTERS.labels(service="tracker", reason=reason_code(exc.reason)).inc()
                letter = dead_letter(
                    raw, reason=exc.reason, source_topic=settings.evidence_topic, service="tracker"
                )
                pending.append(await dead_out.publish(letter, no_confirm=True))
        # A database outage raises here: the batch is not committed and is redelivered.
        changes = await asyncio.to_thread(service.handle_batch, good) if good else []
        for change in changes:
            pending.append(
                await status_out.publish(change, key=change.commitment_id.encode(), no_confirm=True)
            )
        if pending:
            await asyncio.gather(*pending)

    @broker.subscriber(
        settings.crawls_topic,
        group_id=settings.tracker_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="CrawlReport",
        description="The crawler's outcome of one poll; the newest are kept for the page's "
        "crawl-health banner and the luqiao_crawl_* metrics.",
    )
    async def on_crawl(msg: KafkaMessage) -> None:
        raw = cast(bytes, msg.body)
        try:
            report = decode_event(raw, CrawlReport)
        except PoisonMessage as exc:
            DEADLETTERS.labels(service="tracker", reason=reason_code(exc.reason)).inc()
            letter = dead_letter(
                raw, reason=exc.reason, source_topic=settings.crawls_topic, service="tracker"
            )
            await dead_out.publish(letter)
            return
        # A database outage raises here: the message is not committed and is redelivered.
        await asyncio.to_thread(service.record_crawl, report)

    return broker


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
        except Exception:  # noqa: BLE001
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
    broker = build_broker(settings, service)

    async def to_kafka(changes: list[StatusChanged]) -> None:
        await asyncio.gather(
            *[
                broker.publish(
                    c.model_dump_json().encode(),
                    settings.status_topic,
                    key=c.commitment_id.encode(),
                    headers={"content-type": "application/json"},
                )
                for c in changes
            ]
        )

    register_consumer_lag(
        ConsumerLagCollector(
            settings.kafka_bootstrap,
            {settings.tracker_group: [settings.evidence_topic, settings.crawls_topic]},
        )
    )
    return tracker_api(service, broker=broker, status_sink=to_kafka)


async def _reevaluate_forever(service: TrackerService, hours: float, publish: StatusSink) -> None:
    """Deadlines pass and stalls begin without any new evidence."""
    while True:
        await asyncio.sleep(hours * 3600)
        await publish(await asyncio.to_thread(service.reevaluate))
