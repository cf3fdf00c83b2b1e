"""The one-process mode: crawler, extractor and tracker handlers wired by direct calls,
no Kafka, a SQLite file, the tracker's HTTP port.

Each poll runs the Scrapy crawl in a child process (Scrapy's reactor cannot be
restarted in one process). The child hands articles over through the durable
hand-off queue in the crawler's state store (``services.crawler.handoff``): it
commits each article there before marking it seen. This process drains the
queue, while the child crawls and after it exits, into the same
``ExtractorHandler`` and ``TrackerService`` the Kafka services use, and deletes
an entry only once the tracker stored its evidence. A start drains what a crash
left behind before it crawls; the tracker's ingest is idempotent by
``evidence_id``, so an entry fed twice stores nothing twice. The child dies with
this process. Each poll ends with a ``CrawlReport`` handed to the tracker. The handlers are
``handle_raw`` / ``handle_raw_batch``, decoding and poison handling included.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from services.crawler.handoff import HandoffQueue
from services.crawler.run import CrawlFailed, child_summary, crawl_child, failed_summary
from services.crawler.summary import CrawlSummary
from services.extractor.handler import ExtractorHandler
from services.tracker.service import TrackerService
from services.worker import RawMessage

log = structlog.get_logger("embedded")
DRAIN_EVERY_SECONDS = 1.0


@dataclass
class PollResult:
    articles: int = 0
    evidence: int = 0
    status_changes: int = 0
    dead_letters: int = 0

    def add(self, other: PollResult) -> None:
        self.articles += other.articles
        self.evidence += other.evidence
        self.status_changes += other.status_changes
        self.dead_letters += other.dead_letters


class EmbeddedPipeline:
    def __init__(
        self, extractor: ExtractorHandler, tracker: TrackerService, queue: HandoffQueue
    ) -> None:
        self.extractor = extractor
        self.tracker = tracker
        self.queue = queue

    def drain(self, batch: int = 100) -> PollResult:
        """Hand every queued article to the handlers; acknowledge each once it is stored."""
        result = PollResult()
        while entries := self.queue.pending(batch):
            for entry in entries:
                result.articles += 1
                outcome = self.extractor.handle_raw(entry.payload)
                if outcome.dead is not None:
                    result.dead_letters += 1
                    log.warning("article refused", seq=entry.seq, reason=outcome.dead.reason)
                    self.queue.refuse(entry.seq, outcome.dead.reason)
                    continue
                if outcome.evidence:
                    result.evidence += len(outcome.evidence)
                    # As bytes, as on luqiao.evidence: the tracker's whole path, poison included.
                    tracked = self.tracker.handle_raw_batch(
                        [
                            RawMessage(ev.model_dump_json().encode(), ev.commitment_id.encode())
                            for ev in outcome.evidence
                        ]
                    )
                    result.status_changes += len(tracked.out)
                    for diverted in tracked.dead:
                        result.dead_letters += 1
                        log.warning("evidence rejected", reason=diverted.letter.reason)
                self.queue.ack(entry.seq)
        return result

    def poll(self, crawl_overrides: dict[str, Any], stop: threading.Event) -> CrawlSummary:
        """One crawl in a child, drained as it goes; the poll's report goes to the tracker."""
        result = self.drain()  # what an earlier crash left behind goes first
        started = datetime.now(UTC)
        try:
            with crawl_child(crawl_overrides, "queue") as (child, summary_file):
                while child.poll() is None:
                    result.add(self.drain())
                    if stop.wait(DRAIN_EVERY_SECONDS):
                        child.kill()  # shutting down: what it committed is drained next start
                        child.wait()
                result.add(self.drain())
                summary = child_summary(child, summary_file, started)
        except CrawlFailed as exc:
            summary = exc.summary or failed_summary(str(exc), started)
            log.error("crawl failed", reason=str(exc))
        result.add(self.drain())
        site_url = str(crawl_overrides.get("site_url", ""))
        self.tracker.record_crawl(summary.report(site_url))
        log.info("poll done", crawl=summary.log_line(), **result.__dict__)
        return summary


def poll_loop(
    pipeline: EmbeddedPipeline,
    crawl_overrides: dict[str, Any],
    poll_minutes: float,
    stop: threading.Event,
) -> None:
    while not stop.is_set():
        try:
            pipeline.poll(crawl_overrides, stop)
        except Exception:
            log.exception("poll failed; will retry at the next interval")
        stop.wait(poll_minutes * 60)
