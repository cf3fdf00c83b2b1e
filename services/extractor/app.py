"""The extractor as a FastStream service: luqiao.articles → luqiao.evidence.

The loop (raw batch → decode → dead-letter → handle → publish → commit) is
`services.worker.raw_batch_subscriber`, shared with the tracker; this module
declares the topics and hands over the `ExtractorHandler`.
"""

from __future__ import annotations

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from services.events import DeadLetter, EvidenceFound
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from services.worker import PUBLISH_BATCH_BYTES, raw_batch_subscriber


def build_app(settings: ExtractorSettings, handler: ExtractorHandler | None = None) -> FastStream:
    # Evidence leaves in record batches per partition (services.worker), hence the size.
    broker = KafkaBroker(
        settings.kafka_bootstrap, client_id="luqiao-extractor", max_batch_size=PUBLISH_BATCH_BYTES
    )
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

    raw_batch_subscriber(
        broker,
        handler,
        topic=settings.articles_topic,
        group_id=settings.extractor_group,
        max_records=settings.batch_max_records,
        out=evidence_out,
        dead=dead_out,
        key_of=lambda ev: ev.commitment_id.encode(),
        by_partition=True,
        title="ArticleFetched",
        description="Articles from the crawler; poison messages go to the dead-letter topic.",
    )

    return FastStream(
        broker,
        specification=AsyncAPI(broker, title="luqiao-monitor extractor", version="1.0.0"),
    )
