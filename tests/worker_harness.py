"""Running a service's FastStream broker in tests, in memory or on the real Kafka.

The same test runs twice: with FastStream's `TestKafkaBroker` (no broker, part of
`make test-quick`) and with `TestKafkaBroker(with_real=True)` against the session's
Kafka (marked `kafka`). `Collector` subscribes to output topics and keeps what
arrives, keys included, so a test reads what the service published.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from tests.infra.kafka_topics import bus_settings_overrides, create_topics, unique_topic_names

BROKER_MODES = [
    "memory",
    pytest.param("kafka", marks=[pytest.mark.kafka, pytest.mark.slow]),
]


@dataclass(frozen=True)
class BusUnderTest:
    """Where the service under test connects: bootstrap and topic settings."""

    real: bool
    settings: dict[str, Any]  # bootstrap and the bus topics (BusSettings fields)
    crawls_topic: str  # the tracker's own input beside the bus topics


@pytest.fixture(params=BROKER_MODES, name="bus")
def bus_under_test(request: pytest.FixtureRequest) -> BusUnderTest:
    """In memory: fresh topic names, no broker. On Kafka: the session's broker and
    this test's own topics (created with the fixture `kafka_topics`)."""
    if request.param == "memory":
        topics = unique_topic_names()
        crawls = topics["status"].replace(".status", ".crawls")
        return BusUnderTest(False, bus_settings_overrides(topics), crawls)
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    topics = request.getfixturevalue("kafka_topics")
    crawls = topics["status"].replace(".status", ".crawls")  # never the shared default
    create_topics(bootstrap, [crawls])
    settings = {"kafka_bootstrap": bootstrap, **bus_settings_overrides(topics)}
    return BusUnderTest(True, settings, crawls)


class Collector:
    """Keeps every message published to the given topics: (key or None, decoded JSON)."""

    def __init__(self, broker: KafkaBroker, *topics: str) -> None:
        self.got: dict[str, list[tuple[bytes | None, dict[str, Any]]]] = defaultdict(list)
        for topic in topics:
            self._subscribe(broker, topic)

    def _subscribe(self, broker: KafkaBroker, topic: str) -> None:
        @broker.subscriber(
            topic, group_id=f"collector-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest"
        )
        async def keep(msg: KafkaMessage) -> None:
            key = getattr(msg.raw_message, "key", None) or None
            self.got[topic].append((key, json.loads(msg.body)))

    async def wait(self, counts: dict[str, int], timeout: float, settle: float = 0.0) -> None:
        """Until each topic has at least its count (in memory it already has), then
        `settle` seconds more so that a duplicate would show."""
        deadline = time.monotonic() + timeout
        while any(len(self.got[t]) < n for t, n in counts.items()):
            if time.monotonic() > deadline:
                have = {t: len(self.got[t]) for t in counts}
                raise AssertionError(f"timed out waiting for {counts}, have {have}")
            await asyncio.sleep(0.1)
        if settle:
            await asyncio.sleep(settle)
