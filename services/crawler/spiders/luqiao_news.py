"""The one spider: reads every configured column through whichever list engine it uses.

Per column it fetches the column page, recognises jpaas (a ``queryData`` unit
answered by a JSON API) or jpage (an inline ``<datastore>`` continued by a data
proxy), and pages through the list newest first until it meets an item it has
already seen or one older than the back-fill date. Articles it has never
fetched are requested plainly; known ones only when their list entry changed
or they are inside the revisit window, and then conditionally (ETag /
Last-Modified), so an unchanged site costs list pages only.
"""

from __future__ import annotations

import hashlib
import http
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Request, Response, TextResponse
from twisted.python.failure import Failure

from services.events import CHINA_TZ, article_id_for, canonical_url

from ..article_parsing import ArticleParseError, parse_article
from ..items import ArticlePage
from ..list_parsing import (
    ListItem,
    column_name,
    find_jpaas_unit,
    find_jpage_store,
    parse_jpaas_answer,
    parse_jpage_answer,
)
from ..seen_store import SeenPage, SeenStore
from ..settings import CrawlerSettings
from ..summary import CrawlSummary

# Statuses handed to the article callback instead of being filtered out, so a 304
# counts as "unchanged" and a 4xx/5xx is recorded as an error rather than lost.
ARTICLE_STATUSES = [304, *range(400, 600)]


def text_hash(title: str, text: str) -> str:
    """The content hash: what a correction changes and a duplicate story shares."""
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


