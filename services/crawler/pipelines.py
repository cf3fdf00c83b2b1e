"""Item pipelines, in order: seen-store, duplicate story, WARC archive, publish.

Each pipeline owns its resource, the way Scrapy documents it: built from the
crawler's settings in ``from_crawler``, opened in ``open_spider``, closed in
``close_spider``. ``SeenStorePipeline`` owns the crawler's state (and lets the
spider read it); it records every page outcome and column walk. The publish
pipeline delivers the article to its sink and marks it seen only with or after
that, so an article is "seen" only once its downstream has it durably:
acknowledged by the broker (``kafka``), committed in the embedded mode's hand-off
queue in the same transaction as the seen mark (``queue``), or flushed and fsynced
to an output file (``jsonl:<path>``).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from services.events import ArticleFetched, ColumnCrawl, article_id_for, canonical_url

from .handoff import HandoffQueue
from .items import ArticlePage, ArticlesListed, ColumnWalked, PageOutcome
from .legacy_import import import_legacy_pages
from .publishing import KafkaArticlePublisher, PublisherUnavailable
from .settings import CrawlerSettings, crawl_settings_of
from .state_access import CrawlState, expose, open_crawl_state, state_of

log = logging.getLogger(__name__)

# The archived body is what Scrapy hands over: already decompressed and de-chunked.
DROPPED_RESPONSE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
COLUMNS_STAT = "luqiao/columns"


class _Pipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cfg: CrawlerSettings = crawl_settings_of(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"luqiao/{key}", count)

    @property
    def state(self) -> CrawlState:
        return state_of(self.crawler)

    def record(
        self, item: ArticlePage, outcome: str, *, session: Session | None = None, **fields: Any
    ) -> None:
        self.state.pages.record(
            canonical_url(item.listed_url or item.url),
            item.article_id,
            outcome=outcome,
            session=session,
            http_status=item.status,
            etag=item.etag,
            last_modified=item.last_modified,
            html_sha256=item.html_sha256,
            text_sha256=item.text_sha256,
            list_title=item.list_title,
            list_date=item.list_date,
            column_id=item.column_id,
            fetch_url=item.listed_url or item.url,
            published_at=item.parsed.published_at,
            **fields,
        )


class SeenStorePipeline(_Pipeline):
    """Owns the crawler's state; records outcomes and column marks; drops unchanged pages."""

    def open_spider(self) -> None:
        self._state = open_crawl_state(self.cfg.resolved_state_url())
        import_legacy_pages(self._state.pages.engine, self.cfg.database_url)
        expose(self.crawler, self._state)

    def close_spider(self) -> None:
        self._state.close()
        expose(self.crawler, None)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageOutcome):
            self._record_outcome(item)
            raise DropItem(f"{item.verdict}: {item.url}", log_level="DEBUG")
        if isinstance(item, ArticlesListed):
            self.state.pages.mark_listed(
                ((url, article_id_for(url), title, day) for url, title, day in item.entries),
                item.column_id,
            )
            raise DropItem(f"listed: {len(item.entries)}", log_level="DEBUG")
        if isinstance(item, ColumnWalked):
            self._record_column(item)
            raise DropItem(f"column walked: {item.column}", log_level="DEBUG")
        if not isinstance(item, ArticlePage):
            return item
        row = self.state.pages.get(canonical_url(item.listed_url or item.url))
        if row is not None and row.published and row.text_sha256 == item.text_sha256:
            self.record(item, "unchanged")
            self.inc("unchanged")
            raise DropItem(f"unchanged: {item.url}", log_level="DEBUG")
        item.is_update = bool(row is not None and row.published)
        return item

    def _record_outcome(self, item: PageOutcome) -> None:
        key = canonical_url(item.url)
        listing: dict[str, Any] = {
            "list_title": item.list_title,
            "list_date": item.list_date,
            "column_id": item.column_id,
            "fetch_url": item.url,
        }
        if item.verdict == "failed":
            recorded = self.state.pages.record_failure(
                key,
                item.article_id,
                note=item.note or "failed",
                retry_after=timedelta(minutes=self.cfg.article_retry_minutes),
                give_up_after=self.cfg.give_up_after,
                http_status=item.http_status,
                **listing,
            )
            self.inc("failed")
            if recorded.gave_up:
                self.inc("gave_up")
                log.error(
                    "gave up on %s after %d failed polls: %s",
                    item.url,
                    recorded.failures,
                    item.note,
                )
            return
        if item.verdict == "unchanged":
            self.inc("unchanged")
        extra: dict[str, Any] = {"html_sha256": item.html_sha256} if item.html_sha256 else {}
        self.state.pages.record(
            key,
            item.article_id,
            outcome=item.verdict,
            http_status=item.http_status,
            note=(item.note or "")[:500] or None,
            etag=item.etag,
            last_modified=item.last_modified,
            **listing,
            **extra,
        )

    def _record_column(self, item: ColumnWalked) -> None:
        error = item.error
        if item.column_id is not None and item.mark is not None:
            failing = self.state.marks.save(item.column_id, item.mark, name=item.name, error=error)
            if error and failing > 1:
                error = f"{error} (连续 {failing} 次 / {failing} polls in a row)"
        assert self.crawler.stats is not None
        columns = self.crawler.stats.get_value(COLUMNS_STAT, [])
        crawl = ColumnCrawl(
            column=item.column,
            column_id=item.column_id,
            name=item.name,
            items_listed=item.items_listed,
            error=error,
        )  # its "new" count is filled in when the crawl ends (CrawlSummaryExtension)
        self.crawler.stats.set_value(COLUMNS_STAT, [*columns, crawl.model_dump()])
        if error:
            self.inc("column_errors")
            log.error("column %s (%s): %s", item.column, item.column_id, error)


