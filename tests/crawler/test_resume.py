"""A crawl that resumes: a list page that was down, or a crawl killed half-way, costs a
delay, never an article."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from services.crawler.run import crawl_child, crawl_once_subprocess
from tests.fixture_site import FixtureSite

from .conftest import CrawlRun, read_events
from .expected_articles import publishable

JPAAS_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
LIVE_NEWS = "1683482"  # 今日路桥: jpaas, 4 items a page, 3 pages


def _expected(site: FixtureSite) -> set[str]:
    return set(publishable(site))


def test_a_list_page_down_on_the_first_poll_is_read_once_it_heals(
    fixture_site: FixtureSite, run_crawl: CrawlRun
) -> None:
    # Page 2 of 今日路桥 answers 503 to the first try and both retries.
    fixture_site.fail_requests(JPAAS_API, '"pageNo":2,', times=3)
    first, first_events = run_crawl()
    assert first.list_errors == 1 and not first.ok
    [column] = [c for c in first.columns if c.column_id == LIVE_NEWS]
    assert column.error and "503" in column.error
    first_urls = {e.url for e in first_events}
    older = {u for u, a in publishable(fixture_site).items() if a.column == LIVE_NEWS}
    missed = older - first_urls
    assert len(missed) >= 4  # pages 2 and 3 were not read

    # Still down on the next poll: said so, with how long it has been failing.
    fixture_site.fail_requests(JPAAS_API, '"pageNo":2,', times=3)
    still, still_events = run_crawl()
    [column] = [c for c in still.columns if c.column_id == LIVE_NEWS]
    assert column.error and "2 polls in a row" in column.error
    assert not {e.url for e in still_events} & missed

    second, second_events = run_crawl()
    assert second.ok and second.list_errors == 0
    second_urls = {e.url for e in second_events}
    # All of them now, but for the duplicate story's second address (published once).
    assert len(missed - second_urls) <= 1 and len(missed & second_urls) >= 4
    still_urls = {e.url for e in still_events}
    assert not (first_urls & second_urls) and not (still_urls & (first_urls | second_urls))
    union = first_urls | still_urls | second_urls
    assert union <= _expected(fixture_site)
    assert len(union) == len(_expected(fixture_site)) - 1  # the duplicate story goes out once

    fixture_site.reset_log()
    third, third_events = run_crawl()
    assert third_events == [] and third.ok
    assert not any("/art/" in r.path for r in fixture_site.log)


def test_a_crawl_killed_mid_backfill_resumes(
    fixture_site: FixtureSite, crawl_overrides: dict[str, Any], tmp_path: Path
) -> None:
    for path in fixture_site.data.articles:
        fixture_site.data.slow.setdefault(path, 0.3)
    killed = tmp_path / "killed.jsonl"
    with crawl_child(crawl_overrides, killed) as (child, _summary):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(read_events(killed)) < 5:
            time.sleep(0.05)
        child.kill()
        child.wait()
    before = read_events(killed)
    assert 5 <= len(before) < len(_expected(fixture_site)) - 1

    summary = crawl_once_subprocess(crawl_overrides, tmp_path / "resumed.jsonl")
    after = read_events(tmp_path / "resumed.jsonl")
    urls = [e.url for e in before + after]
    assert set(urls) <= _expected(fixture_site)
    assert len(set(urls)) == len(_expected(fixture_site)) - 1
    # At most the one article written when the kill came, before it was marked seen.
    assert len(urls) - len(set(urls)) <= 1
    assert summary.ok
