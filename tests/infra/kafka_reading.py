"""Reading a test topic from the start with kafka-python, as a downstream service would."""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaConsumer


def consume(bootstrap: str, topic: str, want: int = 1, timeout: float = 30.0) -> list[Any]:
    """The topic's records from the earliest offset, until `want` arrived or `timeout`
    seconds passed (then fewer: the caller's assertion says what was missing)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=2000,
    )
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(messages) < want:
            messages.extend(consumer)
    finally:
        consumer.close()
    return messages
