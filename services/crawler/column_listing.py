"""``luqiao-monitor crawl --list-columns``: the site's columns as its navigation shows them.

For each column linked from the home page: its id, name, list engine (jpaas or
jpage) and how many items its list holds, so a user can pick the columns to
watch by name or id. A short interactive look, made with httpx (not a crawl),
but as polite as one: the crawler's User-Agent, robots.txt honoured, one request
at a time with the crawler's delay.
"""

from __future__ import annotations

import json
import time
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from .list_parsing import find_jpaas_unit, find_jpage_store, parse_jpaas_answer
from .navigation import navigation_columns
from .settings import CrawlerSettings


@dataclass(frozen=True)
class ColumnInfo:
    column_id: str
    name: str
    engine: str | None  # jpaas, jpage, or None when the column page has neither
    items: int | None
    error: str | None = None


class SiteReader:
    def __init__(self, settings: CrawlerSettings) -> None:
        self.site = settings.site_url.rstrip("/")
        self.delay = settings.download_delay
        self.page_size = settings.list_page_size
        self.client = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=settings.download_timeout,
            follow_redirects=True,
            max_redirects=5,
        )
        self.robots = urllib.robotparser.RobotFileParser()
        answer = self.client.get(f"{self.site}/robots.txt")
        self.robots.parse(answer.text.splitlines() if answer.status_code == 200 else [])
        self.user_agent = settings.user_agent

    def get(self, url: str) -> httpx.Response:
        if not self.robots.can_fetch(self.user_agent, url):
            raise PermissionError(f"robots.txt forbids {url}")
        time.sleep(self.delay)
        return self.client.get(url)

    def close(self) -> None:
        self.client.close()


def list_columns(settings: CrawlerSettings) -> list[ColumnInfo]:
    reader = SiteReader(settings)
    try:
        home = reader.get(f"{reader.site}/")
        home.raise_for_status()
        return [
            _describe(reader, c.column_id, c.name, c.url)
            for c in navigation_columns(home.text, str(home.url))
        ]
    finally:
        reader.close()


def _describe(reader: SiteReader, column_id: str, name: str, url: str) -> ColumnInfo:
    try:
        page = reader.get(url)
        if page.status_code != 200:
            return ColumnInfo(column_id, name, None, None, f"HTTP {page.status_code}")
        unit = find_jpaas_unit(page.text, str(page.url))
        if unit is not None:
            size = unit.page_size or reader.page_size
            param = json.dumps({"pageNo": 1, "pageSize": size}, separators=(",", ":"))
            answer = reader.get(f"{unit.api_url}?{urlencode({**unit.query, 'paramJson': param})}")
            listed = parse_jpaas_answer(answer.text, reader.site + "/")
            return ColumnInfo(column_id, name, "jpaas", listed.count)
        store = find_jpage_store(page.text, str(page.url))
        if store is not None:
            return ColumnInfo(column_id, name, "jpage", store.total_record)
        return ColumnInfo(column_id, name, None, None, "no jpaas unit or jpage datastore")
    except (httpx.HTTPError, ValueError, PermissionError) as exc:
        return ColumnInfo(column_id, name, None, None, str(exc))
