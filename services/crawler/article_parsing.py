"""Turn an article page's raw bytes into the fields of an ArticleFetched event.

Pure (bytes in, dataclass out) so it can be tested and benchmarked without a
crawl. The order of trust follows what the portal guarantees: the standard
meta tags government sites must carry come first, the known body containers of
the province's templates next, and a generic main-text extractor (trafilatura)
last, for templates nobody has seen yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml.html import HtmlElement
from w3lib.encoding import html_body_declared_encoding

from services.events import CHINA_TZ

BODY_SELECTORS = (
    "#zoom",
    ".wzzw-article",
    ".TRS_Editor",
    "#ivs_content",
    ".article-content",
    ".main-txt",
)
ATTACHMENT_EXTENSIONS = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".wps",
    ".et",
    ".ofd",
    ".zip",
    ".rar",
)
# Elements inside a body container that are page chrome, not article text.
NOISE_PATTERN = re.compile(
    r"share|bdshare|print|close|fontsize|zihao|toolbar|tools|related|pagination|qrcode",
    re.IGNORECASE,
)
# Whole paragraphs that are template boilerplate ("【打印本页】", "分享到：").
BOILERPLATE_LINE = re.compile(
    r"^(【?(打印本页|打印|关闭窗口|关闭)】?\s*)+$|^分享到[:：]|^字号[:：]|^扫一扫"
)
BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "pre",
    "ul",
    "ol",
}
DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})[:：时](\d{2})(?::(\d{2}))?)?"),
)
PAGE_DATE_LABEL = re.compile(r"(?:发布(?:日期|时间)|时间|日期)[:：]\s*([0-9][0-9年月日:：/\- ]+)")
PAGE_SOURCE_LABEL = re.compile(r"(?:信息)?来源[:：]\s*([^\s　|]+)")
URL_DATE = re.compile(r"/art/(\d{4})/(\d{1,2})/(\d{1,2})/")
TITLE_SUFFIX = re.compile(r"\s*[_|\-–]\s*[^_|\-–]*(政府|门户|网站|路桥|新闻|动态|公告).*$")
WHITESPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u2002\u2003\u200b]+")


class ArticleParseError(ValueError):
    """The page is not an article we can use (no title, date or text)."""


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    published_at: datetime
    text: str
    source: str | None = None
    column: str | None = None
    site_name: str | None = None
    keywords: list[str] = field(default_factory=list)
    description: str | None = None
    attachments: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    body_from: str = ""  # which selector (or "trafilatura") gave the text


# ---- decoding ----------------------------------------------------------------------------
def _normalise_encoding(name: str) -> str:
    name = name.strip().lower().replace("_", "-")
    if name in {"gbk", "gb2312", "gb-2312", "x-gbk", "cp936", "gb18030"}:
        return "gb18030"  # superset: a page labelled gb2312 often holds GBK-only characters
    if name in {"utf8", "utf-8"}:
        return "utf-8"
    return name


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Text and the encoding used: BOM, HTTP charset, <meta charset>, UTF-8, then GB18030.

    Older pages say GBK only in a meta tag or not at all; a strict UTF-8 attempt
    tells the two apart, because GBK text is almost never valid UTF-8.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    for declared in (header_charset, html_body_declared_encoding(body)):
        if not declared:
            continue
        encoding = _normalise_encoding(declared)
        try:
            return body.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("gb18030", "replace"), "gb18030"


# ---- small field parsers -----------------------------------------------------------------
def parse_china_datetime(value: str) -> datetime | None:
    """'2025-03-14 09:30', '2025-03-14 09:30:00', '2025/3/14', '2025年3月14日' -> +08:00."""
    for pattern in DATE_PATTERNS:
        match = pattern.search(value)
        if match:
            year, month, day, hour, minute, second = match.groups()
            try:
                return datetime(
                    int(year),
                    int(month),
                    int(day),
                    int(hour or 0),
                    int(minute or 0),
                    int(second or 0),
                    tzinfo=CHINA_TZ,
                )
            except ValueError:
                return None
    return None


def clean_line(value: str) -> str:
    return WHITESPACE.sub(" ", value).strip()


def _meta(doc: HtmlElement, name: str) -> str | None:
    for element in doc.xpath(
        "//meta[translate(@name,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')=$n]",
        n=name.lower(),
    ):
        content = clean_line(element.get("content") or "")
        if content:
            return content
    return None


# ---- body text ---------------------------------------------------------------------------
def _drop_noise(container: HtmlElement) -> None:
    for element in list(container.iter("script", "style", "noscript", "iframe", "form")):
        element.drop_tree()
    for element in list(container.iter()):
        if not isinstance(element.tag, str) or element is container:
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if NOISE_PATTERN.search(marker) and element.getparent() is not None:
            element.drop_tree()


def _paragraphs(container: HtmlElement) -> list[str]:
    """Text split at block elements and <br>, so paragraph breaks survive."""
    chunks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = clean_line("".join(current))
        current.clear()
        if line and not BOILERPLATE_LINE.search(line):
            chunks.append(line)

    def walk(element: HtmlElement) -> None:
        block = isinstance(element.tag, str) and element.tag.lower() in BLOCK_TAGS
        if block:
            flush()
        if isinstance(element.tag, str) and element.text:
            current.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            flush()

    walk(container)
    flush()
    return chunks


def _container_text(doc: HtmlElement) -> tuple[str, str] | None:
    for selector in BODY_SELECTORS:
        found = doc.cssselect(selector)
        if not found:
            continue
        container = found[0]
        _drop_noise(container)
        text = "\n".join(_paragraphs(container))
        if text:
            return text, selector
    return None


def _trafilatura_text(html_text: str) -> str | None:
    import trafilatura  # imported late: slow to import, and only needed for unknown templates

    text = trafilatura.extract(
        html_text, include_comments=False, include_tables=True, favor_precision=True
    )
    if not text:
        return None
    lines = [clean_line(line) for line in text.splitlines()]
    return "\n".join(line for line in lines if line and not BOILERPLATE_LINE.search(line))


# ---- the other fields --------------------------------------------------------------------
def _title(doc: HtmlElement) -> str | None:
    meta = _meta(doc, "ArticleTitle") or _meta(doc, "og:title")
    if meta:
        return meta
    for heading in doc.xpath("//h1|//h2"):
        text = clean_line(heading.text_content())
        if text:
            return text
    raw = clean_line(doc.findtext(".//title") or "")
    return TITLE_SUFFIX.sub("", raw) or None


def _published_at(doc: HtmlElement, url: str) -> datetime | None:
    for name in ("PubDate", "publishdate", "article:published_time"):
        value = _meta(doc, name)
        parsed = parse_china_datetime(value) if value else None
        if parsed:
            return parsed
    page_text = clean_line(doc.text_content())
    label = PAGE_DATE_LABEL.search(page_text)
    if label:
        parsed = parse_china_datetime(label.group(1))
        if parsed:
            return parsed
    match = URL_DATE.search(urlsplit(url).path)
    if match:
        return parse_china_datetime("-".join(match.groups()))
    return None


def _source(doc: HtmlElement) -> str | None:
    meta = _meta(doc, "ContentSource")
    if meta:
        return meta
    match = PAGE_SOURCE_LABEL.search(clean_line(doc.text_content()))
    return match.group(1) if match else None


def is_attachment_link(href: str) -> bool:
    parts = urlsplit(href)
    candidates = [parts.path.lower()]
    candidates += [v.lower() for v in re.findall(r"(?:filename|file|name)=([^&]+)", parts.query)]
    return any(c.endswith(ATTACHMENT_EXTENSIONS) for c in candidates)


def _attachments(doc: HtmlElement, url: str) -> list[str]:
    found: list[str] = []
    for link in doc.xpath("//a[@href]"):
        href = (link.get("href") or "").strip()
        if href and not href.lower().startswith(("javascript:", "mailto:")):
            absolute = urljoin(url, href)
            if is_attachment_link(absolute) and absolute not in found:
                found.append(absolute)
    return found


def _refuse_cut_parse(parser: lxml.html.HTMLParser) -> None:
    """libxml2 stops at its resource limits (a text node over 10 MB, nesting deeper than
    256) and returns what it read so far: that would publish a truncated article."""
    for error in parser.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT" or "XML_PARSE_HUGE" in error.message:
            raise ArticleParseError(f"page beyond the parser's limits: {error.message.strip()}")


def parse_article(body: bytes, url: str, header_charset: str | None = None) -> ParsedArticle:
    """All fields of one article page; raises ArticleParseError when the page is unusable."""
    html_text, encoding = decode_html(body, header_charset)
    if not html_text.strip():
        raise ArticleParseError("empty page")
    if "\x00" in html_text[:4096]:
        raise ArticleParseError("binary body, not an HTML page")
    parser = lxml.html.HTMLParser()
    try:
        doc = lxml.html.document_fromstring(html_text, parser=parser)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ArticleParseError(f"not HTML: {exc}") from exc
    _refuse_cut_parse(parser)
    title = _title(doc)
    if not title:
        raise ArticleParseError("no title")
    published_at = _published_at(doc, url)
    if published_at is None:
        raise ArticleParseError("no publication date")
    attachments = _attachments(doc, url)
    source = _source(doc)  # before the body container is cleaned in place
    keywords_meta = _meta(doc, "Keywords") or ""
    found = _container_text(doc)
    if found is None:
        text = _trafilatura_text(html_text)
        body_from = "trafilatura"
    else:
        text, body_from = found
    if text and text.split("\n", 1)[0] == title:
        text = text.partition("\n")[2]  # generic extractors keep the headline
    if not text:
        raise ArticleParseError("no body text")
    return ParsedArticle(
        title=title,
        published_at=published_at,
        text=text,
        source=source,
        column=_meta(doc, "ColumnName"),
        site_name=_meta(doc, "SiteName"),
        keywords=[k for k in re.split(r"[,，;；\s]+", keywords_meta) if k],
        description=_meta(doc, "Description"),
        attachments=attachments,
        encoding=encoding,
        body_from=body_from,
    )
