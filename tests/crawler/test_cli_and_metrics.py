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

from .conftest import SINGLE_SITE_DATA, SITE_DATA, read_events


def test_help_explains_the_options() -> None:
    result = CliRunner().invoke(crawl_app, ["--help"])
    assert result.exit_code == 0
    for option in (
        "--once",
        "--list-columns",
        "--site-url",
        "--output",
        "--poll-minutes",
        "LUQIAO_CRAWLER_",
        "LUQIAO_ARTICLES_TOPIC",
    ):
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


def test_list_columns_reads_the_navigation(monkeypatch: Any) -> None:
    monkeypatch.setenv("LUQIAO_CRAWLER_DOWNLOAD_DELAY", "0")
    with FixtureSite(SITE_DATA) as site:
        result = CliRunner().invoke(crawl_app, ["--list-columns", "--site-url", site.url])
        counts = {c: len(site.data.list_items(c)) for c in site.data.columns}
    assert result.exit_code == 0, result.output
    rows = {line.split("\t")[0]: line.split("\t") for line in result.output.splitlines()[1:]}
    assert rows["1683482"][1:4] == ["今日路桥", "jpaas", str(counts["1683482"])]
    assert rows["1683483"][1:4] == ["部门动态", "jpage", str(counts["1683483"])]
    assert rows["1683484"][1:3] == ["乡镇街道动态", "jpage"]
    assert rows["1683490"][1:3] == ["通知公告", "jpaas"]
    assert "HTTP 404" in "\t".join(rows["1229486965"])  # linked, but no column page here


def test_missing_and_empty_columns_are_errors_not_silence(tmp_path: Path) -> None:
    with FixtureSite(SINGLE_SITE_DATA) as site:
        overrides = {**fast_overrides(site, tmp_path), "columns": ["今日路桥", "专题", "通知公告"]}
        summary = crawl_once_subprocess(overrides, tmp_path / "out.jsonl")
    by_column = {c.column: c for c in summary.columns}
    assert by_column["今日路桥"].error is None and by_column["今日路桥"].new == 1
    assert by_column["专题"].column_id == "1683499" and "空" in (by_column["专题"].error or "")
    assert by_column["通知公告"].column_id is None and by_column["通知公告"].error
    assert summary.column_errors == 2 and not summary.ok
    report = summary.report(site.url)
    assert report.ok is False and report.articles_published == 1
    assert {c.column for c in report.columns} == {"今日路桥", "专题", "通知公告"}
    assert _value("luqiao_crawler_column_ok", column="通知公告") == 0
    assert _value("luqiao_crawler_column_ok", column="今日路桥") == 1
    assert _value("luqiao_crawler_last_run_ok") == 0
