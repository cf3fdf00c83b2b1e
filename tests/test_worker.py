"""The worker skeleton without a broker: poison is diverted with where it came
from, the good messages of a batch are handled together, and a handler that fails
fails the whole batch, so nothing of it is published and it is delivered again.
On the real broker: a batch's keyed events published by partition land as they do
published one by one (same partition, key, value, content type and order)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from kafka import KafkaConsumer, TopicPartition
from pydantic import BaseModel

from services.deadletters import PoisonMessage
from services.events import StatusChanged
from services.worker import BatchOutcome, RawMessage, process_batch, publish_outcome


class Doubler:
    """A worker over JSON numbers: poison unless a number; fails on 13."""

    service = "test"

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def decode(self, raw: bytes) -> int:
        value = json.loads(raw) if raw[:1].isdigit() else None
        if not isinstance(value, int):
            raise PoisonMessage(f"not_a_number: {raw[:10]!r}")
        return value

    def handle(self, items: list[int]) -> Sequence[StatusChanged]:
        if 13 in items:
            raise ConnectionError("database unavailable")
        self.batches.append(items)
        return []


def test_poison_is_diverted_and_the_rest_handled_as_one_batch() -> None:
    worker = Doubler()
    batch = [RawMessage(b"1"), RawMessage(b"oops", b"k", 2, 41), RawMessage(b"2")]
    outcome = process_batch(worker, "numbers", batch)
    assert worker.batches == [[1, 2]]
    [diverted] = outcome.dead
    assert diverted.key == b"k"
    letter = diverted.letter
    assert (letter.source_topic, letter.service, letter.source_partition, letter.source_offset) == (
        "numbers", "test", 2, 41
    )  # fmt: skip
    assert (
        letter.reason.startswith("not_a_number")
        and base64.b64decode(letter.original_b64) == b"oops"
    )


def test_a_failing_handler_fails_the_batch_before_anything_is_published() -> None:
    with pytest.raises(ConnectionError):
        process_batch(Doubler(), "numbers", [RawMessage(b"x"), RawMessage(b"13")])


def test_a_batch_of_poison_only_never_calls_the_handler() -> None:
    worker = Doubler()
    outcome = process_batch(worker, "numbers", [RawMessage(b"x"), RawMessage(b"y")])
    assert worker.batches == [] and len(outcome.dead) == 2 and outcome.out == []


class Tally(BaseModel):
    """A keyed event of some size, so that a few fill a small record batch."""

    subject: str
    n: int
    note: str


def _key(event: Tally) -> bytes:
    return event.subject.encode()


async def _publish(bootstrap: str, topic: str, events: list[Tally], grouped: bool) -> None:
    # A small record batch (2 KiB: about ten of these events), so the batches overflow and
    # are split, and the split is learned for the next outcome.
    broker = KafkaBroker(bootstrap, max_batch_size=2048)
    out = broker.publisher(topic)
    await broker.start()
    try:
        for half in (events[: len(events) // 2], events[len(events) // 2 :]):
            await publish_outcome(
                BatchOutcome(out=half),
                out=out,
                dead=None,
                key_of=_key,
                broker=broker if grouped else None,
            )
    finally:
        await broker.stop()


def _records(bootstrap: str, topic: str) -> dict[int, list[tuple[Any, ...]]]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        got: dict[int, list[tuple[Any, ...]]] = {}
        for record in consumer:
            content_type = dict(record.headers).get("content-type")
            got.setdefault(record.partition, []).append((record.key, record.value, content_type))
        return got
    finally:
        consumer.close()


@pytest.mark.kafka
def test_events_published_by_partition_land_as_published_one_by_one(
    kafka_bootstrap: str, kafka_topics: dict[str, str]
) -> None:
    events = [Tally(subject=f"c{i % 7}", n=i, note="进展" * (20 + i % 30)) for i in range(150)]
    one_by_one, grouped = kafka_topics["evidence"], kafka_topics["status"]  # 3 partitions each
    asyncio.run(_publish(kafka_bootstrap, one_by_one, events, grouped=False))
    asyncio.run(_publish(kafka_bootstrap, grouped, events, grouped=True))

    expected, got = _records(kafka_bootstrap, one_by_one), _records(kafka_bootstrap, grouped)
    assert sum(map(len, expected.values())) == len(events) and len(expected) > 1
    assert got == expected
    # (and per key, in the order of the outcome)
    for records in got.values():
        for subject in {key for key, _, _ in records}:
            numbers = [json.loads(value)["n"] for key, value, _ in records if key == subject]
            assert numbers == sorted(numbers)
