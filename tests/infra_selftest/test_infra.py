"""Checks of the test infrastructure itself: that the real broker and database the other
tests rely on really carry messages and run SQL, and that tests are kept apart."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import create_engine, inspect, text

from services.events import ArticleFetched, article_id_for
from tests.infra.kafka_broker import LOCAL_KAFKA, running_kafka_broker
from tests.infra.kafka_topics import TOPIC_ROLES, bus_settings_overrides, unique_topic_names
from tests.infra.postgres_databases import fresh_database
from tests.infra.postgres_server import external_postgres_url

DATA = Path(__file__).parent / "data"


def sample_article() -> ArticleFetched:
    raw = json.loads((DATA / "article_event.json").read_text(encoding="utf-8"))
    return ArticleFetched(article_id=article_id_for(raw["url"]), **raw)


def consume_one(bootstrap: str, topic: str, timeout_s: float = 30.0) -> ConsumerRecord:
    """The first record on ``topic``, read by a new consumer group from the beginning."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"selftest-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                if records:
                    return records[0]
        raise AssertionError(f"no record on {topic} within {timeout_s}s")
    finally:
        consumer.close()


@pytest.mark.kafka
def test_event_round_trips_through_the_real_broker(
    kafka_bootstrap: str, kafka_topics: dict[str, str]
) -> None:
    article = sample_article()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        metadata = producer.send(
            kafka_topics["articles"],
            key=article.article_id.encode(),
            value=article.model_dump_json().encode(),
        ).get(timeout=30)
    finally:
        producer.close()
    assert metadata.topic == kafka_topics["articles"]

    record = consume_one(kafka_bootstrap, kafka_topics["articles"])

    assert record.key == article.article_id.encode()
    assert record.partition == metadata.partition
    assert ArticleFetched.model_validate_json(record.value) == article


@pytest.mark.kafka
def test_each_test_topic_exists_with_three_partitions(
    kafka_bootstrap: str, kafka_topics: dict[str, str]
) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = admin.describe_topics(list(kafka_topics.values()))
    finally:
        admin.close()
    partitions = {row["name"]: len(row["partitions"]) for row in described}
    assert partitions == {name: 3 for name in kafka_topics.values()}


def test_topic_names_are_unique_per_call_and_cover_every_role() -> None:
    first, second = unique_topic_names(), unique_topic_names()
    assert set(first) == set(TOPIC_ROLES) == set(second)
    assert not set(first.values()) & set(second.values())
    assert all(first[role].endswith(f".{TOPIC_ROLES[role]}") for role in TOPIC_ROLES)
    assert bus_settings_overrides(first)["articles_topic"] == first["articles"]


def test_a_broker_given_by_the_environment_is_used_as_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "broker.example:9092")
    with running_kafka_broker() as bootstrap:
        assert bootstrap == "broker.example:9092"


@pytest.mark.parametrize(
    ("env_value", "expected"),
    [
        ("postgresql+psycopg://u@db:5432/luqiao", "postgresql+psycopg://u@db:5432/luqiao"),
        ("sqlite:///./luqiao.db", None),
        ("", None),
    ],
)
def test_only_a_postgresql_database_url_replaces_the_local_server(
    monkeypatch: pytest.MonkeyPatch, env_value: str, expected: str | None
) -> None:
    monkeypatch.setenv("DATABASE_URL", env_value)
    assert external_postgres_url() == expected


def test_local_kafka_reports_a_directory_without_broker_as_stopped(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(LOCAL_KAFKA), "status", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert result.stdout.startswith("stopped")


@pytest.mark.postgres
def test_fresh_database_starts_empty_and_runs_sql(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE commitment (id text PRIMARY KEY, done int)"))
            conn.execute(
                text("INSERT INTO commitment VALUES (:id, :done)"),
                [{"id": "2025-01", "done": 3}, {"id": "2025-02", "done": 4}],
            )
        with engine.connect() as conn:
            total = conn.execute(text("SELECT sum(done) FROM commitment")).scalar_one()
            database = conn.execute(text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert total == 7
    assert database != "postgres"
    assert database == fresh_database_url.rsplit("/", 1)[1]


@pytest.mark.postgres
def test_fresh_databases_are_isolated_and_dropped_afterwards(postgres_url: str) -> None:
    with fresh_database(postgres_url) as first, fresh_database(postgres_url) as second:
        assert first != second
        first_engine, second_engine = create_engine(first), create_engine(second)
        try:
            with first_engine.begin() as conn:
                conn.execute(text("CREATE TABLE only_here (x int)"))
            # Left open on purpose: dropping must not be blocked by a test's connection.
            first_engine.connect()
            assert inspect(second_engine).get_table_names() == []
        finally:
            second_engine.dispose()
    server = create_engine(postgres_url)
    try:
        with server.connect() as conn:
            names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    finally:
        server.dispose()
        first_engine.dispose()
    assert {first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]}.isdisjoint(names)
