"""The item an article page becomes inside the crawl, before it is an ArticleFetched event.

It carries the raw response as well as the parsed fields, because the pipelines
need both: the WARC archive keeps the bytes exactly as served, the seen-store
and the event use the hashes and the parsed text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .article_parsing import ParsedArticle


@dataclass
class ArticlePage:
    url: str
    article_id: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]] = field(repr=False)
    request_headers: list[tuple[str, str]] = field(repr=False)
    body: bytes = field(repr=False)
    html_sha256: str
    text_sha256: str
    fetched_at: datetime
    parsed: ParsedArticle = field(repr=False)
    list_title: str | None = None
    list_date: str | None = None
    column_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # Set by the pipelines.
    is_update: bool = False
    warc_file: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
