"""Publishing into the real broker, and failing loudly (remembering nothing) without one."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from sqlalchemy import create_engine, inspect, text

from services.crawler.run import CrawlFailed, crawl_subprocess
from services.events import ArticleFetched
from tests.fixture_site import FixtureSite

from .expected_articles import publishable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _consume(bootstrap: str, topic: str, want: int, timeout: float = 30.0) -> list[Any]:
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


@pytest.mark.kafka
def test_crawl_publishes_articles_to_kafka(
    fixture_site: FixtureSite,
    crawl_overrides: dict[str, Any],
    kafka_bootstrap: str,
    kafka_topics: dict[str, str],
) -> None:
    topic = kafka_topics["articles"]
    overrides = {**crawl_overrides, "kafka_bootstrap": kafka_bootstrap, "articles_topic": topic}
    summary = crawl_subprocess(overrides, "kafka")

    expected = len(publishable(fixture_site)) - 1  # the duplicate story goes out once
    assert summary.published == expected
    messages = _consume(kafka_bootstrap, topic, expected)
    assert len(messages) == expected
    events = [ArticleFetched.model_validate_json(m.value) for m in messages]
    assert all(m.key.decode() == e.article_id for m, e in zip(messages, events, strict=True))
    assert {e.url for e in events} <= set(publishable(fixture_site))

    again = crawl_subprocess(overrides, "kafka")
    assert again.published == 0
    assert len(_consume(kafka_bootstrap, topic, expected + 1, timeout=5)) == expected


def test_kafka_down_fails_loudly_and_marks_nothing_seen(
    fixture_site: FixtureSite, crawl_overrides: dict[str, Any], tmp_path: Path
) -> None:
    overrides = {
        **crawl_overrides,
        "kafka_bootstrap": f"127.0.0.1:{_closed_port()}",
        "kafka_timeout_seconds": 2,
    }
    with pytest.raises(CrawlFailed, match="(?i)kafka"):
        crawl_subprocess(overrides, "kafka", timeout=120)
    assert not any("/art/" in path for path in fixture_site.counts())
    engine = create_engine(overrides["state_url"])
    if inspect(engine).has_table("crawler_pages"):
        with engine.connect() as connection:
            assert connection.execute(text("select count(*) from crawler_pages")).scalar() == 0
    engine.dispose()
