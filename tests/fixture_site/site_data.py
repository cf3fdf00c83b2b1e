"""Load a fixture site's data files and render its pages the way the real portal does.

The data directory holds ``site.json`` (columns, list engines, injected faults),
``robots.txt``, ``templates/*.html`` and ``articles/*.txt`` (header lines, ``---``,
then paragraphs separated by blank lines). The portal's page templates live once, in
``tests/data/site/templates``; a site's own ``templates/`` adds to or replaces them. Keeping the articles as files lets
tests and the benchmark share one realistic site without long strings in code.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORIGIN_MARK = "{{ORIGIN}}"
MIRROR_MARK = "{{MIRROR_ORIGIN}}"
# The portal's page templates, shared by every fixture site (tests/data/site*/).
SHARED_TEMPLATES = Path(__file__).parents[1] / "data" / "site" / "templates"


@dataclass
class Article:
    """One article page of the fixture site; mutable so a test can edit it between runs."""

    path: str
    title: str
    pubdate: str
    source: str
    template: str
    paragraphs: list[str]
    column: str | None = None
    column_name: str | None = None
    encoding: str = "utf-8"
    keywords: str = ""
    description: str = ""
    on_mirror: bool = False
    listed: bool = True
    attachments: list[tuple[str, str]] = field(default_factory=list)
    revision: int = 0

    @property
    def date(self) -> str:
        return self.pubdate[:10]


@dataclass(frozen=True)
class ListItem:
    href: str
    title: str
    date: str


@dataclass
class Column:
    id: str
    name: str
    engine: str
    config: dict[str, Any]


def _parse_article(text: str) -> Article:
    head, _, body = text.partition("\n---\n")
    fields: dict[str, Any] = {"attachments": []}
    for line in head.splitlines():
        if not line.strip():
            continue
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "attachment":
            href, _, name = value.partition("|")
            fields["attachments"].append((href.strip(), name.strip()))
        else:
            fields[key] = value
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    return Article(
        path=fields["path"],
        title=fields["title"],
        pubdate=fields["pubdate"],
        source=fields.get("source", ""),
        template=fields.get("template", "zoom"),
        paragraphs=paragraphs,
        column=fields.get("column"),
        column_name=fields.get("column_name"),
        encoding=fields.get("encoding", "utf-8"),
        keywords=fields.get("keywords", ""),
        description=fields.get("description", ""),
        on_mirror=fields.get("host") == "mirror",
        listed=fields.get("list", "yes") != "none",
        attachments=fields["attachments"],
    )


class SiteData:
    """Everything the fixture server serves, loaded once from a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.config: dict[str, Any] = json.loads((self.data_dir / "site.json").read_text("utf-8"))
        self.site_name: str = self.config["site_name"]
        self.web_id: str = self.config.get("web_id", "3379")
        self.web_name: str = self.config.get("web_name", self.site_name)
        self.columns: dict[str, Column] = {
            c["id"]: Column(id=c["id"], name=c["name"], engine=c["engine"], config=c)
            for c in self.config["columns"]
        }
        robots = self.data_dir / "robots.txt"
        self.robots_txt = robots.read_text("utf-8") if robots.exists() else None
        self.templates = {
            p.stem.removeprefix("article_"): p.read_text("utf-8")
            for folder in (SHARED_TEMPLATES, self.data_dir / "templates")
            for p in sorted(folder.glob("*.html"))
        }
        self.articles: dict[str, Article] = {}
        for path in sorted((self.data_dir / "articles").glob("*.txt")):
            article = _parse_article(path.read_text("utf-8"))
            self.articles[article.path] = article
        self.files_dir = self.data_dir / "files"
        self.fail_once: set[str] = set(self.config.get("fail_once", []))
        self.slow: dict[str, float] = dict(self.config.get("slow", {}))
        # Hostile answers served as described (a file as is, a generated body, a redirect).
        self.raw_pages: dict[str, dict[str, Any]] = dict(self.config.get("raw_pages", {}))
        # Set by the server once it knows its port; list hrefs may use the marks.
        self.origin = ""
        self.mirror_origin = ""

    # ---- lists -------------------------------------------------------------------------
    def list_items(self, column_id: str) -> list[ListItem]:
        """Newest first, as the portal lists them; extra items are links without a page here."""
        items = [
            ListItem(href=a.path, title=a.title, date=a.date)
            for a in self.articles.values()
            if a.listed and a.column == column_id
        ]
        items += [
            ListItem(href=x["href"], title=x["title"], date=x["date"])
            for x in self.config.get("extra_list_items", [])
            if x["column"] == column_id
        ]
        return sorted(items, key=lambda i: (i.date, i.href), reverse=True)

    def _li(self, item: ListItem) -> str:
        title = html.escape(item.title)
        href = item.href.replace(MIRROR_MARK, self.mirror_origin).replace(ORIGIN_MARK, self.origin)
        return (
            f'<li class="clearfix"><a href="{html.escape(href)}" title="{title}" '
            f'target="_blank">{title}</a><span>{item.date}</span></li>'
        )

    def _query_data(self, column: Column) -> tuple[dict[str, Any], str]:
        data: dict[str, Any] = {
            "webId": self.web_id,
            "pageId": column.id,
            "tagId": "信息列表",
            "tplSetId": "5c7a1d2e3f",
            "parseType": "bulidstatic",
            "pageType": "column",
            "editType": "null",
        }
        if column.config.get("quote") == "single":
            body = ",".join(f"'{k}':'{v}'" for k, v in data.items())
            return data, "{" + body + "}"
        page_size = column.config.get("page_size", 15)
        data["paramJson"] = json.dumps({"pageNo": 1, "pageSize": page_size})
        return data, html.escape(json.dumps(data, ensure_ascii=False), quote=True)

    def column_page(self, column_id: str) -> str | None:
        column = self.columns.get(column_id)
        if column is None:
            return None
        common = {
            "column_name": column.name,
            "site_name": self.site_name,
            "unit_id": f"div{column.id[-4:]}",
        }
        if column.engine == "jpaas":
            _, attr = self._query_data(column)
            return self._fill(self.templates["column_jpaas"], {**common, "query_data": attr})
        items = self.list_items(column_id)
        inline = column.config.get("inline_records", 15)
        href = (
            f"{column.config.get('dataproxy', '/module/jpage/dataproxy.jsp')}?page=1&appid=1"
            f"&webid={self.web_id}&path=/&columnid={column.id}&unitid={common['unit_id'][3:]}"
            f"&webname={self.web_name}&permissiontype=0"
        )
        return self._fill(
            self.templates["column_jpage"],
            {
                **common,
                "dataproxy_href": href,  # raw inside CDATA, as the portal emits it
                "records": self._records(items[:inline]),
                "per_page": str(inline),
                "total_record": str(len(items)),
            },
        )

    def _records(self, items: list[ListItem]) -> str:
        return "".join(f"<record><![CDATA[{self._li(i)}]]></record>" for i in items)

    def jpaas_page(self, column_id: str, page_no: int, page_size: int) -> dict[str, Any]:
        if column_id not in self.columns:
            return {"success": False, "message": "unknown pageId", "data": None}
        items = self.list_items(column_id)
        start = (page_no - 1) * page_size
        lis = "".join(self._li(i) for i in items[start : start + page_size])
        fragment = (
            f'<ul class="news-list">{lis}</ul>'
            f'<div class="pagination" rows="{page_size}" count="{len(items)}"></div>'
        )
        return {"success": True, "code": 200, "data": {"html": fragment}}

    def jpage_records(self, column_id: str, start: int, end: int, perpage: int) -> str | None:
        if column_id not in self.columns:
            return None
        items = self.list_items(column_id)
        chosen = items[max(start - 1, 0) : end]
        total_page = math.ceil(len(items) / perpage) if perpage else 1
        return (
            '<?xml version="1.0" encoding="UTF-8"?><datastore>'
            f"<nextgroup><![CDATA[]]></nextgroup><recordset>{self._records(chosen)}</recordset>"
            f"<totalrecord>{len(items)}</totalrecord><totalpage>{total_page}</totalpage>"
            "</datastore>"
        )

    def raw_body(self, spec: dict[str, Any]) -> bytes:
        """The body of a raw page: a data file as is, or a generated one (too big to keep)."""
        if "file" in spec:
            return (self.files_dir / spec["file"]).read_bytes()
        if spec.get("generate") == "one_text_node":
            head = (
                '<html><head><meta name="ArticleTitle" content="一个超大的文本节点">'
                '<meta name="PubDate" content="2025-05-02 09:00"></head><body><div id="zoom"><p>'
            ).encode()
            return head + b"x" * int(spec["bytes"]) + b"</p></div></body></html>"
        return b""

    def home_page(self) -> str | None:
        """The home page: its navigation links every column (and a few the crawler skips)."""
        template = self.templates.get("home")
        if template is None:
            return None
        entries = [(c.id, c.name) for c in self.columns.values()]
        entries += [(x["id"], x["name"]) for x in self.config.get("navigation_extra", [])]
        links = "\n".join(
            f'    <li><a href="/col/col{cid}/index.html" target="_self">{html.escape(name)}</a></li>'
            for cid, name in entries
        )
        return self._fill(template, {"site_name": self.site_name, "nav_links": links})

    # ---- articles ----------------------------------------------------------------------
    def article_page(self, article: Article, origin: str) -> bytes:
        paragraphs = [html.escape(p) for p in article.paragraphs]
        attachments = "".join(
            f'<p class="attach">附件：<a href="{html.escape(href)}">{html.escape(name)}</a></p>'
            for href, name in article.attachments
        )
        column_name = article.column_name or (
            self.columns[article.column].name if article.column in self.columns else ""
        )
        values = {
            "title": html.escape(article.title),
            "pubdate": article.pubdate,
            "source": html.escape(article.source),
            "column_name": html.escape(column_name),
            "site_name": html.escape(self.site_name),
            "keywords": html.escape(article.keywords),
            "description": html.escape(article.description),
            "url": f"{origin}{article.path}",
            "paragraphs_p": "\n".join(f"<p>{p}</p>" for p in paragraphs),
            "paragraphs_indent": "\n".join(
                f'<p style="text-indent:2em;">\u3000\u3000{p}</p>' for p in paragraphs
            ),
            "paragraphs_br": "<br/>\n".join(f"\u3000\u3000{p}" for p in paragraphs),
            "attachments_block": f'<div class="attachments">{attachments}</div>'
            if attachments
            else "",
        }
        page = self._fill(self.templates[article.template], values)
        return page.encode(article.encoding)

    @staticmethod
    def _fill(template: str, values: dict[str, str]) -> str:
        for key, value in values.items():
            template = template.replace("{{" + key + "}}", value)
        return template
