"""The crawler is a Scrapy project a Scrapy user recognises: ``scrapy list`` and
``scrapy crawl`` work from the repository root (scrapy.cfg), with the same settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scrapy.utils.misc import is_generator_with_return_value

from services.crawler.settings import CrawlerSettings
from services.crawler.spiders.luqiao_news import LuqiaoNewsSpider
from tests.fixture_site import FixtureSite, fast_environment

from .conftest import SINGLE_SITE_DATA, read_events

ROOT = Path(__file__).resolve().parents[2]
SCRAPY = Path(sys.executable).with_name("scrapy")


def _env(site: FixtureSite, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUQIAO_")}
    env.update(
        {
            "LUQIAO_CRAWLER_SITE_URL": site.url,
            "LUQIAO_CRAWLER_COLUMNS": json.dumps(["今日路桥"]),
            "LUQIAO_CRAWLER_STATE_URL": f"sqlite:///{workdir / 'state.db'}",
            **fast_environment(workdir),
        }
    )
    return env


def test_scrapy_list_and_crawl_work_from_the_root(tmp_path: Path) -> None:
    listed = subprocess.run(
        [str(SCRAPY), "list"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert listed.stdout.split() == ["luqiao_news"], listed.stderr
    output = tmp_path / "articles.jsonl"
    with FixtureSite(SINGLE_SITE_DATA) as site:
        crawled = subprocess.run(
            [str(SCRAPY), "crawl", "luqiao_news", "-s", f"LUQIAO_SINK=jsonl:{output}"],
            cwd=ROOT,
            env=_env(site, tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert crawled.returncode == 0, crawled.stderr[-2000:]
        assert site.requests_for("/") == 1  # the column was found by its name
    [event] = read_events(output)
    assert "改造老旧小区4个" in event.text
    assert "crawl summary:" in crawled.stderr and "new=1" in crawled.stderr


def test_no_spider_callback_is_a_generator_that_returns_a_value() -> None:
    """The check Scrapy would run on every response (switched off for its cost: it
    re-parses the callback's source each time), run once over every callback and
    errback here."""
    assert CrawlerSettings().scrapy_settings()["WARN_ON_GENERATOR_RETURN_VALUE"] is False
    callbacks = [
        getattr(LuqiaoNewsSpider, name)
        for name in dir(LuqiaoNewsSpider)
        if name.startswith(("parse", "on_")) and callable(getattr(LuqiaoNewsSpider, name))
    ]
    # parse_home, _column, _jpaas, _jpage, _article and the errbacks on_*_error
    assert len(callbacks) >= 8
    offending = [f.__name__ for f in callbacks if is_generator_with_return_value(f)]
    assert offending == []
