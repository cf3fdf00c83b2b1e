"""The extractor as a FastStream service: luqiao.articles → luqiao.evidence.

Batches are consumed in a consumer group; evidence and dead letters are
published and confirmed before the batch's offsets are committed
(at-least-once). Evidence ids are deterministic, so a batch replayed after a
crash republishes the same ids and the tracker stores them once.
"""

from __future__ import annotations

import asyncio
from typing import cast

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from faststream.specification import AsyncAPI

from services.events import DeadLetter, EvidenceFound
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings


def build_app(settings: ExtractorSettings, handler: ExtractorHandler | None = None) -> FastStream:
    broker = KafkaBroker(settings.kafka_bootstrap, client_id="luqiao-extractor")
    handler = handler or ExtractorHandler(settings)
    evidence_out = broker.publisher(
        settings.evidence_topic,
        title="EvidenceFound",
        description="A mention of a commitment found in an article (key: commitment_id).",
        schema=EvidenceFound,
    )
    dead_out = broker.publisher(
        settings.deadletter_topic,
        title="DeadLetter",
        description="An article message that could not be handled, with the reason.",
        schema=DeadLetter,
    )

    @broker.subscriber(
        settings.articles_topic,
        group_id=settings.extractor_group,
        batch=True,
        max_records=settings.batch_max_records,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="ArticleFetched",
        description="Articles from the crawler; poison messages go to the dead-letter topic.",
    )
    async def on_articles(msg: KafkaMessage) -> None:
        # Raw bytes, not FastStream's decoding: a poison message must reach us to be diverted.
        body: list[bytes] = list(cast(list[bytes], msg.body))
        records = (
            msg.raw_message if isinstance(msg.raw_message, (list, tuple)) else [msg.raw_message]
        )
        meta = [
            (getattr(r, "key", None), getattr(r, "partition", None), getattr(r, "offset", None))
            for r in records
        ]
        pending = []
        for i, raw in enumerate(body):
            key, partition, offset = meta[i] if i < len(meta) else (None, None, None)
            outcome = handler.handle_raw(raw, key, partition, offset)
            if outcome.dead is not None:
                pending.append(await dead_out.publish(outcome.dead, key=key, no_confirm=True))
            for ev in outcome.evidence:
                # The evidence id is the correlation id: deterministic, and it spares a
                # uuid4 per event (5 % of the service's time in bench/README.md's profile).
                pending.append(
                    await evidence_out.publish(
                        ev,
                        key=ev.commitment_id.encode(),
                        correlation_id=ev.evidence_id,
                        no_confirm=True,
                    )
                )
        if pending:
            await asyncio.gather(*pending)

    return FastStream(
        broker,
        specification=AsyncAPI(broker, title="luqiao-monitor extractor", version="1.0.0"),
    )
