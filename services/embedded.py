"""The one-process mode: crawler, extractor and tracker handlers wired by direct
calls, no Kafka, a SQLite file, the tracker's HTTP port.

Each poll runs the Scrapy crawl in a child process (Scrapy's reactor cannot be
restarted in one process) that writes JSON lines; every article is then handed
to the same `ExtractorHandler` and `TrackerService` paths the Kafka services use
(`handle_raw` / `handle_raw_batch`: decoding and poison handling included).
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from services.crawler.summary import CrawlSummary
from services.events import CrawlReport
from services.extractor.handler import ExtractorHandler
from services.tracker.service import TrackerService
from services.worker import RawMessage

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
                    # As bytes, as on luqiao.evidence: the tracker's whole path, poison included.
                    tracked = self.tracker.handle_raw_batch(
                        [
                            RawMessage(ev.model_dump_json().encode(), ev.commitment_id.encode())
                            for ev in outcome.evidence
                        ]
                    )
                    changes += len(tracked.out)
                    for diverted in tracked.dead:
                        dead += 1
                        log.warning("evidence rejected", reason=diverted.letter.reason)
        return PollResult(articles, evidence, changes, dead)


def crawl_report(
    summary: CrawlSummary | None, site_url: str, started: datetime, error: str | None = None
) -> CrawlReport:
    """The embedded mode's CrawlReport of one poll, so the page's banner tells a failed
    crawl from silence as in the Kafka deployment. Not ok when the crawl raised, read
    no list page, or ended for another reason than "finished"."""
    finished = datetime.now(UTC)
    if summary is None:
        return CrawlReport(crawl_id=f"embedded-{started.isoformat()}", site_url=site_url,
                           started_at=started, finished_at=finished, ok=False, errors=1,
                           last_error=error or "抓取未完成")  # fmt: skip
    ok = summary.finish_reason == "finished" and summary.list_pages > 0
    last_error = summary.error_details[-1] if summary.error_details else None
    if not ok and last_error is None:
        last_error = (
            f"没有读到任何列表页（结束原因：{summary.finish_reason or '未知'}）"
            if summary.list_pages == 0
            else f"抓取提前结束：{summary.finish_reason or '未知'}"
        )
    return CrawlReport(
        crawl_id=f"embedded-{summary.started_at.isoformat()}", site_url=site_url,
        started_at=summary.started_at, finished_at=summary.finished_at, ok=ok,
        articles_seen=summary.new + summary.updated + summary.unchanged + summary.duplicates,
        articles_published=summary.published, errors=summary.errors, last_error=last_error,
    )  # fmt: skip


def poll_once(pipeline: EmbeddedPipeline, crawl_overrides: dict[str, object]) -> PollResult:
    """One crawl in a child process, its articles through the handlers, and its report
    to the tracker (a failed crawl is reported too, then raised)."""
    from services.crawler.run import crawl_once_subprocess
    from services.crawler.settings import CrawlerSettings

    site_url = str(crawl_overrides.get("site_url") or CrawlerSettings().site_url)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="luqiao-poll-") as tmp:
        out = Path(tmp) / "articles.jsonl"
        try:
            summary = crawl_once_subprocess(crawl_overrides, out)
        except Exception as exc:
            pipeline.tracker.record_crawl(crawl_report(None, site_url, started, str(exc)))
            raise
        result = pipeline.feed_jsonl(out) if out.exists() else PollResult(0, 0, 0, 0)
        pipeline.tracker.record_crawl(crawl_report(summary, site_url, started))
        log.info("poll done", crawl=summary.log_line(), **result.__dict__)
        return result


def poll_loop(
    pipeline: EmbeddedPipeline,
    crawl_overrides: dict[str, object],
    poll_minutes: float,
    stop: threading.Event,
) -> None:
    while not stop.is_set():
        try:
            poll_once(pipeline, crawl_overrides)
        except Exception:  # noqa: BLE001 — one bad poll must not end the service
            log.exception("poll failed; will retry at the next interval")
        stop.wait(poll_minutes * 60)
