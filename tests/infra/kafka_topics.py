"""Per-test Kafka topics, so tests sharing one broker never read each other's messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from kafka.admin import KafkaAdminClient

from services import events

# Role -> production topic name. The roles are the BusSettings field names without "_topic".
TOPIC_ROLES: dict[str, str] = {
    "articles": events.ARTICLES_TOPIC,
    "evidence": events.EVIDENCE_TOPIC,
    "status": events.STATUS_TOPIC,
    "deadletter": events.DEADLETTER_TOPIC,
}
PARTITIONS = 3


def unique_topic_names() -> dict[str, str]:
    """Role -> a topic name no other test uses, e.g. ``t1a2b3c4d.luqiao.articles``."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    return {role: f"{prefix}.{name}" for role, name in TOPIC_ROLES.items()}


def bus_settings_overrides(topics: dict[str, str]) -> dict[str, str]:
    """Keyword arguments that point a ``BusSettings`` subclass at these topics."""
    return {f"{role}_topic": name for role, name in topics.items()}


def bus_settings_env(topics: dict[str, str]) -> dict[str, str]:
    """The same, as the environment a service process reads its settings from
    (``LUQIAO_ARTICLES_TOPIC``…), for tests that run a command for real."""
    return {f"LUQIAO_{key.upper()}": value for key, value in bus_settings_overrides(topics).items()}


def create_topics(bootstrap: str, names: Iterable[str], partitions: int = PARTITIONS) -> None:
    """Create the topics with ``partitions`` partitions each and wait until every partition
    has a leader, so the first produce does not race the topic's creation."""
    spec = {name: {"num_partitions": partitions, "replication_factor": 1} for name in names}
    if not spec:
        return
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="luqiao-tests-admin")
    try:
        admin.create_topics(spec, timeout_ms=30_000, wait_for_metadata=True)
    finally:
        admin.close()
