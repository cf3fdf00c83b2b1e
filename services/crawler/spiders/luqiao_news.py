"""The one spider: reads every configured column through whichever list engine it uses.

It only yields requests and items. Per column it fetches the column page,
recognises jpaas (a ``queryData`` unit answered by a JSON API) or jpage (an
inline ``<datastore>`` continued by a data proxy), and pages through the list
as far as :class:`~services.crawler.paging.ColumnWalk` says: down to the
column's mark, then on where an unfinished back-fill stopped. Columns given by
name are first resolved from the home page's navigation. Articles it has never
fetched are requested plainly; known ones only when their list entry changed,
when they are inside the revisit window (then conditionally, with ETag /
Last-Modified), or when an earlier poll failed on them and their retry is due.

What happened is yielded as items (``ArticlePage``, ``PageOutcome``,
``ColumnWalked``); the pipelines record and deliver them. The spider reads the
crawler's state through :func:`services.crawler.state_access.state_of`, and
writes none of it.
"""

from __future__ import annotations

import hashlib
import http
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from services.events import CHINA_TZ, article_id_for, canonical_url

from ..article_parsing import ArticleParseError, parse_article
from ..items import ArticlePage, ArticlesListed, ColumnWalked, PageOutcome
from ..list_parsing import (
    ListItem,
    column_name,
    find_jpaas_unit,
    find_jpage_store,
    parse_jpaas_answer,
    parse_jpage_answer,
)
from ..navigation import ResolvedColumn, navigation_columns, resolve_columns
from ..paging import ColumnMark, ColumnWalk, page_for
from ..seen_store import SeenPage
from ..settings import CrawlerSettings, crawl_settings_of
from ..state_access import state_of

# Statuses handed to the article callback instead of being filtered out, so a 304
# counts as "unchanged" and a 4xx/5xx is recorded rather than lost.
ARTICLE_STATUSES = [304, *range(400, 600)]


def text_hash(title: str, text: str) -> str:
    """The content hash: what a correction changes and a duplicate story shares."""
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


