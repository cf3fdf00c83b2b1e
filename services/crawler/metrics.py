"""Prometheus counters for crawl runs.

They are incremented from a run's summary by the long-lived process (the
poller or the embedded service), which is also the process that serves
/metrics; a crawl's child process has no scrape endpoint of its own.
"""

from __future__ import annotations

from prometheus_client import Counter

from .summary import CrawlSummary

PAGES = Counter(
    "luqiao_crawler_pages",
    "Pages handled by the crawler, by outcome (fetched, new, updated, unchanged, error).",
    ["outcome"],
)
RUNS = Counter("luqiao_crawler_runs", "Crawl runs finished (successful or not).")

OUTCOMES = ("fetched", "new", "updated", "unchanged", "error")
for _outcome in OUTCOMES:
    PAGES.labels(outcome=_outcome)


def record_run(summary: CrawlSummary) -> None:
    PAGES.labels(outcome="fetched").inc(summary.pages_fetched)
    PAGES.labels(outcome="new").inc(summary.new)
    PAGES.labels(outcome="updated").inc(summary.updated)
    PAGES.labels(outcome="unchanged").inc(summary.unchanged)
    PAGES.labels(outcome="error").inc(summary.errors)
    RUNS.inc()
