"""The consumer-lag part of /metrics (metrics.ConsumerLagCollector) against a real
broker: the lag of a group that committed nothing is the whole topic, the Kafka
clients are kept from one refresh to the next, and a broker that cannot be reached
gives no series (never a made-up zero) and drops the clients."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer

from services.tracker.metrics import ConsumerLagCollector
from tests.infra.kafka_topics import create_topics
from tests.live_server import free_port


@pytest.mark.kafka
def test_the_lag_is_read_with_the_same_clients_each_refresh(kafka_bootstrap: str) -> None:
    topic = f"test.lag.{uuid.uuid4().hex[:8]}"
    create_topics(kafka_bootstrap, [topic])
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for i in range(3):
        producer.send(topic, f"m{i}".encode())
    producer.flush()
    producer.close()
    group = f"lag-{uuid.uuid4().hex[:6]}"
    consumer = KafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=group, max_poll_records=1,
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    while not consumer.poll(timeout_ms=1000):
        pass
    consumer.commit()  # one of the three consumed
    consumer.close()
    lag = ConsumerLagCollector(kafka_bootstrap, {group: [topic]}, ttl_seconds=0)
    try:
        assert lag._query() == [(group, topic, 2.0)]
        clients = lag._clients
        assert clients is not None
        assert lag._query() == [(group, topic, 2.0)]
        assert lag._clients is clients  # connected once
    finally:
        lag.close()
    assert lag._clients is None


@pytest.mark.slow  # kafka-python gives up on the bootstrap server after ~30 s
def test_an_unreachable_broker_gives_no_series_and_no_clients() -> None:
    lag = ConsumerLagCollector(f"127.0.0.1:{free_port()}", {"g": ["t"]}, ttl_seconds=0)
    lag._refresh()
    assert lag._cached is not None and lag._cached[1] == []
    assert lag._clients is None
