"""Repeated polls: an unchanged site costs list pages only; a correction is one update."""

from __future__ import annotations

from services.events import article_id_for
from tests.fixture_site import Article, FixtureSite

from .conftest import CrawlRun
from .expected_articles import publishable

LIST_PATH_PREFIXES = (
    "/col/col1683482/index.html",
    "/col/col1683483/index.html",
    "/col/col1683484/index.html",
    "/col/col1683490/index.html",
    "/api-gateway/",
    "/module/jpage/dataproxy.jsp",
    "/module/web/jpage/dataproxy.jsp",
    "/robots.txt",
)
EDITED = "/col/col1683482/art/2025/art_5d4c3b2a19f8e7d6c5b4a39281706f5e.html"


def test_second_run_fetches_only_list_pages(fixture_site: FixtureSite, run_crawl: CrawlRun) -> None:
    first, events = run_crawl()
    assert first.new == len(events) > 10
    fixture_site.reset_log()

    second, events = run_crawl()

    paths = [r.path for r in fixture_site.log]
    assert paths, "the second run made no requests at all"
    assert all(p == "/" or p.startswith(LIST_PATH_PREFIXES) for p in paths), paths
    # The home page (columns are found by name), then each column stops at its first
    # list page: its mark is at the top.
    assert paths.count("/") == 1
    lists = [p for p in paths if p not in ("/robots.txt", "/")]
    assert len(lists) <= 2 * len(fixture_site.data.columns)
    assert events == []
    assert (second.new, second.updated, second.errors) == (0, 0, 0)


def _correct_figure(article: Article) -> None:
    article.paragraphs[0] = (
        article.paragraphs[0].replace("2个完工", "3个完工").replace("50%", "75%")
    )


def test_edited_article_is_republished_once_as_update(
    fixture_site: FixtureSite, run_crawl: CrawlRun
) -> None:
    _, first_events = run_crawl()
    original = next(e for e in first_events if e.url.endswith(EDITED))
    fixture_site.edit_article(EDITED, _correct_figure)
    fixture_site.reset_log()

    # The list entry did not change; the revisit window makes the crawler re-check
    # recent articles, conditionally.
    summary, events = run_crawl(revisit_days=100_000)

    assert [e.url for e in events] == [original.url]
    [update] = events
    assert update.is_update is True
    assert update.article_id == original.article_id == article_id_for(original.url)
    assert update.html_sha256 != original.html_sha256
    assert "3个完工" in update.text
    assert summary.updated == 1 and summary.new == 0
    article_requests = [r for r in fixture_site.log if "/art/" in r.path]
    assert all(r.conditional for r in article_requests)
    not_modified = [r for r in article_requests if r.status == 304]
    assert len(not_modified) == len(publishable(fixture_site)) - 1 - 1  # minus dup, edited
    assert all(r.bytes_sent == 0 for r in not_modified)

    _, events = run_crawl(revisit_days=100_000)
    assert events == []


def test_retitled_list_entry_triggers_a_recheck(
    fixture_site: FixtureSite, run_crawl: CrawlRun
) -> None:
    run_crawl()

    def retitle(article: Article) -> None:
        article.title = article.title + "（更正）"

    fixture_site.edit_article(EDITED, retitle)
    fixture_site.reset_log()
    summary, events = run_crawl()

    assert len(events) == 1 and events[0].is_update
    assert events[0].title.endswith("（更正）")
    assert fixture_site.requests_for(EDITED) == 1
    assert summary.updated == 1


def test_allowlisted_offsite_mirror_is_fetched(
    fixture_site: FixtureSite, run_crawl: CrawlRun
) -> None:
    summary, events = run_crawl(offsite_allowlist=["localhost"])
    mirror = [e for e in events if e.url.startswith(fixture_site.mirror_url)]
    assert [e.title for e in mirror] == ["椒江区今年已打通断头路9条"]
    assert mirror[0].column == "县区动态"
    assert summary.skipped_offsite == 1  # the non-allowlisted news site only
    expected = publishable(fixture_site, mirror_allowed=True)
    assert {e.url for e in events} <= set(expected)
    assert len(events) == len(expected) - 1  # one of the duplicate story's two addresses


def test_timeouts_are_retried_then_reported(fixture_site: FixtureSite, run_crawl: CrawlRun) -> None:
    slow = next(iter(fixture_site.data.slow))
    summary, events = run_crawl(download_timeout=0.5, retry_times=1)
    assert fixture_site.requests_for(slow) == 2  # first try and one retry, both too slow
    assert any(slow in d and "Timeout" in d for d in summary.error_details)
    assert not any(e.url.endswith(slow) for e in events)
    assert summary.new == len(publishable(fixture_site)) - 2  # minus the dup and the slow page
    # Not marked as seen: the next poll (with patience) picks it up.
    _, events = run_crawl()
    assert [e.url for e in events] == [fixture_site.url + slow]
