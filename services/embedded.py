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

Memory stays bounded whatever the back-fill's size: the queue is read a chunk at a
time (``DRAIN_CHUNK`` entries), each chunk's evidence goes to the tracker as one batch
(one transaction, sessions closed after it), and each crawl child reads at most
``max_list_pages`` list pages per column and stretch before it exits; while a column's
back-fill is unfinished the next poll starts at once instead of after
``poll_minutes``. Progress (articles seen, evidence found, rate, ETA) is shown by a
``ProgressView``: a bar on a terminal, log lines elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from services.backfill_progress import BackfillProgress
from services.crawler.handoff import HandoffQueue
from services.crawler.progress import CrawlProgress, read_progress
from services.crawler.run import (
    CrawlFailed,
    child_summary,
    crawl_child,
    failed_summary,
    progress_file_of,
)
from services.crawler.summary import CrawlSummary
from services.extractor.handler import ExtractorHandler
from services.progress_views import LogProgressView, ProgressView
from services.tracker.service import TrackerService
from services.worker import RawMessage

log = structlog.get_logger("embedded")
DRAIN_EVERY_SECONDS = 1.0
DRAIN_CHUNK = 250  # queue entries read, extracted and stored at a time (one tracker batch)
PROGRESS_EVERY_SECONDS = 10.0
QUEUE_COUNT_EVERY_SECONDS = 1.0


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
        self,
        extractor: ExtractorHandler,
        tracker: TrackerService,
        queue: HandoffQueue,
        view: ProgressView | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.extractor = extractor
        self.tracker = tracker
        self.queue = queue
        self.view: ProgressView = view or LogProgressView(PROGRESS_EVERY_SECONDS)
        self.clock = clock
        self.progress: BackfillProgress | None = None
        self.crawl_progress_file: Path | None = None  # the running crawl child's report
        self.last_crawl: CrawlProgress | None = None  # the last finished poll's report
        self._queued, self._counted_at = 0, float("-inf")

    # ---- progress --------------------------------------------------------------------
    def _progress(self) -> BackfillProgress:
        if self.progress is None:
            self.progress = BackfillProgress(started=self.clock())
        return self.progress

    def _show(self) -> None:
        progress = self._progress()
        report = read_progress(self.crawl_progress_file) if self.crawl_progress_file else None
        now = self.clock()
        if now - self._counted_at >= QUEUE_COUNT_EVERY_SECONDS:
            # A count reads the whole queue table: not after every chunk of a long backlog.
            self._queued, self._counted_at = self.queue.count(), now
        progress.crawled(report, self._queued)
        self.view.show(progress)

    def end_session(self) -> None:
        """No poll follows at once: the last figures are shown and the counts start over."""
        if self.progress is not None:
            self.progress.crawled(None, self.queue.count())
            self.view.close(self.progress)
            self.progress = None

    # ---- draining --------------------------------------------------------------------
    def drain(self, batch: int = DRAIN_CHUNK) -> PollResult:
        """Hand every queued article to the handlers, a chunk at a time; acknowledge a
        chunk once the tracker stored its evidence."""
        result = PollResult()
        while entries := self.queue.pending(batch):
            chunk = self._drain_chunk(entries)
            result.add(chunk)
            self._progress().handed_over(
                self.clock(), chunk.articles, chunk.evidence, chunk.dead_letters
            )
            self._show()
        return result

    def _drain_chunk(self, entries: list[Any]) -> PollResult:
        result = PollResult(articles=len(entries))
        evidence: list[RawMessage] = []
        stored: list[int] = []
        for entry in entries:
            outcome = self.extractor.handle_raw(entry.payload)
            if outcome.dead is not None:
                result.dead_letters += 1
                log.warning("article refused", seq=entry.seq, reason=outcome.dead.reason)
                self.queue.refuse(entry.seq, outcome.dead.reason)
                continue
            # As bytes, as on luqiao.evidence: the tracker's whole path, poison included.
            evidence += [
                RawMessage(ev.model_dump_json().encode(), ev.commitment_id.encode())
                for ev in outcome.evidence
            ]
            stored.append(entry.seq)
        result.evidence = len(evidence)
        if evidence:
            # One batch, one transaction; a crash before the ack feeds the chunk again,
            # and the tracker's ingest (idempotent by evidence_id) stores nothing twice.
            tracked = self.tracker.handle_raw_batch(evidence)
            result.status_changes += len(tracked.out)
            for diverted in tracked.dead:
                result.dead_letters += 1
                log.warning("evidence rejected", reason=diverted.letter.reason)
        self.queue.ack_many(stored)
        return result

    # ---- polling ---------------------------------------------------------------------
    def poll(self, crawl_overrides: dict[str, Any], stop: threading.Event) -> CrawlSummary:
        """One crawl in a child, drained as it goes; the poll's report goes to the tracker."""
        result = self.drain()  # what an earlier crash left behind goes first
        self._progress().poll_started()
        started = datetime.now(UTC)
        self.last_crawl = None
        try:
            with crawl_child(crawl_overrides, "queue") as (child, summary_file):
                self.crawl_progress_file = progress_file_of(summary_file)
                try:
                    while child.poll() is None:
                        result.add(self.drain())
                        self._show()
                        if stop.wait(DRAIN_EVERY_SECONDS):
                            child.kill()  # shutting down: what it committed is drained next start
                            child.wait()
                    result.add(self.drain())
                    self._show()
                    self.last_crawl = read_progress(self.crawl_progress_file)
                finally:
                    self.crawl_progress_file = None
                summary = child_summary(child, summary_file, started)
        except CrawlFailed as exc:
            summary = exc.summary or failed_summary(str(exc), started)
            log.error("crawl failed", reason=str(exc))
        result.add(self.drain())
        self._progress().poll_finished()
        site_url = str(crawl_overrides.get("site_url", ""))
        self.tracker.record_crawl(summary.report(site_url))
        log.info("poll done", crawl=summary.log_line(), **result.__dict__)
        return summary

    def backfill_continues(self, summary: CrawlSummary) -> bool:
        """The poll went well, read something, and left a column's back-fill unfinished
        (its page budget ran out): the next poll should start now, not in an hour."""
        crawl = self.last_crawl
        return bool(summary.ok and crawl is not None and crawl.unfinished and crawl.list_items > 0)


def poll_loop(
    pipeline: EmbeddedPipeline,
    crawl_overrides: dict[str, Any],
    poll_minutes: float,
    stop: threading.Event,
) -> None:
    while not stop.is_set():
        try:
            summary = pipeline.poll(crawl_overrides, stop)
            if pipeline.backfill_continues(summary) and not stop.is_set():
                log.info("back-fill unfinished: the next poll starts now")
                continue
        except Exception:  # one bad poll must not end the service
            log.exception("poll failed; will retry at the next interval")
        pipeline.end_session()
        stop.wait(poll_minutes * 60)
