"""Putting a benchmark's messages on a topic, and watching a consumer group get through them.

Progress is read from the group's committed offsets, which the services commit only after
a batch is handled and its output confirmed: "committed" means "done", as the services
define it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient


def produce_all(bootstrap: str, topic: str, messages: Sequence[tuple[bytes, bytes]]) -> float:
    """Send (key, value) pairs with the settings that suit 2 KB messages here (256 KB
    batches, 5 ms linger, acks=all); return the messages per second achieved."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        batch_size=256 * 1024,
        linger_ms=5,
        client_id="luqiao-bench-producer",
    )
    started = time.perf_counter()
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush(120)
    finally:
        producer.close()
    return len(messages) / (time.perf_counter() - started)


@dataclass
class GroupProgress:
    """When a consumer group's committed offsets reached 0 < n and then the target."""

    started: float
    first_commit_at: float | None = None
    first_committed: int = 0
    done_at: float | None = None
    samples: list[tuple[float, int]] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return (self.done_at or time.perf_counter()) - self.started

    def steady_rate(self, target: int) -> float | None:
        """Messages per second from the first commit to the last: without the group join."""
        if self.first_commit_at is None or self.done_at is None:
            return None
        span = self.done_at - self.first_commit_at
        return (target - self.first_committed) / span if span > 0 else None


def committed_total(admin: KafkaAdminClient, group: str, topic: str) -> int:
    offsets = admin.list_group_offsets({group: None}).get(group, {})
    return sum(max(meta.offset, 0) for tp, meta in offsets.items() if tp.topic == topic)


def wait_for_group(
    bootstrap: str,
    group: str,
    topic: str,
    target: int,
    started: float,
    timeout: float,
    interval: float = 0.1,
) -> GroupProgress:
    """Poll the group's committed offsets on ``topic`` until they sum to ``target``."""
    progress = GroupProgress(started=started)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="luqiao-bench-watch")
    try:
        deadline = started + timeout
        while time.perf_counter() < deadline:
            try:
                done = committed_total(admin, group, topic)
            except Exception:  # noqa: BLE001 - the group may not exist yet
                done = 0
            now = time.perf_counter()
            progress.samples.append((now - started, done))
            if done > 0 and progress.first_commit_at is None:
                progress.first_commit_at, progress.first_committed = now, done
            if done >= target:
                progress.done_at = now
                break
            time.sleep(interval)
    finally:
        admin.close()
    return progress
