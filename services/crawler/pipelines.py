"""Item pipelines, in order: seen-store, duplicate story, WARC archive, publish.

Each stage can end an item's way (an unchanged page, a duplicate); what reaches
the publish stage becomes an ArticleFetched event. The seen-store is written as
"published" only after publishing succeeded, and the returned dict is what
Scrapy's feed exports write when the sink is a JSONL file.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from services.events import ArticleFetched, canonical_url

from .items import ArticlePage
from .publishing import PublisherUnavailable

# The archived body is what Scrapy hands over: already decompressed and de-chunked.
DROPPED_RESPONSE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class _CrawlerComponent:
    """Access to the running spider, which owns the seen-store and the publisher."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"luqiao/{key}")

    def record(self, item: ArticlePage, outcome: str, **fields: object) -> None:
        self.spider.seen_store.record(
            canonical_url(item.url),
            item.article_id,
            outcome=outcome,
            http_status=item.status,
            etag=item.etag,
            last_modified=item.last_modified,
            html_sha256=item.html_sha256,
            text_sha256=item.text_sha256,
            list_title=item.list_title,
            list_date=item.list_date,
            published_at=item.parsed.published_at,
            **fields,
        )


class SeenStorePipeline(_CrawlerComponent):
    """Drops pages whose content is what was already published; flags corrections."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        row = self.spider.seen_store.get(canonical_url(item.url))
        if row is not None and row.published and row.text_sha256 == item.text_sha256:
            self.record(item, "unchanged")
            self.inc("unchanged")
            raise DropItem(f"unchanged: {item.url}", log_level="DEBUG")
        item.is_update = bool(row is not None and row.published)
        return item


class DuplicateContentPipeline(_CrawlerComponent):
    """The same story under a second address is recorded, not published twice."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.claimed: dict[str, str] = {}  # text hash -> article_id, this run

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage) or item.is_update:
            return item
        other = self.claimed.get(item.text_sha256) or self.spider.seen_store.published_with_text(
            item.text_sha256, other_than=canonical_url(item.url)
        )
        if other is not None and other != item.article_id:
            self.record(item, "duplicate", duplicate_of=other)
            self.inc("duplicates")
            self.spider.logger.info("duplicate story, not published: %s (of %s)", item.url, other)
            raise DropItem(f"duplicate of {other}: {item.url}", log_level="DEBUG")
        self.claimed[item.text_sha256] = item.article_id
        return item


class WarcArchivePipeline(_CrawlerComponent):
    """Writes each page about to be published to a WARC file, exactly as served."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.path: Path | None = None
        self._file: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None

    def _open(self) -> WARCWriter:
        if self._writer is None:
            warc_dir = Path(self.spider.cfg.warc_dir)
            warc_dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            self.path = warc_dir / f"luqiao-{stamp}-{os.getpid()}.warc.gz"
            self._file = open(self.path, "ab")  # noqa: SIM115 - closed in close_spider
            self._writer = WARCWriter(self._file, gzip=True)
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("luqiao_warc_files", [str(self.path)])
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
        item.warc_file = str(self.path)
        return item

    def close_spider(self) -> None:
        if self._file is not None:
            self._file.close()


class PublishPipeline(_CrawlerComponent):
    """Turns the page into an ArticleFetched event, publishes it, then marks it seen."""

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
            column=parsed.column or self.spider.column_names.get(item.column_id),
            text=parsed.text,
            html_sha256=item.html_sha256,
            fetched_at=item.fetched_at,
            attachments=parsed.attachments,
            is_update=item.is_update,
        )
        publisher = self.spider.publisher
        if publisher is not None:
            try:
                publisher.publish(event)
            except PublisherUnavailable as exc:
                self.spider.fatal_error = str(exc)
                self.spider.report_error(item.url, f"not published: {exc}")
                engine = self.crawler.engine
                assert engine is not None
                deferred_from_coro(engine.close_spider_async(reason="publish_failed"))
                raise DropItem(f"not published: {item.url}", log_level="ERROR") from exc
        self.record(item, "updated" if item.is_update else "new", published=True)
        self.inc("updated" if item.is_update else "new")
        self.inc("published")
        return event.model_dump(mode="json")