class DuplicateContentPipeline(_Pipeline):
    """The same story under a second address is recorded, not published twice."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.claimed: dict[str, str] = {}  # text hash -> article_id, this run

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage) or item.is_update:
            return item
        other = self.claimed.get(item.text_sha256) or self.state.pages.published_with_text(
            item.text_sha256, other_than=canonical_url(item.url)
        )
        if other is not None and other != item.article_id:
            self.record(item, "duplicate", duplicate_of=other)
            self.inc("duplicates")
            log.info("duplicate story, not published: %s (of %s)", item.url, other)
            raise DropItem(f"duplicate of {other}: {item.url}", log_level="DEBUG")
        self.claimed[item.text_sha256] = item.article_id
        return item


class WarcArchivePipeline(_Pipeline):
    """Writes each page about to be published to a WARC file, exactly as served."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.path: Path | None = None
        self._file: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None

    def _open(self) -> WARCWriter:
        if self._writer is None:
            warc_dir = Path(self.cfg.warc_dir)
            warc_dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            self.path = warc_dir / f"luqiao-{stamp}-{os.getpid()}.warc.gz"
            self._file = open(self.path, "ab")
            self._writer = WARCWriter(self._file, gzip=True)
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("luqiao/warc_files", [str(self.path)])
        return self._writer

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        writer = self._open()
        target = item.url
        split = target.split("/", 3)
        request_line = f"GET /{split[3] if len(split) > 3 else ''} HTTP/1.1"
        request = writer.create_warc_record(
            target,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(request_line, item.request_headers, is_http_request=True),
        )
        headers = [
            (k, v) for k, v in item.response_headers if k.lower() not in DROPPED_RESPONSE_HEADERS
        ]
        headers.append(("Content-Length", str(len(item.body))))
        response = writer.create_warc_record(
            target,
            "response",
            payload=io.BytesIO(item.body),
            http_headers=StatusAndHeaders(f"{item.status} {item.reason}", headers, "HTTP/1.1"),
            warc_headers_dict={
                "WARC-Luqiao-Article-Id": item.article_id,
                "WARC-Luqiao-Html-Sha256": item.html_sha256,
            },
        )
        request.rec_headers.add_header(
            "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
        )
        writer.write_record(response)
        writer.write_record(request)
        assert self._file is not None
        self._file.flush()
        return item

    def close_spider(self) -> None:
        if self._file is not None:
            self._file.close()


