"""Running the crawl: once in this process, once in a child process, or polling.

Scrapy's Twisted reactor cannot be restarted within one process, so anything
that crawls more than once (the poller, the embedded service, tests) runs each
crawl in a fresh child (``python -m services.crawler``) and reads back its
summary; :func:`crawl_once` is the in-process body of that child.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from .metrics import record_run
from .settings import CrawlerSettings
from .summary import CrawlSummary

log = logging.getLogger("services.crawler")

Sink = Literal["kafka"] | Path
EXIT_CRAWL_FAILED = 3


class CrawlFailed(RuntimeError):
    """The crawl could not deliver its articles (e.g. Kafka down); nothing was marked seen."""

    def __init__(self, message: str, summary: CrawlSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


def crawl_once(settings: CrawlerSettings, sink: Sink, *, append: bool = False) -> CrawlSummary:
    """One crawl in this process; can run only once per process (Twisted reactor).

    ``sink`` is "kafka" (publish with kafka-python, fail loudly when Kafka is
    down) or a path of a JSON-lines file written through Scrapy's feed exports.
    """
    from scrapy.crawler import CrawlerProcess

    from .publishing import KafkaArticlePublisher, PublisherUnavailable
    from .seen_store import SeenStore
    from .spiders.luqiao_news import LuqiaoNewsSpider

    scrapy_settings = settings.scrapy_settings()
    publisher = None
    if sink == "kafka":
        try:
            publisher = KafkaArticlePublisher(
                settings.kafka_bootstrap, settings.articles_topic, settings.kafka_timeout_seconds
            )
        except PublisherUnavailable as exc:
            failed = _failed_summary(str(exc))
            record_run(failed)
            log.error(failed.log_line())
            raise CrawlFailed(str(exc), failed) from exc
    else:
        output = Path(sink)
        output.parent.mkdir(parents=True, exist_ok=True)
        scrapy_settings["FEEDS"] = {
            str(output.resolve()): {
                "format": "jsonlines",
                "encoding": "utf-8",
                "overwrite": not append,
                "store_empty": True,
            }
        }
    store = SeenStore(settings.database_url)
    process = CrawlerProcess(scrapy_settings)
    crawler = process.create_crawler(LuqiaoNewsSpider)
    process.crawl(crawler, crawl_settings=settings, seen_store=store, publisher=publisher)
    try:
        process.start()
    finally:
        store.close()
        if publisher is not None:
            publisher.close()
    spider = crawler.spider
    summary = getattr(spider, "summary", None) or _failed_summary("crawl did not finish")
    record_run(summary)
    log.info(summary.log_line())
    fatal_error: str | None = getattr(spider, "fatal_error", None)
    if fatal_error:
        raise CrawlFailed(fatal_error, summary)
    return summary


def _failed_summary(reason: str) -> CrawlSummary:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return CrawlSummary(
        started_at=now, finished_at=now, errors=1, finish_reason=f"failed: {reason}"
    )


def crawl_subprocess(
    settings_overrides: dict[str, Any],
    sink: Sink,
    *,
    append: bool = False,
    timeout: float | None = None,
) -> CrawlSummary:
    """One crawl in a fresh child process; its summary also feeds this process's metrics."""
    with tempfile.TemporaryDirectory(prefix="luqiao-crawl-") as tmp:
        summary_file = Path(tmp) / "summary.json"
        command = [
            sys.executable,
            "-m",
            "services.crawler",
            "--settings-json",
            json.dumps(settings_overrides, default=str),
            "--sink",
            "kafka" if sink == "kafka" else str(Path(sink).resolve()),
            "--summary-file",
            str(summary_file),
        ]
        if append:
            command.append("--append")
        result = subprocess.run(command, timeout=timeout, env=os.environ.copy())
        summary = (
            CrawlSummary.model_validate_json(summary_file.read_text("utf-8"))
            if summary_file.exists()
            else None
        )
    if summary is not None:
        record_run(summary)
    if result.returncode != 0:
        reason = summary.finish_reason if summary else f"child exited {result.returncode}"
        raise CrawlFailed(f"crawl child process failed: {reason}", summary)
    assert summary is not None
    return summary


def crawl_once_subprocess(settings_overrides: dict[str, Any], output_jsonl: Path) -> CrawlSummary:
    """One crawl in a child process writing this run's new/updated articles as JSON lines.

    The embedded service reads ``output_jsonl`` afterwards and hands each line
    (an ArticleFetched) to its handlers.
    """
    return crawl_subprocess(settings_overrides, Path(output_jsonl))


def poll(
    settings_overrides: dict[str, Any],
    sink: Sink,
    *,
    poll_minutes: float,
    stop: threading.Event | None = None,
    on_summary: Callable[[CrawlSummary], None] | None = None,
    max_runs: int | None = None,
) -> int:
    """Crawl every ``poll_minutes`` (each run in a child) until ``stop`` is set.

    A failed run is logged and the loop goes on: the articles it could not
    deliver were not marked seen, so the next run picks them up. Returns the
    number of runs made.
    """
    stop = stop or threading.Event()
    runs = 0
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        try:
            summary = crawl_subprocess(settings_overrides, sink, append=sink != "kafka")
            if on_summary is not None:
                on_summary(summary)
        except CrawlFailed as exc:
            log.error("crawl run failed: %s", exc)
        except subprocess.SubprocessError as exc:
            log.error("crawl child could not run: %s", exc)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        stop.wait(poll_minutes * 60)
    return runs
