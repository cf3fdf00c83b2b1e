"""The worker skeleton of both FastStream services, written once:
raw batch → decode → dead-letter → handle → publish → commit.

A service says only how to decode one message (`Worker.decode`, raising
`PoisonMessage` for one that will never be handled) and how to handle the good
ones of a batch (`Worker.handle`). `process_batch` is the pure part (no broker:
the embedded mode and the tests call it directly); `raw_batch_subscriber` wires
it to Kafka: the subscriber takes raw bytes, not FastStream's decoding, so a
poison message reaches the worker to be diverted instead of failing the batch.

Delivery is at-least-once. Everything a batch yields (output events and dead
letters) is published and confirmed before the batch's offsets are committed;
an exception in `handle` (the database is down) publishes nothing, nacks the
batch and it is delivered again. Output ids are deterministic, so a replayed
batch republishes the same events and their consumers store them once.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker, KafkaPublishMessage
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.exceptions import BatchBufferOverflowException
from faststream.kafka.publisher import DefaultPublisher
from faststream.middlewares import AckPolicy
from pydantic import BaseModel

from services.deadletters import PoisonMessage, dead_letter, reason_code
from services.events import DeadLetter
from services.pipeline_metrics import DEADLETTERS

In = TypeVar("In")
Out = TypeVar("Out", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel, covariant=True)


@dataclass(frozen=True)
class RawMessage:
    """One record as the broker delivered it."""

    value: bytes
    key: bytes | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class Diverted:
    """A dead letter and the key of the message it replaces (kept on the dead-letter topic)."""

    letter: DeadLetter
    key: bytes | None = None


@dataclass
class BatchOutcome(Generic[Out]):
    """What one batch yields: events for the service's output topic, and dead letters."""

    out: list[Out] = field(default_factory=list)
    dead: list[Diverted] = field(default_factory=list)


class Worker(Protocol[In, OutT]):
    """A service's part of the skeleton."""

    service: str  # "extractor", "tracker": the dead letter's `service` and metric label

    def decode(self, raw: bytes) -> In:
        """Bytes → a value the handler takes, or `PoisonMessage` with the reason."""
        ...

    def handle(self, items: list[In]) -> Sequence[OutT]:
        """The decoded messages of one batch → the events to publish. May raise:
        the batch is then not committed and is delivered again."""
        ...


def process_batch(
    worker: Worker[In, Out], source_topic: str, batch: Sequence[RawMessage]
) -> BatchOutcome[Out]:
    """Decode each message, divert the poison ones, handle the rest together."""
    good: list[In] = []
    dead: list[Diverted] = []
    for message in batch:
        try:
            good.append(worker.decode(message.value))
        except PoisonMessage as exc:
            DEADLETTERS.labels(service=worker.service, reason=reason_code(exc.reason)).inc()
            letter = dead_letter(
                message.value,
                reason=exc.reason,
                source_topic=source_topic,
                service=worker.service,
                key=message.key,
                partition=message.partition,
                offset=message.offset,
            )
            dead.append(Diverted(letter, message.key))
    out = list(worker.handle(good)) if good else []
    return BatchOutcome(out=out, dead=dead)


def raw_messages(msg: KafkaMessage) -> list[RawMessage]:
    """The records of a batch message with their keys and offsets (a record's key
    is b"" when it had none, as the in-memory test broker delivers it)."""
    bodies = list(cast(list[bytes], msg.body))
    records = msg.raw_message if isinstance(msg.raw_message, (list, tuple)) else [msg.raw_message]
    out = []
    for i, body in enumerate(bodies):
        record = records[i] if i < len(records) else None
        key = getattr(record, "key", None)
        out.append(
            RawMessage(
                body,
                key or None,
                getattr(record, "partition", None),
                getattr(record, "offset", None),
            )
        )
    return out


def _aiokafka_producer(broker: KafkaBroker | None) -> AIOKafkaProducer | None:
    """The broker's connected aiokafka producer; None without a broker or with FastStream's
    in-memory test broker, which has none."""
    state = getattr(broker.config.producer, "_producer", None) if broker is not None else None
    producer = getattr(state, "producer", None)
    return producer if isinstance(producer, AIOKafkaProducer) else None


async def _publish_by_partition(
    broker: KafkaBroker,
    producer: AIOKafkaProducer,
    topic: str,
    events: Sequence[Out],
    key_of: Callable[[Out], bytes],
) -> list[Awaitable[Any]]:
    """Publish keyed events as a few record batches per partition instead of one call each.

    Why: one FastStream `publish` per event, and aiokafka's `send` behind it, cost ~50 us of
    CPU per event, a sixth of the extractor's time through Kafka (the records reach the
    broker in batches either way). Each event goes to the partition aiokafka's own
    partitioner gives its key (what `send` would choose), in the order of `events`, so
    the order per key is unchanged; FastStream's `publish_batch` encodes them as `publish`
    does (same value, key and content-type; the batch shares one correlation id). A batch
    holds what fits in the producer's `max_batch_size`: on overflow the part that fitted is
    sent and the rest continues in batches of that many; the next call starts from that
    many (`_FITTED`), since FastStream encodes a whole batch before it finds the overflow."""
    await producer.partitions_for(topic)  # the topic's metadata, as `send` waits for it
    by_partition: dict[int, list[KafkaPublishMessage]] = {}
    for event in events:
        key = key_of(event)
        # aiokafka's own choice of partition for the key (`send` calls the same method).
        partition = producer._partition(topic, None, key, None, key, None)
        by_partition.setdefault(partition, []).append(KafkaPublishMessage(event, key=key))
    pending: list[Awaitable[Any]] = []
    for partition, messages in by_partition.items():
        size = _FITTED.get(topic, len(messages))
        while messages:
            chunk = messages[:size]
            try:
                sent = await broker.publish_batch(
                    *chunk, topic=topic, partition=partition, no_confirm=True
                )
            except BatchBufferOverflowException as exc:
                if exc.message_position < 1:
                    raise
                size = _FITTED[topic] = exc.message_position  # nothing sent: retry what fitted
                continue
            pending.append(sent)
            messages = messages[len(chunk) :]
    return pending


