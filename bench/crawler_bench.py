"""Crawler benchmark: what a poll of an unchanged site costs, and how fast pages are parsed.

Run from the repository root:  .venv/bin/python bench/crawler_bench.py [--polls 3] [--rounds 20]

1. Cost per poll: crawls the fixture site (tests/data/site) once to fill the
   seen-store, then polls it again unchanged, counting requests and bytes at the
   server. Also with the revisit window on (every article re-checked with a
   conditional request), which is the price of catching silent corrections.
2. Parse speed: article_parsing.parse_article over every fixture article page,
   against a baseline of trafilatura.extract alone on the same bytes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.crawler.article_parsing import ArticleParseError, decode_html, parse_article  # noqa: E402
from services.crawler.run import crawl_once_subprocess  # noqa: E402
from tests.fixture_site import FixtureSite, SiteData, fast_overrides  # noqa: E402

SITE_DATA = ROOT / "tests" / "data" / "site"


def _overrides(site: FixtureSite, workdir: Path) -> dict[str, Any]:
    return {**fast_overrides(site, workdir), "log_level": "WARNING"}


def _poll(site: FixtureSite, overrides: dict[str, Any], output: Path) -> dict[str, float]:
    site.reset_log()
    started = time.perf_counter()
    summary = crawl_once_subprocess(overrides, output)
    elapsed = time.perf_counter() - started
    log = list(site.log)
    return {
        "requests": len(log),
        "article_requests": sum(1 for r in log if "/art/" in r.path),
        "bytes": sum(r.bytes_sent for r in log),
        "published": summary.published,
        "seconds": elapsed,
        "crawl_seconds": (summary.finished_at - summary.started_at).total_seconds(),
    }


def bench_polls(polls: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with FixtureSite(SITE_DATA) as site, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        overrides = _overrides(site, workdir)
        results["first"] = _poll(site, overrides, workdir / "first.jsonl")
        results["unchanged"] = [
            _poll(site, overrides, workdir / f"poll{i}.jsonl") for i in range(polls)
        ]
        revisit = {**overrides, "revisit_days": 100_000}
        results["unchanged_revisit"] = [
            _poll(site, revisit, workdir / f"revisit{i}.jsonl") for i in range(polls)
        ]
    return results


def bench_resume() -> dict[str, Any]:
    """List page 2 of 今日路桥 down for the first poll (503 to every retry), then healed:
    what each poll published, against a poll of the healthy site."""
    api = "/api-gateway/jpaas-publish-server/front/page/build/unit"
    with FixtureSite(SITE_DATA) as site, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        overrides = _overrides(site, workdir)
        site.fail_requests(api, '"pageNo":2,', times=3)
        down = _poll(site, overrides, workdir / "down.jsonl")
        healed = _poll(site, overrides, workdir / "healed.jsonl")
    return {"page_down": down, "healed": healed}


def _pages() -> list[tuple[str, bytes]]:
    data = SiteData(SITE_DATA)
    origin = "https://www.luqiao.gov.cn"
    data.origin = data.mirror_origin = origin
    return [
        (origin + path, data.article_page(article, origin))
        for path, article in data.articles.items()
        if article.template != "broken"
    ]


def bench_parsing(rounds: int) -> dict[str, Any]:
    import trafilatura

    pages = _pages()
    for url, body in pages:  # warm-up, and make sure every page parses
        parse_article(body, url)

    def ours() -> None:
        for url, body in pages:
            try:
                parse_article(body, url)
            except ArticleParseError:
                pass

    def baseline() -> None:
        for _url, body in pages:
            html, _ = decode_html(body)
            trafilatura.extract(html, include_comments=False, favor_precision=True)

    figures: dict[str, Any] = {"pages": len(pages), "rounds": rounds}
    for name, run in (("article_parsing", ours), ("trafilatura_only", baseline)):
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            run()
            timings.append(time.perf_counter() - started)
        median = statistics.median(timings)
        figures[name] = {
            "articles_per_second": round(len(pages) / median, 1),
            "ms_per_article": round(1000 * median / len(pages), 2),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    args = parser.parse_args()
    figures = {
        "polls": bench_polls(args.polls),
        "resume": bench_resume(),
        "parsing": bench_parsing(args.rounds),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    first = figures["polls"]["first"]
    print("| poll | requests | article requests | bytes served | published | wall s |")
    print("|---|---|---|---|---|---|")
    print(
        f"| first (empty seen-store) | {first['requests']} | {first['article_requests']} | "
        f"{first['bytes']} | {first['published']} | {first['seconds']:.1f} |"
    )
    for label, key in (("unchanged", "unchanged"), ("unchanged, revisit on", "unchanged_revisit")):
        for poll in figures["polls"][key]:
            print(
                f"| {label} | {poll['requests']} | {poll['article_requests']} | "
                f"{poll['bytes']} | {poll['published']} | {poll['seconds']:.1f} |"
            )
    for label, key in (("list page 2 down (503)", "page_down"), ("next poll, healed", "healed")):
        poll = figures["resume"][key]
        print(
            f"| {label} | {poll['requests']} | {poll['article_requests']} | "
            f"{poll['bytes']} | {poll['published']} | {poll['seconds']:.1f} |"
        )
    parsing = figures["parsing"]
    print(f"\nparsing {parsing['pages']} pages x {parsing['rounds']} rounds (median):")
    for name in ("article_parsing", "trafilatura_only"):
        row = parsing[name]
        print(f"  {name}: {row['articles_per_second']} articles/s ({row['ms_per_article']} ms)")


if __name__ == "__main__":
    main()
