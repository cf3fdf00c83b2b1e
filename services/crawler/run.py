"""Running the crawl: once in this process, once in a child process, or polling.

Scrapy's Twisted reactor cannot be restarted within one process, so anything
that crawls more than once (the poller, the embedded service, tests) runs each
crawl in a fresh child (``python -m services.crawler``) and reads back its
summary; :func:`crawl_once` is the in-process body of that child. The child
dies with its parent (``PR_SET_PDEATHSIG`` on Linux, else a watcher thread), so
a killed parent never leaves a crawl running on its own.

Where articles go (the *sink*): ``"kafka"``, ``"queue"`` (the embedded mode's
durable hand-off queue in the crawler's state store) or a JSON-lines path.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .metrics import record_run
from .progress import PROGRESS_FILE_SETTING
from .settings import CrawlerSettings
from .summary import CrawlSummary

log = logging.getLogger("services.crawler")

Sink = Literal["kafka", "queue"] | Path
EXIT_CRAWL_FAILED = 3


class CrawlFailed(RuntimeError):
    """The crawl could not deliver its articles (e.g. Kafka down); nothing was marked seen."""

    def __init__(self, message: str, summary: CrawlSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


def sink_spec(sink: Sink) -> str:
    if sink in ("kafka", "queue"):
        return str(sink)
    return f"jsonl:{Path(sink).resolve()}"


def parse_sink(spec: str) -> Sink:
    if spec in ("kafka", "queue"):
        return spec  # type: ignore[return-value]
    return Path(spec.removeprefix("jsonl:"))


def crawl_once(
    settings: CrawlerSettings,
    sink: Sink,
    *,
    append: bool = False,
    progress_file: Path | None = None,
) -> CrawlSummary:
    """One crawl in this process; can run only once per process (Twisted reactor).
    With ``progress_file`` its progress is written there every second (progress.py)."""
    from scrapy.crawler import CrawlerProcess

    from .extensions import SUMMARY_STAT
    from .spiders.luqiao_news import LuqiaoNewsSpider

    scrapy_settings = settings.scrapy_settings(sink_spec(sink))
    scrapy_settings["LUQIAO_SINK_APPEND"] = append
    if progress_file is not None:
        scrapy_settings[PROGRESS_FILE_SETTING] = str(progress_file)
    process = CrawlerProcess(scrapy_settings)
    crawler = process.create_crawler(LuqiaoNewsSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    summary: CrawlSummary = stats.get(SUMMARY_STAT) or failed_summary("crawl did not finish")
    record_run(summary)
    if summary.finish_reason.startswith("failed"):
        raise CrawlFailed(summary.finish_reason.removeprefix("failed: "), summary)
    return summary


def failed_summary(reason: str, started_at: datetime | None = None) -> CrawlSummary:
    now = datetime.now(UTC)
    return CrawlSummary(
        started_at=started_at or now,
        finished_at=now,
        errors=1,
        finish_reason=f"failed: {reason}",
        error_details=[reason],
    )


def child_command(
    settings_overrides: dict[str, Any],
    sink: Sink,
    summary_file: Path,
    *,
    append: bool,
    progress_file: Path | None = None,
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "services.crawler",
        "--settings-json",
        json.dumps(settings_overrides, default=str),
        "--sink",
        sink_spec(sink),
        "--summary-file",
        str(summary_file),
        "--parent-pid",
        str(os.getpid()),
    ]
    if append:
        command.append("--append")
    if progress_file is not None:
        command += ["--progress-file", str(progress_file)]
    return command


@contextmanager
def crawl_child(
    settings_overrides: dict[str, Any], sink: Sink, *, append: bool = False
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A running crawl child and the file its summary will be in; its progress report
    (``progress.CrawlProgress``) is in ``progress_file_of(summary_file)`` while it runs."""
    with tempfile.TemporaryDirectory(prefix="luqiao-crawl-") as tmp:
        summary_file = Path(tmp) / "summary.json"
        child = subprocess.Popen(
            child_command(
                settings_overrides,
                sink,
                summary_file,
                append=append,
                progress_file=progress_file_of(summary_file),
            ),
            env=os.environ.copy(),
        )
        try:
            yield child, summary_file
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def progress_file_of(summary_file: Path) -> Path:
    """Where a crawl child started by :func:`crawl_child` writes its progress."""
    return summary_file.with_name("progress.json")


def child_summary(
    child: subprocess.Popen[bytes], summary_file: Path, started: datetime
) -> CrawlSummary:
    """The child's summary (it has exited); a failed one when it died without writing it."""
    summary = (
        CrawlSummary.model_validate_json(summary_file.read_text("utf-8"))
        if summary_file.exists()
        else None
    )
    if summary is None:
        summary = failed_summary(f"crawl child exited {child.returncode}", started)
    record_run(summary)
    if child.returncode != 0:
        reason = summary.finish_reason or f"child exited {child.returncode}"
        raise CrawlFailed(f"crawl child process failed: {reason}", summary)
    return summary


def crawl_subprocess(
    settings_overrides: dict[str, Any],
    sink: Sink,
    *,
    append: bool = False,
    timeout: float | None = None,
) -> CrawlSummary:
    """One crawl in a fresh child process; its summary also feeds this process's metrics."""
    started = datetime.now(UTC)
    with crawl_child(settings_overrides, sink, append=append) as (child, summary_file):
        child.wait(timeout=timeout)
        return child_summary(child, summary_file, started)


def crawl_once_subprocess(settings_overrides: dict[str, Any], output_jsonl: Path) -> CrawlSummary:
    """One crawl in a child process writing this run's new/updated articles as JSON lines."""
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
    deliver were not marked seen, so the next run picks them up. Each run's
    summary (a failed one too) goes to ``on_summary``. Returns the number of runs.
    """
    stop = stop or threading.Event()
    runs = 0
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        started = datetime.now(UTC)
        try:
            summary = crawl_subprocess(settings_overrides, sink, append=isinstance(sink, Path))
        except CrawlFailed as exc:
            log.error("crawl run failed: %s", exc)
            summary = exc.summary or failed_summary(str(exc), started)
        except (subprocess.SubprocessError, OSError) as exc:
            log.error("crawl child could not run: %s", exc)
            summary = failed_summary(f"crawl child could not run: {exc}", started)
        if on_summary is not None:
            on_summary(summary)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        stop.wait(poll_minutes * 60)
    return runs
