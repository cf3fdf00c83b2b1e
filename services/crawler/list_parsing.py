"""Read the portal's two list engines: jpaas (JSON API) and jpage (XML datastore).

Pure functions from page text to list items and paging facts; the spider
decides what to request. See docs in ``/work/shared/docs/target-site.md``.
"""

from __future__ import annotations

import ast
import html
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.html

JPAAS_DEFAULT_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
LIST_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL)
NEXTGROUP = re.compile(r"<nextgroup>(.*?)</nextgroup>", re.DOTALL)
TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
DATASTORE = re.compile(r"<datastore>.*?</datastore>", re.DOTALL)
# The column page hands the total to the jpage script: jpage({... totalRecord: 123})
TOTAL_RECORD_JS = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)")


@dataclass(frozen=True)
class ListItem:
    url: str
    title: str
    date: date | None


@dataclass(frozen=True)
class JpaasUnit:
    api_url: str
    query: dict[str, str]
    page_size: int | None


@dataclass(frozen=True)
class JpageStore:
    proxy_url: str
    form: dict[str, str]
    items: list[ListItem]
    total_record: int | None


@dataclass(frozen=True)
class JpaasPage:
    items: list[ListItem]
    rows: int | None
    count: int | None

    def total_pages(self) -> int | None:
        if not self.rows or self.count is None:
            return None
        return math.ceil(self.count / self.rows)


def _parse_loose_json(raw: str) -> dict[str, Any]:
    """queryData is JSON in some templates and a single-quoted dict literal in others."""
    text = html.unescape(raw).strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = ast.literal_eval(text)
    if not isinstance(value, dict):
        raise ValueError("queryData is not an object")
    return value


def list_items(fragment: str, base_url: str) -> list[ListItem]:
    """Every <li> with a link in a list fragment, in page order (newest first)."""
    if not fragment.strip():
        return []
    doc = lxml.html.fragment_fromstring(fragment, create_parent="div")
    items: list[ListItem] = []
    for li in doc.iter("li"):
        links = li.xpath(".//a[@href]")
        if not links:
            continue
        link = links[0]
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#")):
            continue
        title = (link.get("title") or link.text_content()).strip()
        match = LIST_DATE.search(li.text_content())
        when = None
        if match:
            try:
                when = date(*(int(g) for g in match.groups()))
            except ValueError:
                when = None
        items.append(ListItem(url=urljoin(base_url, href), title=title, date=when))
    return items


def column_name(page_html: str) -> str | None:
    """The column's name from its page: the ColumnName meta tag, else the title's first part."""
    doc = lxml.html.document_fromstring(page_html)
    for meta in doc.xpath("//meta[@name='ColumnName' or @name='columnname']"):
        name = (meta.get("content") or "").strip()
        if name:
            return name
    title = (doc.findtext(".//title") or "").strip()
    return re.split(r"[_|\-]", title)[0].strip() or None


def find_jpaas_unit(page_html: str, base_url: str) -> JpaasUnit | None:
    doc = lxml.html.document_fromstring(page_html)
    for element in doc.xpath("//*[@querydata]"):
        query = _parse_loose_json(element.get("querydata") or "{}")
        api = urljoin(base_url, element.get("url") or JPAAS_DEFAULT_API)
        page_size = None
        param = query.pop("paramJson", None)
        if param:
            params = param if isinstance(param, dict) else _parse_loose_json(str(param))
            page_size = int(params.get("pageSize") or 0) or None
        return JpaasUnit(
            api_url=api, query={k: str(v) for k, v in query.items()}, page_size=page_size
        )
    return None


def parse_jpaas_answer(body: str, base_url: str) -> JpaasPage:
    answer = json.loads(body)
    if not answer.get("success"):
        raise ValueError(f"jpaas answered success=false: {answer.get('message')!r}")
    fragment = (answer.get("data") or {}).get("html") or ""
    items = list_items(fragment, base_url)
    rows = count = None
    if fragment.strip():
        doc = lxml.html.fragment_fromstring(fragment, create_parent="div")
        for pager in doc.xpath("//*[contains(concat(' ', @class, ' '), ' pagination ')]"):
            rows = int(pager.get("rows") or 0) or None
            count = int(pager.get("count") or 0)
    return JpaasPage(items=items, rows=rows, count=count)


def find_jpage_store(page_html: str, base_url: str) -> JpageStore | None:
    """The inline datastore of a jpage column page: first records and the data proxy."""
    match = DATASTORE.search(page_html)
    if not match:
        return None
    store = match.group(0)
    nextgroup = NEXTGROUP.search(store)
    href_match = None
    if nextgroup:
        inner = CDATA.search(nextgroup.group(1))
        href_match = re.search(r'href="([^"]+)"', inner.group(1) if inner else nextgroup.group(1))
    if not href_match:
        return None
    proxy = urljoin(base_url, html.unescape(href_match.group(1)))
    parts = urlsplit(proxy)
    fields = dict(parse_qsl(parts.query, keep_blank_values=True))
    form = {
        "col": "1",
        "appid": fields.get("appid", "1"),
        "webid": fields.get("webid", ""),
        "path": fields.get("path", "/"),
        "columnid": fields.get("columnid", ""),
        "sourceContentType": "1",
        "unitid": fields.get("unitid", ""),
        "webname": fields.get("webname", ""),
        "permissiontype": fields.get("permissiontype", "0"),
    }
    total = TOTAL_RECORD.search(store) or TOTAL_RECORD_JS.search(page_html)
    return JpageStore(
        proxy_url=f"{parts.scheme}://{parts.netloc}{parts.path}",
        form=form,
        items=_records(store, base_url),
        total_record=int(total.group(1)) if total else None,
    )


def _records(store: str, base_url: str) -> list[ListItem]:
    items: list[ListItem] = []
    for record in RECORD.findall(store):
        items += list_items(record, base_url)
    return items


def parse_jpage_answer(body: str, base_url: str) -> tuple[list[ListItem], int | None]:
    """Records of a dataproxy answer and its total record count."""
    total = TOTAL_RECORD.search(body)
    return _records(body, base_url), int(total.group(1)) if total else None
