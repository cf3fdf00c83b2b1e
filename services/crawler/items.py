"""What the spider yields besides requests: an article page, a page's terminal outcome,
and a column's walk. The pipelines record and deliver them; the spider writes nothing.

``ArticlePage`` carries the raw response as well as the parsed fields, because the
pipelines need both: the WARC archive keeps the bytes exactly as served, the
seen-store and the event use the hashes and the parsed text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .article_parsing import ParsedArticle
from .paging import ColumnMark


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
    column_name: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # The address as listed, when the page was reached through redirects: the seen-store
    # keeps the page under it, so the list entry is recognised on the next poll.
    listed_url: str | None = None
    # Set by the pipelines.
    is_update: bool = False


PageVerdict = Literal["unchanged", "gone", "error", "failed"]


@dataclass
class PageOutcome:
    """An article request that ended without an article to publish.

    ``unchanged`` (304), ``gone`` (4xx), ``error`` (unusable: unparsable, oversize,
    not text; recorded, not retried unless its list entry changes) or ``failed``
    (5xx or a timeout after retries: tried again on later polls, then given up).
    """

    url: str
    article_id: str
    verdict: PageVerdict
    http_status: int | None = None
    note: str | None = None
    list_title: str | None = None
    list_date: str | None = None
    column_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    html_sha256: str | None = None


@dataclass
class ArticlesListed:
    """Articles a list page showed and this poll is about to fetch for the first time.

    Recorded before the column's mark can move past them, so a crash between the
    list and the article (or a killed crawl) leaves them as work for the next poll.
    """

    column_id: str | None
    # (address as listed, list title, list date)
    entries: Sequence[tuple[str, str | None, str | None]]


@dataclass
class ColumnWalked:
    """One column's list walk in this poll, and the mark it leaves."""

    column: str  # as configured (id or name)
    column_id: str | None
    name: str | None
    engine: str | None
    items_listed: int
    list_total: int | None
    mark: ColumnMark | None  # None: nothing to record (the column was not found)
    error: str | None = None