# How many events fitted in one record batch, by topic: where the next batches start.
_FITTED: dict[str, int] = {}
# The producer's record batch size for a service that publishes by partition (its
# KafkaBroker's `max_batch_size`; aiokafka's default is 16 KiB). Batches of ~10 evidence
# events saved nothing over one `publish` each (62 against 58 us of CPU per event); of
# 256 KiB, ~22 us. A quarter of Kafka's default limits on a record batch and a request
# (message.max.bytes, max_request_size: 1 MiB), which no setting here changes.
PUBLISH_BATCH_BYTES = 256 * 1024


async def publish_outcome(
    outcome: BatchOutcome[Out],
    *,
    out: DefaultPublisher | None,
    dead: DefaultPublisher | None,
    key_of: Callable[[Out], bytes],
    broker: KafkaBroker | None = None,
) -> None:
    """Publish everything, then wait for every confirmation together (one round
    trip per batch, not per message); a failure raises before the commit.

    With `broker` (a real one, its producer's `max_batch_size` raised to
    `PUBLISH_BATCH_BYTES`) and every event keyed, the events go out in batches per
    partition (`_publish_by_partition`); otherwise, and for dead letters, one by one."""
    if (outcome.out and out is None) or (outcome.dead and dead is None):
        raise RuntimeError("the outcome has messages for a topic without a publisher")
    pending: list[Awaitable[Any]] = []

    def keep(sent: object) -> None:
        # A confirmation to wait for; the in-memory test broker delivers at once (None).
        if inspect.isawaitable(sent):
            pending.append(sent)

    for diverted in outcome.dead:
        assert dead is not None
        keep(await dead.publish(diverted.letter, key=diverted.key, no_confirm=True))
    producer = _aiokafka_producer(broker) if outcome.out else None
    if (
        producer is not None
        and broker is not None
        and out is not None
        and all(key_of(event) for event in outcome.out)
    ):
        pending += await _publish_by_partition(broker, producer, out.topic, outcome.out, key_of)
    else:
        for event in outcome.out:
            assert out is not None
            keep(await out.publish(event, key=key_of(event), no_confirm=True))
    if pending:
        await asyncio.gather(*pending)


# How often a consumer tells the group coordinator it is alive, and so how soon it hears
# that the group is rebalancing. A service's subscribers of one group join one after the
# other at start-up (the tracker's two: evidence and crawl reports), and each join is a
# rebalance that the members already in learn of at their next heartbeat: at Kafka's
# default of 3 s the tracker's start-up waited ~3.9 s in `broker.start()`.
HEARTBEAT_INTERVAL_MS = 500

# How long a batch subscriber waits for records when none are buffered. FastStream's
# batch loop sleeps as long again after a wait that found nothing (its default: 200 ms
# + 200 ms), so a record that arrives just after a quiet spell waited up to ~400 ms per
# hop before it was even fetched (extractor and tracker: two hops on the end-to-end
# path). A wait that finds
# records returns at once whatever this is, so batches under load are as large as before;
# idle, it costs one empty poll every 2 x 50 ms.
BATCH_WAIT_MS = 50


async def _undecoded(_msg: object) -> None:
    """The handlers read a batch's raw records (`raw_messages`) and decode each body
    themselves, with its own poison handling. FastStream's own decoding of a batch
    builds a message per record and loads its JSON, which nothing reads: 18 % of the
    tracker process's CPU while it ingested (py-spy), on the event loop."""
    return None


def raw_batch_subscriber(
    broker: KafkaBroker,
    worker: Worker[Any, Out],
    *,
    topic: str,
    group_id: str,
    max_records: int,
    dead: DefaultPublisher,
    out: DefaultPublisher | None = None,
    key_of: Callable[[Out], bytes] = lambda _e: b"",
    blocking: bool = False,
    by_partition: bool = False,
    title: str,
    description: str,
) -> None:
    """Subscribe `worker` to `topic` in the consumer group, in batches.

    `blocking`: the handler waits on I/O (the tracker's database), so it runs in
    a thread and the event loop keeps serving; CPU-bound work (the extractor)
    runs inline. `by_partition`: a batch's keyed events are published in record
    batches per partition (`_publish_by_partition`; the broker's `max_batch_size`
    should be `PUBLISH_BATCH_BYTES`), not one call each.
    """

    @broker.subscriber(
        topic,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        auto_offset_reset="earliest",
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        batch_timeout_ms=BATCH_WAIT_MS,
        decoder=_undecoded,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=title,
        description=description,
    )
    async def on_batch(msg: KafkaMessage) -> None:
        batch = raw_messages(msg)
        if blocking:
            outcome = await asyncio.to_thread(process_batch, worker, topic, batch)
        else:
            outcome = process_batch(worker, topic, batch)
        await publish_outcome(
            outcome, out=out, dead=dead, key_of=key_of, broker=broker if by_partition else None
        )
