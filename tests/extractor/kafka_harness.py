"""Running the extractor app against the real broker and reading what it published."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from services.extractor.app import build_app
from services.extractor.settings import ExtractorSettings


class RunningExtractor:
    """The FastStream app on its own event loop, as if in its own process."""

    def __init__(self, settings: ExtractorSettings) -> None:
        self.app = build_app(settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RunningExtractor:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.app.broker.start(), self.loop).result(60)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.app.broker.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=12 * 1024 * 1024
    )
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush(30)
    producer.close()


def read_all(
    bootstrap: str, topic: str, expect: int, timeout: float = 60.0, settle: float = 2.0
) -> list[Any]:
    """Read the topic from the start until `expect` messages arrived, then a
    little longer to catch any extra (a duplicate would show here)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=500,
    )
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    settled_at: float | None = None
    try:
        while time.monotonic() < deadline:
            for record in consumer:
                got.append(json.loads(record.value))
            if len(got) >= expect:
                settled_at = settled_at or time.monotonic()
                if time.monotonic() - settled_at >= settle:
                    break
    finally:
        consumer.close()
    return got
