"""The crawler as the fault suite runs it: `luqiao-monitor crawl` polling the local fixture
site into Kafka, its own state store read from outside, and the summary line each finished
poll prints."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

from tests.fixture_site import fast_environment

POLL_MINUTES = 0.05  # a poll every 3 s once the last one ended
DOWNLOAD_TIMEOUT_S = 2  # a page that hangs longer times out
RETRY_MINUTES = 0.05  # a failed page is tried again after 3 s, 6 s, 12 s, …
GIVE_UP_AFTER = 3  # failed polls; the suite's page that always fails is given up sooner
SUMMARY = re.compile(r"^crawl summary: (.*)$", re.MULTILINE)


def crawler_env(workdir: Path) -> dict[str, str]:
    """The crawler's settings for the fault run: the polite machinery on, waits short."""
    return {
        "LUQIAO_CRAWLER_STATE_URL": f"sqlite:///{workdir / 'crawler.db'}",
        **fast_environment(workdir),
        "LUQIAO_CRAWLER_RETRY_BACKOFF_BASE": "0.05",
        "LUQIAO_CRAWLER_DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT_S),
        "LUQIAO_CRAWLER_ARTICLE_RETRY_MINUTES": str(RETRY_MINUTES),
        "LUQIAO_CRAWLER_GIVE_UP_AFTER": str(GIVE_UP_AFTER),
        "LUQIAO_CRAWLER_BACKFILL_DATE": "2023-01-01",
        # Five list pages per column and poll: the back-fill of ~270 items a column
        # takes several polls, so kills and faults land on a back-fill half done.
        "LUQIAO_CRAWLER_MAX_LIST_PAGES": "5",
        "LUQIAO_CRAWLER_METRICS_PORT": "0",
        "LUQIAO_CRAWLER_KAFKA_TIMEOUT_SECONDS": "10",
        "LUQIAO_CRAWLER_LOG_LEVEL": "WARNING",
        # The crawler has no database of the tracker's to import old seen pages from.
        "DATABASE_URL": f"sqlite:///{workdir / 'no-tracker.db'}",
    }


def crawl_args(site_url: str) -> list[str]:
    return ["crawl", "--site-url", site_url, "--poll-minutes", str(POLL_MINUTES)]


class CrawlerState:
    """The crawler's state store (SQLite), read while the crawler runs."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "crawler.db"

    def _one(self, sql: str) -> int:
        if not self.path.exists():
            return 0
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            try:
                return int(db.execute(sql).fetchone()[0] or 0)
            except sqlite3.OperationalError:
                return 0  # the table is not there yet

    def published(self) -> int:
        return self._one("select count(*) from crawler_pages where published")

    def gave_up(self) -> int:
        return self._one("select count(*) from crawler_pages where gave_up")

    def columns_backfilled(self) -> int:
        return self._one("select count(*) from crawler_columns where backfill_done")


def poll_totals(log: str) -> tuple[int, Counter[str]]:
    """How many polls finished, and the sum of their summaries' counts."""
    totals: Counter[str] = Counter()
    lines = SUMMARY.findall(log)
    for line in lines:
        for key, value in re.findall(r"(\w+)=(\d+)", line):
            totals[key] += int(value)
    return len(lines), totals