class LuqiaoNewsSpider(scrapy.Spider):
    name = "luqiao_news"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> LuqiaoNewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawl_settings_of(crawler.settings))
        return spider

    def configure(self, cfg: CrawlerSettings) -> None:
        self.cfg = cfg
        # Article requests bypass the dupefilter (so a redirect loop ends in "max
        # redirections", reported, not in a silent drop); this set keeps one per address.
        self.requested: set[str] = set()
        # The walks of this poll and the marks they left, for the progress report
        # (services.crawler.progress): one entry per column, never per article.
        self.walks: dict[str, ColumnWalk] = {}
        self.walked: dict[str, ColumnMark] = {}
        self.articles_pending = 0  # article requests asked for and not answered yet
        self.site = cfg.site_url.rstrip("/")
        self.site_host = (urlsplit(self.site).hostname or "").lower()
        self.allowed_hosts = {self.site_host, *(h.lower() for h in cfg.offsite_allowlist)}
        self.allowed_domains = sorted(self.allowed_hosts)

    # ---- bookkeeping -------------------------------------------------------------------
    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"luqiao/{key}", count)

    def report_error(self, url: str, reason: str) -> None:
        """Count and keep an error for the summary (the stats are the summary's source)."""
        assert self.crawler.stats is not None
        self._inc("error")
        details = self.crawler.stats.get_value("luqiao/error_details", [])
        self.crawler.stats.set_value("luqiao/error_details", [*details, f"{url}: {reason}"])
        self.logger.warning("page error %s: %s", url, reason)

    # ---- start: columns (by name via the navigation) and due retries --------------------
    async def start(self) -> AsyncIterator[Any]:
        assert self.crawler.stats is not None
        if self.crawler.stats.get_value("luqiao/fatal_error"):
            return  # the sink could not be opened: fetch nothing
        for request in self._due_retries():
            yield request
        if all(c.strip().isdigit() for c in self.cfg.columns):
            for column in resolve_columns(self.cfg.columns, []):
                yield self._column_request(column)
            return
        yield Request(
            f"{self.site}/",
            callback=self.parse_home,
            errback=self.on_home_error,
            dont_filter=True,
            meta={"handle_httpstatus_all": True},
        )

    def parse_home(self, response: Response) -> Iterator[Any]:
        self._inc("list_pages")
        nav = []
        if response.status == 200 and isinstance(response, TextResponse):
            nav = navigation_columns(response.text, response.url)
        reason = (
            None if nav else f"首页无导航 / no navigation on the home page (HTTP {response.status})"
        )
        yield from self._columns_from(nav, reason)

    def on_home_error(self, failure: Failure) -> Iterator[Any]:
        reason = f"首页无法读取 / home page unreadable: {_failure_text(failure)}"
        self.report_error(f"{self.site}/", reason)
        yield from self._columns_from([], reason)

    def _columns_from(self, nav: list[Any], reason: str | None) -> Iterator[Any]:
        for column in resolve_columns(self.cfg.columns, nav):
            if column.column_id is None:
                error = reason or column.error or "not found"
                self.report_error(f"{self.site}/ column {column.wanted}", error)
                yield ColumnWalked(column.wanted, None, None, None, 0, None, None, error)
                continue
            self.logger.info(
                "column %s resolved to %s (%s)", column.wanted, column.column_id, column.name
            )
            yield self._column_request(column)

    def _due_retries(self) -> Iterator[Request]:
        for page in state_of(self.crawler).pages.due_retries():
            if page.url in self.requested:
                continue
            self.requested.add(page.url)
            self._inc("resumed" if page.outcome == "listed" else "retries")
            yield self._article_request(
                page.fetch_url or page.url,
                page.list_title,
                page.list_date,
                page.column_id,
                None,
                page,
            )

    # ---- lists -------------------------------------------------------------------------
    def _column_request(self, column: ResolvedColumn) -> Request:
        assert column.column_id is not None
        mark = state_of(self.crawler).marks.get(column.column_id)
        revisit_since = None
        if self.cfg.revisit_days > 0:
            revisit_since = datetime.now(CHINA_TZ).date() - timedelta(days=self.cfg.revisit_days)
        walk = ColumnWalk(
            column_id=column.column_id,
            mark=mark,
            backfill_date=self.cfg.backfill_date,
            max_pages=self.cfg.max_list_pages,
            revisit_since=revisit_since,
            lookback_days=self.cfg.lookback_days,
        )
        self.walks[column.column_id] = walk
        return Request(
            f"{self.site}/col/col{column.column_id}/index.html",
            callback=self.parse_column,
            errback=self.on_list_error,
            cb_kwargs={"walk": walk, "column": column},
            dont_filter=True,
        )

    def parse_column(
        self, response: Response, walk: ColumnWalk, column: ResolvedColumn
    ) -> Iterator[Any]:
        self._inc("list_pages")
        if not isinstance(response, TextResponse):
            yield from self._list_failed(walk, column, response.url, "column page is not text")
            return
        name = column_name(response.text) or column.name
        column = ResolvedColumn(column.wanted, column.column_id, name)
        unit = find_jpaas_unit(response.text, response.url)
        if unit is not None:
            page_size = unit.page_size or self.cfg.list_page_size
            yield self._jpaas_request(unit.api_url, unit.query, 1, page_size, walk, column)
            return
        store = find_jpage_store(response.text, response.url)
        if store is None:
            yield from self._list_failed(
                walk, column, response.url, "no jpaas unit or jpage datastore on column page"
            )
            return
        wanted = walk.read(store.items, 1, store.total_record)
        yield from self._follow_items(wanted, column)
        start = walk.next_start(1, len(store.items), self.cfg.list_page_size)
        if start is None:
            yield self._walked(walk, column, "jpage")
        else:
            yield self._jpage_request(store.proxy_url, store.form, start, walk, column)

    def _jpaas_request(
        self,
        api: str,
        query: dict[str, str],
        page_no: int,
        page_size: int,
        walk: ColumnWalk,
        column: ResolvedColumn,
    ) -> Request:
        param = json.dumps({"pageNo": page_no, "pageSize": page_size}, separators=(",", ":"))
        return Request(
            f"{api}?{urlencode({**query, 'paramJson': param})}",
            callback=self.parse_jpaas,
            errback=self.on_list_error,
            dont_filter=True,
            cb_kwargs={
                "api": api,
                "query": query,
                "page_no": page_no,
                "page_size": page_size,
                "walk": walk,
                "column": column,
            },
        )

    def parse_jpaas(
        self,
        response: Response,
        api: str,
        query: dict[str, str],
        page_no: int,
        page_size: int,
        walk: ColumnWalk,
        column: ResolvedColumn,
    ) -> Iterator[Any]:
        self._inc("list_pages")
        try:
            page = parse_jpaas_answer(response.text, self.site + "/")
        except (ValueError, AttributeError, RecursionError) as exc:
            yield from self._list_failed(walk, column, response.url, f"bad jpaas answer: {exc}")
            return
        first = (page_no - 1) * page_size + 1
        wanted = walk.read(page.items, first, page.count)
        yield from self._follow_items(wanted, column)
        start = walk.next_start(first, len(page.items), page_size)
        if start is None:
            yield self._walked(walk, column, "jpaas")
        else:
            yield self._jpaas_request(
                api, query, page_for(start, page_size), page_size, walk, column
            )

    def _jpage_request(
        self,
        proxy: str,
        form: dict[str, str],
        start: int,
        walk: ColumnWalk,
        column: ResolvedColumn,
    ) -> Request:
        per = self.cfg.list_page_size
        query = urlencode({"startrecord": start, "endrecord": start + per - 1, "perpage": per})
        return FormRequest(
            f"{proxy}?{query}",
            formdata=form,
            callback=self.parse_jpage,
            errback=self.on_list_error,
            dont_filter=True,
            cb_kwargs={
                "proxy": proxy,
                "form": form,
                "start": start,
                "walk": walk,
                "column": column,
            },
        )

    def parse_jpage(
        self,
        response: Response,
        proxy: str,
        form: dict[str, str],
        start: int,
        walk: ColumnWalk,
        column: ResolvedColumn,
    ) -> Iterator[Any]:
        self._inc("list_pages")
        if response.status != 200 or not isinstance(response, TextResponse):
            yield from self._list_failed(walk, column, response.url, f"HTTP {response.status}")
            return
        items, total = parse_jpage_answer(response.text, self.site + "/")
        wanted = walk.read(items, start, total)
        yield from self._follow_items(wanted, column)
        following = walk.next_start(start, len(items), self.cfg.list_page_size)
        if following is None:
            yield self._walked(walk, column, "jpage")
        else:
            yield self._jpage_request(proxy, form, following, walk, column)

    def on_list_error(self, failure: Failure) -> Iterator[Any]:
        request = getattr(failure, "request", None)
        kwargs = request.cb_kwargs if request is not None else {}
        walk, column = kwargs.get("walk"), kwargs.get("column")
        url = request.url if request is not None else "?"
        if walk is None or column is None:
            self.report_error(url, _failure_text(failure))
            return
        yield from self._list_failed(walk, column, url, _failure_text(failure))

    def _list_failed(
        self, walk: ColumnWalk, column: ResolvedColumn, url: str, reason: str
    ) -> Iterator[ColumnWalked]:
        """A list page that could not be read ends the column's walk for this poll."""
        self._inc("list_errors")
        self.report_error(url, reason)
        walk.fail(reason)
        yield self._walked(walk, column, None)

    def _walked(self, walk: ColumnWalk, column: ResolvedColumn, engine: str | None) -> ColumnWalked:
        if walk.before_backfill:
            self._inc("skipped_before_backfill", walk.before_backfill)
        error = walk.error
        if error is None and not walk.saw_items:
            error = "栏目为空 / the column lists no items"
        mark = walk.advance()
        if column.column_id is not None:
            self.walked[column.column_id] = mark
        return ColumnWalked(
            column=column.wanted,
            column_id=column.column_id,
            name=column.name,
            engine=engine,
            items_listed=walk.listed,
            list_total=walk.total,
            mark=mark,
            error=error,
        )

    # ---- deciding what to fetch --------------------------------------------------------
    def _follow_items(self, items: list[ListItem], column: ResolvedColumn) -> Iterator[Any]:
        """Requests for the list items worth fetching; first-time ones are listed first."""
        keys = {item.url: canonical_url(item.url) for item in items}
        seen = state_of(self.crawler).pages.get_many(keys.values())
        now = datetime.now(tz=CHINA_TZ)
        fetch: list[tuple[ListItem, SeenPage | None]] = []
        for item in items:
            host = (urlsplit(item.url).hostname or "").lower()
            if host not in self.allowed_hosts:
                self._inc("skipped_offsite")
                continue
            if keys[item.url] in self.requested:
                continue
            self.requested.add(keys[item.url])
            row = seen.get(keys[item.url])
            if row is None or (row.outcome == "listed" and not row.published):
                fetch.append((item, row))
                continue
            if row.outcome == "failed" and not row.published:
                if row.retry_due(now):
                    fetch.append((item, row))
                continue
            listing_changed = row.list_title != item.title or row.list_date != _iso(item.date)
            recent = (
                self.cfg.revisit_days > 0
                and item.date is not None
                and now.date() - item.date <= timedelta(days=self.cfg.revisit_days)
            )
            if listing_changed or (recent and row.published):
                fetch.append((item, row))
        first_time = [(i.url, i.title, _iso(i.date)) for i, row in fetch if row is None]
        if first_time:
            yield ArticlesListed(column.column_id, first_time)
        for item, row in fetch:
            yield self._article_request(
                item.url, item.title, _iso(item.date), column.column_id, column.name, row
            )

    def _article_request(
        self,
        url: str,
        list_title: str | None,
        list_date: str | None,
        column_id: str | None,
        column_name: str | None,
        row: SeenPage | None,
    ) -> Request:
        self.articles_pending += 1
        headers: dict[str, str] = {}
        if row is not None and row.published and row.http_status in (200, 304):
            if row.etag:
                headers["If-None-Match"] = row.etag
            if row.last_modified:
                headers["If-Modified-Since"] = row.last_modified
        return Request(
            url,
            headers=headers,
            callback=self.parse_article,
            errback=self.on_article_error,
            dont_filter=True,
            meta={
                "handle_httpstatus_list": ARTICLE_STATUSES,
                "list_title": list_title,
                "list_date": list_date,
                "column_id": column_id,
                "column_name": column_name,
            },
        )

    # ---- articles ----------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[ArticlePage | PageOutcome]:
        self._inc("article_responses")
        self.articles_pending -= 1
        meta = response.meta
        url = _listed_url(response.request) if response.request else response.url

        def outcome(verdict: Any, note: str | None = None, **extra: Any) -> PageOutcome:
            return PageOutcome(
                url=url,
                article_id=article_id_for(url),
                verdict=verdict,
                http_status=response.status,
                note=note,
                list_title=meta.get("list_title"),
                list_date=meta.get("list_date"),
                column_id=meta.get("column_id"),
                etag=_header(response, "ETag"),
                last_modified=_header(response, "Last-Modified"),
                **extra,
            )

        if response.status == 304:
            yield outcome("unchanged")
            return
        if 400 <= response.status < 500:
            self.report_error(url, f"HTTP {response.status}; not retried")
            yield outcome("gone", f"HTTP {response.status}")
            return
        if response.status >= 500:
            # Scrapy's retries (with backoff) are exhausted; a later poll tries again.
            self.report_error(url, f"HTTP {response.status} after retries")
            yield outcome("failed", f"HTTP {response.status}")
            return
        body = response.body
        html_sha256 = hashlib.sha256(body).hexdigest()
        try:
            parsed = parse_article(body, response.url, _charset(response))
        except (ArticleParseError, RecursionError) as exc:
            reason = (
                f"unparsable article: {exc}"
                if isinstance(exc, ArticleParseError)
                else ("unparsable article: nesting too deep (RecursionError)")
            )
            self._inc("parse_errors")
            self.report_error(url, reason)
            yield outcome("error", reason, html_sha256=html_sha256)
            return
        yield ArticlePage(
            url=response.url,
            article_id=article_id_for(response.url),
            status=response.status,
            reason=http.HTTPStatus(response.status).phrase,
            response_headers=_header_pairs(response.headers),
            request_headers=_header_pairs(response.request.headers) if response.request else [],
            body=body,
            html_sha256=html_sha256,
            text_sha256=text_hash(parsed.title, parsed.text),
            fetched_at=datetime.now(CHINA_TZ),
            parsed=parsed,
            list_title=meta.get("list_title"),
            list_date=meta.get("list_date"),
            column_id=meta.get("column_id"),
            column_name=meta.get("column_name"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            listed_url=url if url != response.url else None,
        )

    def on_article_error(self, failure: Failure) -> Iterator[PageOutcome]:
        self.articles_pending -= 1
        request = getattr(failure, "request", None)
        if request is None:
            self.report_error("?", _failure_text(failure))
            return
        text = _failure_text(failure)
        if failure.check(IgnoreRequest) and "robots" in text.lower():
            self._inc("skipped_robots")
            self.logger.info("not fetched (robots.txt): %s", request.url)
            return
        meta = request.meta
        verdict: Any = "failed"  # timeouts, refused connections: a later poll tries again
        if "max size" in text or "DOWNLOAD_MAXSIZE" in text:
            self._inc("oversize")
            verdict, text = "error", f"oversize, not published: {text}"
        elif "max redirections" in text:
            verdict, text = "error", f"redirect loop: {text}"
        elif failure.check(IgnoreRequest):
            verdict = "error"
        listed = _listed_url(request)
        self.report_error(listed, text if listed == request.url else f"{text} (at {request.url})")
        yield PageOutcome(
            url=listed,
            article_id=article_id_for(listed),
            verdict=verdict,
            note=text,
            list_title=meta.get("list_title"),
            list_date=meta.get("list_date"),
            column_id=meta.get("column_id"),
        )


def _listed_url(request: Request) -> str:
    """The address the list gave, before any redirect."""
    return str((request.meta.get("redirect_urls") or [request.url])[0])


def _failure_text(failure: Failure) -> str:
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status} after retries"
    kind = failure.type.__name__ if failure.type else "error"
    return f"{kind}: {failure.getErrorMessage()}"


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
