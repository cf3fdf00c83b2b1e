"""What one crawl run did, as logged, returned to callers and turned into metrics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
    finish_reason: str = ""
    error_details: list[str] = Field(default_factory=list)
    warc_files: list[str] = Field(default_factory=list)

    def log_line(self) -> str:
        return (
            f"crawl summary: pages fetched={self.pages_fetched} (lists={self.list_pages}) "
            f"new={self.new} updated={self.updated} unchanged={self.unchanged} "
            f"duplicates={self.duplicates} errors={self.errors} "
            f"skipped offsite={self.skipped_offsite} robots={self.skipped_robots} "
            f"bytes={self.bytes_received} finish={self.finish_reason}"
        )