class LuqiaoNewsSpider(scrapy.Spider):
    name = "luqiao_news"

    def __init__(
        self,
        crawl_settings: CrawlerSettings | None = None,
        seen_store: SeenStore | None = None,
        publisher: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cfg = crawl_settings or CrawlerSettings()  # type: ignore[call-arg]
        self.seen_store = seen_store or SeenStore(self.cfg.database_url)
        self.publisher = publisher
        self.site = self.cfg.site_url.rstrip("/")
        self.site_host = (urlsplit(self.site).hostname or "").lower()
        self.allowed_hosts = {self.site_host, *(h.lower() for h in self.cfg.offsite_allowlist)}
        self.allowed_domains = sorted(self.allowed_hosts)
        self.started_at = datetime.now(UTC)
        self.error_details: list[str] = []
        self.fatal_error: str | None = None
        self.summary: CrawlSummary | None = None
        # Column id -> name from the column page, for articles whose page lacks ColumnName.
        self.column_names: dict[str, str] = {}

    # ---- bookkeeping -------------------------------------------------------------------
    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"luqiao/{key}", count)

    def report_error(self, url: str, reason: str) -> None:
        self._inc("error")
        self.error_details.append(f"{url}: {reason}")
        self.logger.warning("page error %s: %s", url, reason)

    # ---- lists -------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for column_id in self.cfg.columns:
            yield Request(
                f"{self.site}/col/col{column_id}/index.html",
                callback=self.parse_column,
                errback=self.on_error,
                cb_kwargs={"column_id": column_id},
                dont_filter=True,
            )

    def parse_column(self, response: Response, column_id: str) -> Iterator[Request]:
        self._inc("list_pages")
        if not isinstance(response, TextResponse):
            self.report_error(response.url, "column page is not text")
            return
        name = column_name(response.text)
        if name:
            self.column_names[column_id] = name
        unit = find_jpaas_unit(response.text, response.url)
        if unit is not None:
            page_size = unit.page_size or self.cfg.list_page_size
            yield self._jpaas_request(unit.api_url, unit.query, 1, page_size, column_id)
            return
        store = find_jpage_store(response.text, response.url)
        if store is None:
            self.report_error(response.url, "no jpaas unit or jpage datastore on column page")
            return
        requests, stop = self._follow_items(store.items, column_id)
        yield from requests
        done = store.total_record is not None and len(store.items) >= store.total_record
        if not stop and not done:
            yield self._jpage_request(
                store.proxy_url, store.form, len(store.items) + 1, column_id, 1
            )

    def _jpaas_request(
        self, api: str, query: dict[str, str], page_no: int, page_size: int, column_id: str
    ) -> Request:
        param = json.dumps({"pageNo": page_no, "pageSize": page_size}, separators=(",", ":"))
        return Request(
            f"{api}?{urlencode({**query, 'paramJson': param})}",
            callback=self.parse_jpaas,
            errback=self.on_error,
            cb_kwargs={
                "api": api,
                "query": query,
                "page_no": page_no,
                "page_size": page_size,
                "column_id": column_id,
            },
        )

    def parse_jpaas(
        self,
        response: Response,
        api: str,
        query: dict[str, str],
        page_no: int,
        page_size: int,
        column_id: str,
    ) -> Iterator[Request]:
        self._inc("list_pages")
        try:
            page = parse_jpaas_answer(response.text, self.site + "/")  # type: ignore[attr-defined]
        except (ValueError, AttributeError) as exc:
            self.report_error(response.url, f"bad jpaas answer: {exc}")
            return
        requests, stop = self._follow_items(page.items, column_id)
        yield from requests
        total = page.total_pages()
        more = page.items and (total is None or page_no < total)
        if more and not stop and page_no < self.cfg.max_list_pages:
            yield self._jpaas_request(api, query, page_no + 1, page_size, column_id)

    def _jpage_request(
        self, proxy: str, form: dict[str, str], start: int, column_id: str, page_no: int
    ) -> Request:
        per = self.cfg.list_page_size
        query = urlencode({"startrecord": start, "endrecord": start + per - 1, "perpage": per})
        return FormRequest(
            f"{proxy}?{query}",
            formdata=form,
            callback=self.parse_jpage,
            errback=self.on_error,
            cb_kwargs={
                "proxy": proxy,
                "form": form,
                "start": start,
                "column_id": column_id,
                "page_no": page_no,
            },
        )

    def parse_jpage(
        self,
        response: Response,
        proxy: str,
        form: dict[str, str],
        start: int,
        column_id: str,
        page_no: int,
    ) -> Iterator[Request]:
        self._inc("list_pages")
        items, total = parse_jpage_answer(response.text, self.site + "/")  # type: ignore[attr-defined]
        requests, stop = self._follow_items(items, column_id)
        yield from requests
        next_start = start + len(items)
        more = items and (total is None or next_start <= total)
        if more and not stop and page_no < self.cfg.max_list_pages:
            yield self._jpage_request(proxy, form, next_start, column_id, page_no + 1)

    # ---- deciding what to fetch --------------------------------------------------------
    def _follow_items(self, items: list[ListItem], column_id: str) -> tuple[list[Request], bool]:
        """Requests for the items worth fetching, and whether paging should stop here."""
        keys = {item.url: canonical_url(item.url) for item in items}
        seen = self.seen_store.get_many(keys.values())
        requests: list[Request] = []
        stop = False
        for item in items:
            if item.date is not None and item.date < self.cfg.backfill_date:
                self._inc("skipped_before_backfill")
                stop = True  # newest first: everything after this is older still
                break
            host = (urlsplit(item.url).hostname or "").lower()
            if host not in self.allowed_hosts:
                self._inc("skipped_offsite")
                continue
            row = seen.get(keys[item.url])
            if row is None:
                requests.append(self._article_request(item, column_id, None))
                continue
            listing_changed = row.list_title != item.title or row.list_date != _iso(item.date)
            recent = self._in_revisit_window(item)
            if listing_changed or (recent and row.published):
                requests.append(self._article_request(item, column_id, row))
            elif not recent:
                stop = True
        return requests, stop

    def _in_revisit_window(self, item: ListItem) -> bool:
        """Recent enough to re-check for corrections (and to keep paging past)."""
        if self.cfg.revisit_days <= 0 or item.date is None:
            return False
        today = datetime.now(CHINA_TZ).date()
        return today - item.date <= timedelta(days=self.cfg.revisit_days)

    def _article_request(self, item: ListItem, column_id: str, row: SeenPage | None) -> Request:
        headers: dict[str, str] = {}
        if row is not None and row.http_status in (200, 304):
            if row.etag:
                headers["If-None-Match"] = row.etag
            if row.last_modified:
                headers["If-Modified-Since"] = row.last_modified
        return Request(
            item.url,
            headers=headers,
            callback=self.parse_article,
            errback=self.on_error,
            meta={
                "handle_httpstatus_list": ARTICLE_STATUSES,
                "list_title": item.title,
                "list_date": _iso(item.date),
                "column_id": column_id,
            },
        )

    # ---- articles ----------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        self._inc("article_responses")
        url = response.url
        key = canonical_url(url)
        article_id = article_id_for(url)
        meta = response.meta
        listing = {"list_title": meta.get("list_title"), "list_date": meta.get("list_date")}
        etag = _header(response, "ETag")
        last_modified = _header(response, "Last-Modified")
        if response.status == 304:
            self._inc("unchanged")
            self.seen_store.record(key, article_id, outcome="unchanged", http_status=304, **listing)
            return
        if 400 <= response.status < 500:
            self.report_error(url, f"HTTP {response.status}; not retried")
            self.seen_store.record(
                key,
                article_id,
                outcome="gone",
                http_status=response.status,
                note=f"HTTP {response.status}",
                **listing,
            )
            return
        if response.status >= 500:
            # Retries (with backoff) are exhausted; not recorded, so the next poll tries again.
            self.report_error(url, f"HTTP {response.status} after retries")
            return
        body = response.body
        html_sha256 = hashlib.sha256(body).hexdigest()
        try:
            parsed = parse_article(body, url, _charset(response))
        except ArticleParseError as exc:
            self.report_error(url, f"unparsable article: {exc}")
            self.seen_store.record(
                key,
                article_id,
                outcome="error",
                http_status=response.status,
                note=str(exc)[:500],
                html_sha256=html_sha256,
                etag=etag,
                last_modified=last_modified,
                **listing,
            )
            return
        yield ArticlePage(
            url=url,
            article_id=article_id,
            status=response.status,
            reason=http.HTTPStatus(response.status).phrase,
            response_headers=_header_pairs(response.headers),
            request_headers=_header_pairs(response.request.headers) if response.request else [],
            body=body,
            html_sha256=html_sha256,
            text_sha256=text_hash(parsed.title, parsed.text),
            fetched_at=datetime.now(CHINA_TZ),
            parsed=parsed,
            list_title=listing["list_title"],
            list_date=listing["list_date"],
            column_id=meta.get("column_id"),
            etag=etag,
            last_modified=last_modified,
        )

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(IgnoreRequest):
            self._inc("skipped_robots")  # robots.txt (the only IgnoreRequest raised here)
            self.logger.info("not fetched (robots.txt): %s", url)
            return
        self.report_error(
            url,
            f"{failure.type.__name__ if failure.type else 'error'}: {failure.getErrorMessage()}",
        )

    # ---- end of run --------------------------------------------------------------------
    def closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()

        def count(key: str) -> int:
            return int(stats.get(f"luqiao/{key}", 0))

        self.summary = CrawlSummary(
            started_at=self.started_at,
            finished_at=datetime.now(UTC),
            pages_fetched=int(stats.get("downloader/response_count", 0)),
            list_pages=count("list_pages"),
            article_requests=count("article_responses"),
            new=count("new"),
            updated=count("updated"),
            unchanged=count("unchanged"),
            duplicates=count("duplicates"),
            errors=count("error"),
            skipped_offsite=count("skipped_offsite"),
            skipped_robots=count("skipped_robots"),
            skipped_before_backfill=count("skipped_before_backfill"),
            bytes_received=int(stats.get("downloader/response_bytes", 0)),
            published=count("published"),
            finish_reason=self.fatal_error and f"failed: {self.fatal_error}" or reason,
            error_details=self.error_details,
            warc_files=sorted(set(stats.get("luqiao_warc_files", []))),
        )
        self.logger.info(self.summary.log_line())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _charset(response: Response) -> str | None:
    content_type = _header(response, "Content-Type") or ""
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, values in headers.items():
        for value in values:
            pairs.append((key.decode("latin-1"), value.decode("latin-1")))
    return pairs
