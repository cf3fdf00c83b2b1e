"""Tracker settings (env prefix LUQIAO_)."""

from __future__ import annotations

from services.settings import BusSettings


class TrackerSettings(BusSettings):
    tracker_group: str = "luqiao-tracker"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # Evidence below this confidence waits in the review queue.
    review_threshold: float = 0.6
    # Progress reported, then no new evidence for this many days → a note (status stays).
    stall_days: int = 90
    # Bearer token for auditors' write endpoints; empty disables them.
    api_token: str = ""
    webhook_max_attempts: int = 5
    webhook_disable_after: int = 10
    webhook_timeout_seconds: float = 5.0
    # First retry after this many seconds, doubling each time.
    webhook_backoff_seconds: float = 30.0
    reevaluate_hours: float = 24.0
    # The crawler's WARC archive (the crawler's own variable, LUQIAO_CRAWLER_WARC_DIR):
    # the tracker serves archived copies of evidence pages from it, read-only.
    crawler_warc_dir: str = "./warc"
