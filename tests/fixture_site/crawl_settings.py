"""Crawler settings for a crawl of the fixture site: the polite machinery stays on
(robots, AutoThrottle, retries), only its waits are shortened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .server import FixtureSite

# The waits shortened, and no outside host allowed: for a crawl in process or a process.
FAST_WAITS: dict[str, Any] = {
    "download_delay": 0,
    "autothrottle_start_delay": 0,
    "autothrottle_max_delay": 0.2,
    "offsite_allowlist": [],
}


def fast_environment(workdir: Path) -> dict[str, str]:
    """`FAST_WAITS` and a WARC directory in `workdir`, as a crawler process reads them."""
    env = {
        f"LUQIAO_CRAWLER_{name.upper()}": json.dumps(value)
        if isinstance(value, list)
        else str(value)
        for name, value in FAST_WAITS.items()
    }
    return {"LUQIAO_CRAWLER_WARC_DIR": str(workdir / "warc"), **env}


def fast_overrides(site: FixtureSite, workdir: Path) -> dict[str, Any]:
    return {
        **FAST_WAITS,
        "site_url": site.url,
        "state_url": f"sqlite:///{workdir / 'crawler-state.db'}",
        "warc_dir": str(workdir / "warc"),
        "retry_backoff_base": 0.05,
        "download_timeout": 10,
        "article_retry_minutes": 0,
    }
