"""The walking skeleton on real infrastructure: fixture site → crawler → Kafka →
extractor → Kafka → tracker → PostgreSQL → /metrics, and a second crawl adds nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.catalog import load_catalog
from services.crawler.run import crawl_subprocess
from services.extractor.settings import ExtractorSettings
from services.tracker.app import build_tracker_api
from services.tracker.settings import TrackerSettings
from tests.extractor.kafka_harness import RunningExtractor
from tests.fixture_site import FixtureSite, fast_overrides
from tests.infra.kafka_topics import bus_settings_overrides
from tests.live_server import serving

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]
SITE = Path(__file__).parent / "data" / "site_single"


def _old_housing_id() -> str:
    [c] = [
        c
        for c in load_catalog()
        if c.report.plan_year == 2025 and "老旧小区" in c.text and c.targets
    ]
    return c.id


def _evidence_count(metrics: str, commitment_id: str) -> float | None:
    m = re.search(
        r'^luqiao_commitment_evidence_count\{commitment_id="'
        + re.escape(commitment_id)
        + r'"[^}]*\} (\S+)$',
        metrics,
        re.M,
    )
    return float(m.group(1)) if m else None


def _wait_for(predicate, timeout: float = 90.0, every: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")


@pytest.fixture
def pipeline(
    kafka_bootstrap: str, kafka_topics: dict[str, str], fresh_database_url: str, tmp_path: Path
) -> Iterator[dict]:
    topics = bus_settings_overrides(kafka_topics)
    group = kafka_topics["articles"].split(".")[0]
    ex_settings = ExtractorSettings(
        kafka_bootstrap=kafka_bootstrap, extractor_group=f"{group}-ex", **topics
    )
    tr_settings = TrackerSettings(
        kafka_bootstrap=kafka_bootstrap,
        database_url=fresh_database_url,
        tracker_group=f"{group}-tr",
        **topics,
    )
    with (
        FixtureSite(SITE) as site,
        RunningExtractor(ex_settings),
        serving(build_tracker_api(tr_settings)) as base,
    ):
        yield {
            "site": site,
            "tracker": base,
            "crawl": {
                **fast_overrides(site, tmp_path),
                "columns": ["1683482"],
                "kafka_bootstrap": kafka_bootstrap,
                "articles_topic": kafka_topics["articles"],
                "database_url": fresh_database_url,
            },
        }


def test_one_article_travels_to_metrics_and_a_second_crawl_adds_nothing(pipeline: dict) -> None:
    commitment_id = _old_housing_id()
    first = crawl_subprocess(pipeline["crawl"], "kafka", timeout=120)
    assert first.new == 1

    def count() -> float | None:
        return _evidence_count(httpx.get(pipeline["tracker"] + "/metrics").text, commitment_id)

    assert _wait_for(lambda: count() == 1.0)
    detail = httpx.get(f"{pipeline['tracker']}/api/commitments/{commitment_id}").json()
    [evidence] = detail["evidence"]
    assert "老旧小区" in evidence["quote"]
    assert evidence["url"].startswith(pipeline["crawl"]["site_url"])

    second = crawl_subprocess(pipeline["crawl"], "kafka", timeout=120)
    assert second.new == 0 and second.updated == 0
    time.sleep(3)  # give a duplicate, if any were published, time to arrive
    assert count() == 1.0
