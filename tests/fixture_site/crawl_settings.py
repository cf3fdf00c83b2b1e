"""Crawler settings for a crawl of the fixture site: the polite machinery stays on
(robots, AutoThrottle, retries), only its waits are shortened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .server import FixtureSite


def fast_overrides(site: FixtureSite, workdir: Path) -> dict[str, Any]:
    return {
        "site_url": site.url,
        "state_url": f"sqlite:///{workdir / 'crawler-state.db'}",
        "warc_dir": str(workdir / "warc"),
        "download_delay": 0,
        "autothrottle_start_delay": 0,
        "autothrottle_max_delay": 0.2,
        "retry_backoff_base": 0.05,
        "download_timeout": 10,
        "offsite_allowlist": [],
        "article_retry_minutes": 0,
    }
