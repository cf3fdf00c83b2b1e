"""The tracker as a service: a FastStream consumer of luqiao.evidence and the
HTTP API in one process (uvicorn runs FastAPI; FastAPI's lifespan runs the broker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.middlewares import AckPolicy

from services.deadletters import PoisonMessage, dead_letter, decode_event, reason_code
from services.events import DeadLetter, EvidenceFound, StatusChanged
from services.pipeline_metrics import DEADLETTERS
from services.tracker.api import create_api
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
    async def on_evidence(body: list[bytes], msg: KafkaMessage) -> None:
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

    return broker


def build_tracker_api(settings: TrackerSettings, service: TrackerService | None = None) -> FastAPI:
    """The deployed tracker: HTTP API + Kafka consumer + daily re-evaluation."""
    service = service or TrackerService(settings)
    broker = build_broker(settings, service)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(service.start)
        await broker.start()
        daily = asyncio.create_task(_reevaluate_forever(service, settings.reevaluate_hours))
        log.info("tracker consuming", topic=settings.evidence_topic, group=settings.tracker_group)
        try:
            yield
        finally:
            daily.cancel()
            await broker.stop()

    async def broker_ready() -> bool:
        try:
            return bool(await broker.ping(timeout=2.0))
        except Exception:  # noqa: BLE001
            return False

    api = create_api(service, readiness=broker_ready, lifespan=lifespan)
    api.state.broker = broker
    api.state.service = service
    return api


async def _reevaluate_forever(service: TrackerService, hours: float) -> None:
    """Deadlines pass and stalls begin without any new evidence."""
    while True:
        await asyncio.sleep(hours * 3600)
        await asyncio.to_thread(service.reevaluate)
