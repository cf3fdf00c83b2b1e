"""Publishing into the real broker, and failing loudly (remembering nothing) without one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from services.crawler.run import CrawlFailed, crawl_subprocess
from services.events import ArticleFetched, CrawlReport
from tests.fixture_site import FixtureSite, fast_environment
from tests.infra.kafka_reading import consume
from tests.infra.kafka_topics import create_topics

from .expected_articles import publishable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    messages = consume(kafka_bootstrap, topic, expected)
    assert len(messages) == expected
    events = [ArticleFetched.model_validate_json(m.value) for m in messages]
    assert all(m.key.decode() == e.article_id for m, e in zip(messages, events, strict=True))
    assert {e.url for e in events} <= set(publishable(fixture_site))

    again = crawl_subprocess(overrides, "kafka")
    assert again.published == 0
    assert len(consume(kafka_bootstrap, topic, expected + 1, timeout=5)) == expected


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


@pytest.mark.kafka
def test_crawl_once_publishes_its_crawl_report(
    fixture_site: FixtureSite,
    kafka_bootstrap: str,
    kafka_topics: dict[str, str],
    tmp_path: Path,
) -> None:
    """`luqiao-monitor crawl --once` (a real process) reads the shared topic variables and
    ends with one CrawlReport on the crawls topic; a column that is not there makes it not ok."""
    crawls = kafka_topics["articles"].replace("articles", "crawls")
    create_topics(kafka_bootstrap, [crawls])
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUQIAO_")}
    env.update(
        {
            "KAFKA_BOOTSTRAP": kafka_bootstrap,
            "LUQIAO_ARTICLES_TOPIC": kafka_topics["articles"],
            "LUQIAO_CRAWLS_TOPIC": crawls,
            "LUQIAO_CRAWLER_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
            **fast_environment(tmp_path),
            "LUQIAO_CRAWLER_COLUMNS": json.dumps(["今日路桥", "部门动态", "不存在的栏目"]),
        }
    )
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("luqiao-monitor")),
            "crawl",
            "--once",
            "--site-url",
            fixture_site.url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    articles = consume(kafka_bootstrap, kafka_topics["articles"], 1000, timeout=10)
    [message] = consume(kafka_bootstrap, crawls, 1)
    report = CrawlReport.model_validate_json(message.value)
    assert report.ok is False and report.articles_published == len(articles) > 5
    by_column = {c.column: c for c in report.columns}
    assert by_column["今日路桥"].column_id == "1683482" and by_column["今日路桥"].new > 0
    assert by_column["不存在的栏目"].column_id is None and by_column["不存在的栏目"].error
