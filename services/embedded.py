"""The one-process mode: crawler, extractor and tracker handlers wired by direct
calls, no Kafka, a SQLite file, the tracker's HTTP port.

Each poll runs the Scrapy crawl in a child process (Scrapy's reactor cannot be
restarted in one process) that writes JSON lines; every article is then handed
to the same `ExtractorHandler` and `TrackerService` the Kafka services use.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import structlog

from services.extractor.handler import ExtractorHandler
from services.tracker.service import TrackerService

log = structlog.get_logger("embedded")


@dataclass
class PollResult:
    articles: int
    evidence: int
    status_changes: int
    dead_letters: int


class EmbeddedPipeline:
    def __init__(self, extractor: ExtractorHandler, tracker: TrackerService) -> None:
        self.extractor = extractor
        self.tracker = tracker

    def feed_jsonl(self, path: Path) -> PollResult:
        """Hand every article of a crawl's JSON-lines output to the handlers."""
        articles = evidence = changes = dead = 0
        with path.open("rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                articles += 1
                outcome = self.extractor.handle_raw(line.rstrip(b"\n"))
                if outcome.dead is not None:
                    dead += 1
                    log.warning("article rejected", reason=outcome.dead.reason)
                    continue
                evidence += len(outcome.evidence)
                if outcome.evidence:
                    changes += len(self.tracker.handle_batch(outcome.evidence))
        return PollResult(articles, evidence, changes, dead)


def poll_loop(
    pipeline: EmbeddedPipeline,
    crawl_overrides: dict[str, object],
    poll_minutes: float,
    stop: threading.Event,
) -> None:
    from services.crawler.run import crawl_once_subprocess

    while not stop.is_set():
        with tempfile.TemporaryDirectory(prefix="luqiao-poll-") as tmp:
            out = Path(tmp) / "articles.jsonl"
            try:
                summary = crawl_once_subprocess(crawl_overrides, out)
                result = pipeline.feed_jsonl(out) if out.exists() else PollResult(0, 0, 0, 0)
                log.info("poll done", crawl=summary.log_line(), **result.__dict__)
            except Exception:  # noqa: BLE001 — one bad poll must not end the service
                log.exception("poll failed; will retry at the next interval")
        stop.wait(poll_minutes * 60)
