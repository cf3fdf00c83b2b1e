"""The crawler's reports of its polls: stored once, only the newest kept, exposed as
luqiao_crawl_* metrics with their real time, and consumed from luqiao.crawls by the
deployed tracker (a poison report is dead-lettered, the consumer's lag is exposed)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from services.events import CrawlReport
from services.tracker.api.main import create_api
from services.tracker.app import build_tracker_api
from services.tracker.ledger import store
from services.tracker.ledger.models import CrawlReportRow
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_catalog
from tests.infra.kafka_topics import bus_settings_overrides, create_topics
from tests.live_server import serving
from tests.tracker.seeded_ledger import ledger_spec

CRAWLS: list[dict[str, Any]] = ledger_spec()["crawls"]


def report(n: int, *, ok: bool = True, hours_ago: float = 0.0) -> CrawlReport:
    finished = datetime.now(UTC) - timedelta(hours=hours_ago)
    return CrawlReport(
        crawl_id=f"crawl-{n}", site_url="https://www.luqiao.gov.cn",
        started_at=finished - timedelta(minutes=3), finished_at=finished, ok=ok,
        articles_seen=10 * n, last_error=None if ok else "站点返回 503",
    )  # fmt: skip


def samples(text: str) -> dict[str, float]:
    return {
        s.name: s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
        if s.name.startswith("luqiao_crawl_")
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_report_is_stored_once_and_only_the_newest_are_kept(tracker: TrackerService) -> None:
    tracker.start()
    tracker.record_crawl(report(1))
    tracker.record_crawl(report(1))  # a replay
    with tracker.sessions.begin() as s:
        for n in (2, 3, 4):
            store.record_crawl_report(s, report(n, hours_ago=n), keep=2)
    with tracker.sessions() as s:
        kept = sorted(s.scalars(select(CrawlReportRow.crawl_id)))
        assert s.scalar(select(func.count()).select_from(CrawlReportRow)) == 2
    assert kept == ["crawl-1", "crawl-2"]  # newest by finish time


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_metrics_give_the_last_success_in_real_time(tracker: TrackerService) -> None:
    """Times sent in UTC come back as the same instant (SQLite keeps no offset)."""
    tracker.start()
    good, bad = report(1, hours_ago=5), report(2, ok=False, hours_ago=1)
    for r in (good, bad):
        tracker.record_crawl(r)
    with serving(create_api(tracker)) as base:
        got = samples(httpx.get(base + "/metrics").text)
    assert got["luqiao_crawl_last_success_timestamp_seconds"] == pytest.approx(
        good.finished_at.timestamp(), abs=1
    )
    assert got["luqiao_crawl_last_report_timestamp_seconds"] == pytest.approx(
        bad.finished_at.timestamp(), abs=1
    )
    assert got["luqiao_crawl_last_ok"] == 0


@pytest.mark.kafka
@pytest.mark.slow
def test_the_deployed_tracker_consumes_crawl_reports(
    kafka_bootstrap: str, kafka_topics: dict[str, str], tmp_path: Path
) -> None:
    crawls_topic = f"t{uuid.uuid4().hex[:10]}.luqiao.crawls"
    create_topics(kafka_bootstrap, [crawls_topic])
    group = f"tracker-{uuid.uuid4().hex[:8]}"
    topics: dict[str, Any] = bus_settings_overrides(kafka_topics)
    settings = TrackerSettings(
        kafka_bootstrap=kafka_bootstrap, database_url=f"sqlite:///{tmp_path / 't.db'}",
        tracker_group=group, crawls_topic=crawls_topic, **topics,
    )  # fmt: skip
    app = build_tracker_api(settings, TrackerService(settings, catalog=list(mini_catalog())))
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    letters = KafkaConsumer(
        kafka_topics["deadletter"], bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest", group_id=None,
    )  # fmt: skip
    try:
        with serving(app) as base:
            for crawl in CRAWLS:
                event = CrawlReport.model_validate(crawl)  # as the crawler publishes it
                producer.send(crawls_topic, event.model_dump_json().encode(), key=b"crawler-1")
            producer.send(crawls_topic, b'{"schema_version": 1, "crawl_id": 7}', key=b"crawler-1")
            producer.flush()
            deadline = time.monotonic() + 60
            got: dict[str, float] = {}
            # The two reports may come in two batches: wait for the second (not ok).
            while time.monotonic() < deadline and got.get("luqiao_crawl_last_ok") != 0:
                time.sleep(0.5)
                got = samples(httpx.get(base + "/metrics").text)
            scrape = httpx.get(base + "/metrics")
            assert got.get("luqiao_crawl_last_ok") == 0, (scrape.status_code, scrape.text[-1500:])
            banner = httpx.get(base + "/").text
            assert CRAWLS[-1]["last_error"] in banner and "最近一次抓取失败" in banner
            dead = [json.loads(r.value) for recs in letters.poll(timeout_ms=10_000).values()
                    for r in recs]  # fmt: skip
            assert [(d["source_topic"], d["service"]) for d in dead] == [(crawls_topic, "tracker")]
            lag: dict[str, float] = {}
            while time.monotonic() < deadline + 30 and lag.get(crawls_topic) != 0:
                time.sleep(1)
                text = httpx.get(base + "/metrics").text
                lag = {s.labels["topic"]: s.value
                       for fam in text_string_to_metric_families(text)
                       for s in fam.samples if s.name == "luqiao_consumer_lag_messages"
                       and s.labels["group"] == group}  # fmt: skip
            assert lag == {kafka_topics["evidence"]: 0, crawls_topic: 0}
    finally:
        producer.close()
        letters.close()
