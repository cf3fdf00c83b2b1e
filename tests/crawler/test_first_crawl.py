"""One full crawl of the fixture site, checked from every side: events, requests, WARC."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from services.crawler.summary import CrawlSummary
from services.events import ArticleFetched, article_id_for
from tests.fixture_site import FixtureSite, fast_overrides

from .conftest import SITE_DATA, make_runner
from .expected_articles import publishable

RESTRICTED = "/col/col1229999/art/2025/art_00112233445566778899aabbccddeeff.html"
MISSING = "/art/2025/1/15/art_1683482_5890099.html"
BROKEN = "/art/2025/7/10/art_1683482_5890451.html"
FAILS_ONCE = "/art/2025/6/18/art_1683482_5890342.html"
GBK_PAGE = "/art/2025/3/28/art_1683483_5890177.html"
BEFORE_BACKFILL = "/art/2023/12/20/art_1683483_5889001.html"
DUPLICATES = {
    "/art/2025/3/14/art_1683482_5890101.html",
    "/col/col1683483/art/2025/art_9a8b7c6d5e4f30211203948576a5b4c3.html",
}


@dataclass
class FirstCrawl:
    site: FixtureSite
    summary: CrawlSummary
    events: list[ArticleFetched]
    workdir: Path

    def by_path(self) -> dict[str, ArticleFetched]:
        return {e.url.removeprefix(self.site.url): e for e in self.events}


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstCrawl]:
    workdir = tmp_path_factory.mktemp("first_crawl")
    with FixtureSite(SITE_DATA) as site:
        run = make_runner(fast_overrides(site, workdir), workdir)
        summary, events = run()
        yield FirstCrawl(site=site, summary=summary, events=events, workdir=workdir)


def test_every_article_is_published_once(first_crawl: FirstCrawl) -> None:
    expected = publishable(first_crawl.site)
    published = {e.url for e in first_crawl.events}
    # The two addresses of the duplicate story yield one event between them.
    duplicate_urls = {first_crawl.site.url + p for p in DUPLICATES}
    assert len(published & duplicate_urls) == 1
    assert published == set(expected) - (duplicate_urls - published)
    assert len(first_crawl.events) == len(published)
    assert first_crawl.summary.new == len(published)
    assert first_crawl.summary.duplicates == 1


def test_event_fields_match_the_pages(first_crawl: FirstCrawl) -> None:
    site = first_crawl.site
    for path, event in first_crawl.by_path().items():
        article = site.data.articles[path]
        assert event.article_id == article_id_for(event.url)
        assert event.title == article.title
        assert event.published_at.isoformat().startswith(article.pubdate.replace(" ", "T")[:16])
        assert event.published_at.utcoffset().total_seconds() == 8 * 3600
        assert event.source == article.source
        assert event.column == site.data.columns[article.column].name
        lines = event.text.split("\n")
        assert lines[: len(article.paragraphs)] == article.paragraphs, path
        assert all(extra.startswith("附件") for extra in lines[len(article.paragraphs) :])
        body = site.data.article_page(article, site.url)
        assert event.html_sha256 == hashlib.sha256(body).hexdigest()
        assert event.attachments == [site.url + href for href, _ in article.attachments]
        assert event.is_update is False


def test_navigation_and_share_buttons_are_not_in_the_text(first_crawl: FirstCrawl) -> None:
    for event in first_crawl.events:
        for chrome in ("分享到", "打印本页", "关闭窗口", "主办：", "首页", "版权所有"):
            assert chrome not in event.text, (event.url, chrome)


def test_gbk_page_is_decoded(first_crawl: FirstCrawl) -> None:
    site = first_crawl.site
    assert site.data.articles[GBK_PAGE].encoding == "gbk"
    event = first_crawl.by_path()[GBK_PAGE]
    assert event.title == "区住建局部署2025年城市有机更新工作"
    assert "改造老旧小区4个" in event.text


def test_robots_disallow_is_honoured(first_crawl: FirstCrawl) -> None:
    assert first_crawl.site.requests_for("/robots.txt") == 1
    assert first_crawl.site.requests_for(RESTRICTED) == 0
    assert first_crawl.summary.skipped_robots == 1


def test_polite_user_agent_on_every_request(first_crawl: FirstCrawl) -> None:
    agents = {r.user_agent for r in first_crawl.site.log}
    assert len(agents) == 1
    assert agents.pop().startswith("luqiao-monitor/")


def test_page_failing_once_with_500_is_retried(first_crawl: FirstCrawl) -> None:
    statuses = [r.status for r in first_crawl.site.log if r.path == FAILS_ONCE]
    assert statuses == [500, 200]
    assert FAILS_ONCE in first_crawl.by_path()


def test_bad_pages_are_reported_without_stopping_the_crawl(first_crawl: FirstCrawl) -> None:
    summary = first_crawl.summary
    assert summary.finish_reason == "finished"
    assert summary.errors == 2
    details = "\n".join(summary.error_details)
    assert f"{MISSING}: HTTP 404" in details
    assert f"{BROKEN}: unparsable article" in details
    assert first_crawl.site.requests_for(MISSING) == 1  # a 4xx is not retried


def test_offsite_links_and_old_items_are_not_fetched(first_crawl: FirstCrawl) -> None:
    site = first_crawl.site
    assert first_crawl.summary.skipped_offsite == 2  # the zjol.com.cn link and the mirror
    assert not any(r.path.startswith("/mirror/") for r in site.log)
    assert site.requests_for(BEFORE_BACKFILL) == 0
    assert first_crawl.summary.skipped_before_backfill == 1


def test_lists_of_both_engines_are_paged(first_crawl: FirstCrawl) -> None:
    counts = first_crawl.site.counts()
    # 今日路桥 (jpaas, 4 per page, 12 items) needs 3 API pages; 通知公告 one.
    assert counts["/api-gateway/jpaas-publish-server/front/page/build/unit"] == 4
    assert counts["/module/jpage/dataproxy.jsp"] == 1
    assert counts["/module/web/jpage/dataproxy.jsp"] == 1
    posts = [r for r in first_crawl.site.log if r.method == "POST"]
    assert {r.path for r in posts} == {
        "/module/jpage/dataproxy.jsp",
        "/module/web/jpage/dataproxy.jsp",
    }


def test_jsonl_output_holds_valid_events(first_crawl: FirstCrawl) -> None:
    output = first_crawl.workdir / "run1.jsonl"
    lines = output.read_text("utf-8").splitlines()
    assert len(lines) == len(first_crawl.events)
    assert "路桥" in output.read_text("utf-8")  # UTF-8, not \\u escapes


def test_warc_holds_every_published_page_as_served(first_crawl: FirstCrawl) -> None:
    [warc] = first_crawl.summary.warc_files
    events = {e.url: e for e in first_crawl.events}
    seen: dict[str, str] = {}
    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            payload = record.content_stream().read()
            seen[url] = hashlib.sha256(payload).hexdigest()
            assert record.http_headers.get_statuscode() == "200"
            assert record.rec_headers.get_header("WARC-Luqiao-Html-Sha256") == seen[url]
    assert seen == {url: e.html_sha256 for url, e in events.items()}
