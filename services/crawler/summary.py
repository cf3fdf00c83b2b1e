"""What one crawl run did, as logged, returned to callers, turned into metrics and into
the poll's :class:`~services.events.CrawlReport`."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from services.events import ColumnCrawl, CrawlReport


class CrawlSummary(BaseModel):
    started_at: datetime
    finished_at: datetime
    pages_fetched: int = 0  # every HTTP answer received, list and article pages
    list_pages: int = 0
    article_requests: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    errors: int = 0
    skipped_offsite: int = 0
    skipped_robots: int = 0
    skipped_before_backfill: int = 0
    bytes_received: int = 0
    published: int = 0
    # Pages that failed this poll (tried again later), retries made, and pages given up.
    failed: int = 0
    retried: int = 0
    gave_up: int = 0
    oversize: int = 0
    parse_errors: int = 0
    list_errors: int = 0
    column_errors: int = 0
    finish_reason: str = ""
    error_details: list[str] = Field(default_factory=list)
    warc_files: list[str] = Field(default_factory=list)
    columns: list[ColumnCrawl] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The site was read: finished, every column found and non-empty, no list failed."""
        return self.finish_reason == "finished" and not self.column_errors and not self.list_errors

    def log_line(self) -> str:
        return (
            f"crawl summary: pages fetched={self.pages_fetched} (lists={self.list_pages}) "
            f"new={self.new} updated={self.updated} unchanged={self.unchanged} "
            f"duplicates={self.duplicates} errors={self.errors} failed={self.failed} "
            f"retried={self.retried} gave_up={self.gave_up} oversize={self.oversize} "
            f"column_errors={self.column_errors} "
            f"skipped offsite={self.skipped_offsite} robots={self.skipped_robots} "
            f"bytes={self.bytes_received} finish={self.finish_reason}"
        )

    def report(self, site_url: str) -> CrawlReport:
        """The poll's outcome for the tracker (and the crawls topic)."""
        return CrawlReport(
            crawl_id=uuid.uuid4().hex,
            site_url=site_url,
            started_at=self.started_at,
            finished_at=self.finished_at,
            ok=self.ok,
            articles_seen=self.article_requests,
            articles_published=self.published,
            errors=self.errors,
            last_error=self.error_details[-1]
            if self.error_details
            else (None if self.finish_reason == "finished" else self.finish_reason),
            columns=self.columns,
        )
