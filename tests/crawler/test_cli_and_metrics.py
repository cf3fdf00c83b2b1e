"""The `crawl` sub-command's help, and the Prometheus counters fed by a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from typer.testing import CliRunner

from services.crawler.cli import crawl_app
from services.crawler.run import crawl_once_subprocess, poll
from services.crawler.summary import CrawlSummary
from tests.fixture_site import FixtureSite, fast_overrides

from .conftest import SINGLE_SITE_DATA, read_events


def test_help_explains_the_options() -> None:
    result = CliRunner().invoke(crawl_app, ["--help"])
    assert result.exit_code == 0
    for option in ("--once", "--site-url", "--output", "--poll-minutes", "LUQIAO_CRAWLER_"):
        assert option in result.output


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_single_article_site_and_run_counters(tmp_path: Path) -> None:
    before: dict[str, Any] = {
        "runs": _value("luqiao_crawler_runs_total"),
        "new": _value("luqiao_crawler_pages_total", outcome="new"),
        "fetched": _value("luqiao_crawler_pages_total", outcome="fetched"),
    }
    with FixtureSite(SINGLE_SITE_DATA) as site:
        overrides = {**fast_overrides(site, tmp_path), "columns": ["1683482"]}
        summary = crawl_once_subprocess(overrides, tmp_path / "out.jsonl")
    [event] = read_events(tmp_path / "out.jsonl")
    assert "改造老旧小区4个" in event.text and event.published_at.year == 2025
    assert summary.errors == 0
    assert _value("luqiao_crawler_runs_total") == before["runs"] + 1
    assert _value("luqiao_crawler_pages_total", outcome="new") == before["new"] + 1
    fetched = _value("luqiao_crawler_pages_total", outcome="fetched") - before["fetched"]
    assert fetched == summary.pages_fetched == 4  # robots, column, API page, article


def test_poll_runs_each_crawl_in_a_fresh_child(tmp_path: Path) -> None:
    summaries: list[CrawlSummary] = []
    with FixtureSite(SINGLE_SITE_DATA) as site:
        overrides = {**fast_overrides(site, tmp_path), "columns": ["1683482"]}
        runs = poll(
            overrides,
            tmp_path / "polled.jsonl",
            poll_minutes=0,
            on_summary=summaries.append,
            max_runs=2,
        )
    assert runs == 2
    assert [s.new for s in summaries] == [1, 0]
    assert len(read_events(tmp_path / "polled.jsonl")) == 1  # appended, not duplicated