# Marks the delivered page published in the seen-store: in the given transaction of the
# crawler's store (the sink lives there too), or in its own when the sink is elsewhere.
MarkSeen = Callable[[Session | None], None]


class Sink(Protocol):
    """Where articles go; ``deliver`` holds the article durably, then marks it seen.

    A sink outside the crawler's store (the broker, a file) calls ``mark_seen(None)``
    once the article is held; the queue, which lives in the crawler's store, commits
    the entry and the mark in one transaction.
    """

    def deliver(self, event: ArticleFetched, mark_seen: MarkSeen) -> None: ...

    def close(self) -> None: ...


class KafkaSink:
    def __init__(self, cfg: CrawlerSettings) -> None:
        self.publisher = KafkaArticlePublisher(
            cfg.kafka_bootstrap, cfg.articles_topic, cfg.kafka_timeout_seconds
        )

    def deliver(self, event: ArticleFetched, mark_seen: MarkSeen) -> None:
        self.publisher.publish(event)  # waits for the broker's acknowledgement
        mark_seen(None)

    def close(self) -> None:
        self.publisher.close()


class QueueSink:
    def __init__(self, cfg: CrawlerSettings) -> None:
        self.queue = HandoffQueue(cfg.resolved_state_url())

    def deliver(self, event: ArticleFetched, mark_seen: MarkSeen) -> None:
        self.queue.put(event, also=mark_seen)  # one commit: the entry and the seen mark

    def close(self) -> None:
        self.queue.close()


class JsonLinesSink:
    def __init__(self, path: Path, *, append: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("ab" if append else "wb")

    def deliver(self, event: ArticleFetched, mark_seen: MarkSeen) -> None:
        self.file.write(event.model_dump_json().encode("utf-8") + b"\n")
        self.file.flush()
        os.fsync(self.file.fileno())
        mark_seen(None)

    def close(self) -> None:
        self.file.close()


def open_sink(spec: str, cfg: CrawlerSettings, *, append: bool = False) -> Sink:
    if spec == "kafka":
        return KafkaSink(cfg)
    if spec == "queue":
        return QueueSink(cfg)
    if spec.startswith("jsonl:"):
        return JsonLinesSink(Path(spec.removeprefix("jsonl:")), append=append)
    raise ValueError(f"unknown sink {spec!r} (kafka, queue or jsonl:<path>)")


class PublishPipeline(_Pipeline):
    """Turns the page into an ArticleFetched event, delivers it, then marks it seen."""

    def open_spider(self) -> None:
        spec = self.crawler.settings.get("LUQIAO_SINK", "kafka")
        append = self.crawler.settings.getbool("LUQIAO_SINK_APPEND")
        self.sink: Sink | None = None
        try:
            self.sink = open_sink(spec, self.cfg, append=append)
        except PublisherUnavailable as exc:
            self._fatal(str(exc))
            raise CloseSpider("publish_failed") from exc

    def close_spider(self) -> None:
        if self.sink is not None:
            self.sink.close()

    def _fatal(self, reason: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("luqiao/fatal_error", reason)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        parsed = item.parsed
        event = ArticleFetched(
            article_id=item.article_id,
            url=item.url,
            title=parsed.title,
            published_at=parsed.published_at,
            source=parsed.source,
            column=parsed.column or item.column_name,
            text=parsed.text,
            html_sha256=item.html_sha256,
            fetched_at=item.fetched_at,
            attachments=parsed.attachments,
            is_update=item.is_update,
        )
        assert self.sink is not None
        outcome = "updated" if item.is_update else "new"

        def mark_seen(session: Session | None) -> None:
            self.record(item, outcome, session=session, published=True)

        try:
            self.sink.deliver(event, mark_seen)
        except PublisherUnavailable as exc:
            self._fatal(str(exc))
            self.inc("error")
            engine = self.crawler.engine
            assert engine is not None
            deferred_from_coro(engine.close_spider_async(reason="publish_failed"))
            raise DropItem(f"not published: {item.url}: {exc}", log_level="ERROR") from exc
        self.inc(outcome)
        self.inc(f"column_new/{item.column_id}")
        self.inc("published")
        return event
