"""Bad input gets a clear error and loses nothing: hostile pages (data files served by the
fixture site) are reported as what they are and never published cut or garbled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.crawler.summary import CrawlSummary
from services.events import ArticleFetched
from tests.fixture_site import FixtureSite, fast_overrides

from .conftest import DATA_DIR, make_runner, read_events

HOSTILE = DATA_DIR / "site_hostile"
BOMB = "/art/2025/5/1/art_1683482_7000001.html"
OVERSIZE = "/art/2025/5/2/art_1683482_7000002.html"
BINARY = "/art/2025/5/3/art_1683482_7000003.html"
GBK = "/art/2025/5/4/art_1683482_7000004.html"
LOOP = "/art/2025/5/5/art_1683482_7000005.html"
DEEP = "/art/2025/5/6/art_1683482_7000006.html"
GOOD_TITLE = "路桥区老旧小区改造过半"


def _detail(summary: CrawlSummary, path: str) -> str:
    return "\n".join(d for d in summary.error_details if path in d)


# Runs the crawl from a fresh interpreter and prints the peak memory of its own children
# (the crawl child), so the figure is the crawl's alone, not the largest child this
# test session ever waited for.
_MEASURED_CRAWL = """
import json, resource, sys
from pathlib import Path
from services.crawler.run import crawl_once_subprocess
summary = crawl_once_subprocess(json.loads(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"summary": summary.model_dump(mode="json"),
                  "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@pytest.fixture(scope="module")
def hostile_crawl(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[CrawlSummary, list[ArticleFetched], FixtureSite, float]:
    workdir = tmp_path_factory.mktemp("hostile")
    with FixtureSite(HOSTILE) as site:
        overrides = {**fast_overrides(site, workdir), "columns": ["1683482"]}
        output = workdir / "run.jsonl"
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED_CRAWL, json.dumps(overrides), str(output)],
            capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        summary = CrawlSummary.model_validate(measured["summary"])
        yield summary, read_events(output), site, measured["peak_kib"] / 1024


def test_only_the_sound_pages_are_published(hostile_crawl) -> None:  # type: ignore[no-untyped-def]
    summary, events, site, _ = hostile_crawl
    paths = {e.url.removeprefix(site.url) for e in events}
    assert paths == {GBK, next(iter(site.data.articles))}
    assert summary.finish_reason == "finished"
    assert summary.errors == 5  # bomb, oversize, binary, redirect loop, deep nesting


def test_gzip_bomb_stops_at_the_size_limit(hostile_crawl) -> None:  # type: ignore[no-untyped-def]
    summary, _, _, peak_mib = hostile_crawl
    assert "DOWNLOAD_MAXSIZE" in _detail(summary, BOMB) and "oversize" in _detail(summary, BOMB)
    # 64 MiB inflated was never held: the crawl child did not grow that far.
    assert peak_mib < 400


def test_oversize_page_is_reported_not_truncated(hostile_crawl) -> None:  # type: ignore[no-untyped-def]
    summary, _, _, _ = hostile_crawl
    assert "oversize" in _detail(summary, OVERSIZE)
    assert summary.oversize == 2  # the bomb and this page


def test_binary_body_and_redirect_loop_and_deep_nesting(hostile_crawl) -> None:  # type: ignore[no-untyped-def]
    summary, _, site, _ = hostile_crawl
    assert "binary body" in _detail(summary, BINARY)
    assert "redirect loop" in _detail(summary, LOOP)
    assert site.requests_for(LOOP) >= 2  # followed a few times, then given up
    assert "parser's limits" in _detail(summary, DEEP)
    assert summary.parse_errors == 2


def test_gbk_page_without_any_declaration_is_decoded(hostile_crawl) -> None:  # type: ignore[no-untyped-def]
    _, events, site, _ = hostile_crawl
    [gbk] = [e for e in events if e.url.endswith(GBK)]
    assert gbk.title == "区交通局推进农村公路提升改造"
    assert "农村公路提升改造30公里" in gbk.text


def test_one_text_node_over_ten_mb_is_never_published_cut(tmp_path: Path) -> None:
    """With the download limit raised above the page, the parser's own limit stops it."""
    with FixtureSite(HOSTILE) as site:
        overrides = {
            **fast_overrides(site, tmp_path),
            "columns": ["1683482"],
            "download_maxsize": 64 * 1024 * 1024,
        }
        summary, events = make_runner(overrides, tmp_path)()
    assert not any(e.url.endswith(OVERSIZE) for e in events)
    assert "parser's limits" in _detail(summary, OVERSIZE)
