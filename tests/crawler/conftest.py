"""Fixtures for crawler tests: the local copy of the portal and a crawl runner.

Every crawl runs in a child process (``crawl_once_subprocess``), as in
production, because Scrapy's reactor cannot restart inside the test process.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.crawler.run import crawl_once_subprocess
from services.crawler.summary import CrawlSummary
from services.events import ArticleFetched
from tests.fixture_site import FixtureSite, fast_overrides

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SITE_DATA = DATA_DIR / "site"
SINGLE_SITE_DATA = DATA_DIR / "site_single"

CrawlRun = Callable[..., tuple[CrawlSummary, list[ArticleFetched]]]


def read_events(path: Path) -> list[ArticleFetched]:
    lines = path.read_text("utf-8").splitlines() if path.exists() else []
    return [ArticleFetched.model_validate_json(line) for line in lines if line.strip()]


def make_runner(overrides: dict[str, Any], workdir: Path) -> CrawlRun:
    runs = itertools.count(1)

    def run(**extra: Any) -> tuple[CrawlSummary, list[ArticleFetched]]:
        output = workdir / f"run{next(runs)}.jsonl"
        summary = crawl_once_subprocess({**overrides, **extra}, output)
        return summary, read_events(output)

    return run


@pytest.fixture
def fixture_site() -> Iterator[FixtureSite]:
    with FixtureSite(SITE_DATA) as site:
        yield site


@pytest.fixture
def crawl_overrides(fixture_site: FixtureSite, tmp_path: Path) -> dict[str, Any]:
    return fast_overrides(fixture_site, tmp_path)


@pytest.fixture
def run_crawl(crawl_overrides: dict[str, Any], tmp_path: Path) -> CrawlRun:
    """``summary, events = run_crawl(**setting_overrides)``; runs share one seen-store."""
    return make_runner(crawl_overrides, tmp_path)
