"""Prometheus metrics of the crawler's runs.

They are set from a run's summary by the long-lived process (the poller or the
embedded service), which is also the process that serves /metrics; a crawl's
child process has no scrape endpoint of its own. A column that is missing from
the navigation, empty, or whose list could not be read shows as
``luqiao_crawler_column_ok{column=...} 0``, never as a silent zero of articles;
pages given up after repeated failures are counted.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from .summary import CrawlSummary

PAGES = Counter(
    "luqiao_crawler_pages",
    "Pages handled by the crawler, by outcome (fetched, new, updated, unchanged, error, "
    "failed: tried again on a later poll, gave_up: failed too often, oversize).",
    ["outcome"],
)
RUNS = Counter("luqiao_crawler_runs", "Crawl runs finished (successful or not).")
LAST_RUN_OK = Gauge(
    "luqiao_crawler_last_run_ok",
    "1 when the last poll read every column, 0 when it failed or a column was missing or empty.",
)
COLUMN_OK = Gauge(
    "luqiao_crawler_column_ok",
    "1 when the column was found and listed items on the last poll, else 0.",
    ["column"],
)
COLUMN_NEW = Gauge(
    "luqiao_crawler_column_new_articles", "New articles of the column on the last poll.", ["column"]
)

OUTCOMES = ("fetched", "new", "updated", "unchanged", "error", "failed", "gave_up", "oversize")
for _outcome in OUTCOMES:
    PAGES.labels(outcome=_outcome)


def record_run(summary: CrawlSummary) -> None:
    PAGES.labels(outcome="fetched").inc(summary.pages_fetched)
    PAGES.labels(outcome="new").inc(summary.new)
    PAGES.labels(outcome="updated").inc(summary.updated)
    PAGES.labels(outcome="unchanged").inc(summary.unchanged)
    PAGES.labels(outcome="error").inc(summary.errors)
    PAGES.labels(outcome="failed").inc(summary.failed)
    PAGES.labels(outcome="gave_up").inc(summary.gave_up)
    PAGES.labels(outcome="oversize").inc(summary.oversize)
    RUNS.inc()
    LAST_RUN_OK.set(1 if summary.ok else 0)
    for column in summary.columns:
        COLUMN_OK.labels(column=column.column).set(0 if column.error else 1)
        COLUMN_NEW.labels(column=column.column).set(column.new)
