"""The crawl summary, built from Scrapy's stats when the spider closes.

The spider and pipelines only count (``luqiao/*`` stats); this extension turns
the counts into a :class:`CrawlSummary` on ``spider_closed`` and leaves it in the
stats under ``luqiao/summary`` for whoever started the crawl.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from services.events import ColumnCrawl

from .summary import CrawlSummary

log = logging.getLogger(__name__)
SUMMARY_STAT = "luqiao/summary"


class CrawlSummaryExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started_at = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummaryExtension:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.started_at = datetime.now(UTC)

    def spider_closed(self, spider: Any, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()

        def count(key: str) -> int:
            return int(stats.get(f"luqiao/{key}", 0))

        fatal = stats.get("luqiao/fatal_error")
        summary = CrawlSummary(
            started_at=self.started_at,
            finished_at=datetime.now(UTC),
            pages_fetched=int(stats.get("downloader/response_count", 0)),
            list_pages=count("list_pages"),
            article_requests=count("article_responses"),
            new=count("new"),
            updated=count("updated"),
            unchanged=count("unchanged"),
            duplicates=count("duplicates"),
            errors=count("error") + (1 if fatal else 0),
            skipped_offsite=count("skipped_offsite"),
            skipped_robots=count("skipped_robots"),
            skipped_before_backfill=count("skipped_before_backfill"),
            bytes_received=int(stats.get("downloader/response_bytes", 0)),
            published=count("published"),
            failed=count("failed"),
            retried=count("retries"),
            gave_up=count("gave_up"),
            oversize=count("oversize"),
            parse_errors=count("parse_errors"),
            list_errors=count("list_errors"),
            column_errors=count("column_errors"),
            finish_reason=f"failed: {fatal}" if fatal else reason,
            error_details=[
                *stats.get("luqiao/error_details", []),
                *([f"not delivered: {fatal}"] if fatal else []),
            ],
            warc_files=sorted(set(stats.get("luqiao/warc_files", []))),
            columns=[
                ColumnCrawl(**{**c, "new": count(f"column_new/{c['column_id']}")})
                for c in stats.get("luqiao/columns", [])
            ],
        )
        self.crawler.stats.set_value(SUMMARY_STAT, summary)
        log.info(summary.log_line())
