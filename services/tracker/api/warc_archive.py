"""Archived copies of evidence pages, read from the crawler's WARC files.

The crawler (services/crawler/pipelines.py, WarcArchivePipeline) writes every page
it publishes as a WARC response record with the page as served, the headers
``WARC-Target-URI``, ``WARC-Date``, ``WARC-Luqiao-Article-Id`` and
``WARC-Luqiao-Html-Sha256`` (sha256 of the body). This module finds a page's
records by URL or article id, through an index built lazily on the first lookup
and extended when a file is added or grows, and turns the stored HTML into a
copy that is safe to show: no scripts, no event handlers, no frames, no forms,
no external loads. The web page also serves it sandboxed (see `api.routes.pages`), so
archived HTML never runs in the product's origin.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import html as lxml_html
from lxml_html_clean import Cleaner
from warcio.archiveiterator import ArchiveIterator

from services.events import canonical_url


@dataclass(frozen=True)
class ArchivedCopy:
    url: str
    captured_at: datetime
    html_sha256: str  # as the crawler recorded it
    article_id: str | None
    warc_file: Path
    offset: int
    http_status: str
    content_type: str


@dataclass(frozen=True)
class _FileState:
    size: int
    mtime_ns: int


class WarcIndex:
    """URL → archived copies, over every *.warc.gz / *.warc file of a directory.

    Built on the first lookup, not at start (the archive can be large and most
    requests never need it); a file that is new or changed since is read again on
    the next lookup, so copies written by a running crawler show up.
    """

    def __init__(self, warc_dir: Path) -> None:
        self.warc_dir = warc_dir
        self._lock = threading.Lock()
        self._files: dict[Path, _FileState] = {}
        self._by_file: dict[Path, list[ArchivedCopy]] = {}

    def _refresh(self) -> None:
        if not self.warc_dir.is_dir():
            self._files.clear()
            self._by_file.clear()
            return
        present = sorted(
            p for p in self.warc_dir.iterdir() if p.name.endswith((".warc.gz", ".warc"))
        )
        for gone in set(self._files) - set(present):
            self._files.pop(gone)
            self._by_file.pop(gone, None)
        for path in present:
            stat = path.stat()
            state = _FileState(stat.st_size, stat.st_mtime_ns)
            if self._files.get(path) != state:
                self._by_file[path] = list(_read_index(path))
                self._files[path] = state

    def copies(self) -> list[ArchivedCopy]:
        with self._lock:
            self._refresh()
            return [c for copies in self._by_file.values() for c in copies]

    def find(
        self, *, url: str | None = None, article_id: str | None = None, html_sha256: str = ""
    ) -> ArchivedCopy | None:
        """The copy of exactly this revision when the hash is known and archived,
        else the newest copy of the page."""
        key = canonical_url(url) if url else None
        matching = [
            c
            for c in self.copies()
            if (key is not None and canonical_url(c.url) == key)
            or (article_id is not None and c.article_id == article_id)
        ]
        if not matching:
            return None
        exact = [c for c in matching if html_sha256 and c.html_sha256 == html_sha256]
        return max(exact or matching, key=lambda c: c.captured_at)


def _read_index(path: Path) -> list[ArchivedCopy]:
    found: list[ArchivedCopy] = []
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            if record.rec_type != "response":
                continue
            headers = record.rec_headers
            http = record.http_headers
            found.append(
                ArchivedCopy(
                    url=headers.get_header("WARC-Target-URI") or "",
                    captured_at=datetime.fromisoformat(
                        (headers.get_header("WARC-Date") or "").replace("Z", "+00:00")
                    ),
                    html_sha256=headers.get_header("WARC-Luqiao-Html-Sha256") or "",
                    article_id=headers.get_header("WARC-Luqiao-Article-Id"),
                    warc_file=path,
                    offset=records.get_record_offset(),
                    http_status=http.get_statuscode() if http else "",
                    content_type=(http.get_header("Content-Type") if http else None) or "",
                )
            )
    return found


def read_body(copy: ArchivedCopy) -> bytes:
    """The page's bytes as served (the crawler stores them decompressed)."""
    with copy.warc_file.open("rb") as stream:
        stream.seek(copy.offset)
        record = next(iter(ArchiveIterator(stream)))
        return bytes(record.content_stream().read())


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def decode_page(body: bytes, content_type: str) -> str:
    """HTTP charset first, then the page's <meta charset>, then UTF-8 (the site's);
    undecodable bytes are replaced, never fatal."""
    candidates = []
    if "charset=" in content_type.lower():
        candidates.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip())
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    candidates.append("utf-8")
    for charset in candidates:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", "replace")


_CLEANER = Cleaner(
    scripts=True,
    javascript=True,
    comments=True,
    style=False,
    inline_style=False,
    links=True,
    meta=True,
    page_structure=False,
    processing_instructions=True,
    embedded=True,
    frames=True,
    forms=True,
    annoying_tags=True,
    remove_unknown_tags=False,
    safe_attrs_only=True,
)


def sanitised_html(body: bytes, content_type: str = "") -> str:
    """The archived page without anything that runs or loads: scripts, event
    handlers, javascript: links, frames, objects, forms and <link>/<meta> are gone."""
    text = decode_page(body, content_type)
    if not text.strip():
        return ""
    document = lxml_html.document_fromstring(text)
    cleaned = _CLEANER.clean_html(document)
    return str(lxml_html.tostring(cleaned, encoding="unicode", method="html"))


def page_text(body: bytes, content_type: str = "") -> str:
    """The page's visible text, for readers who prefer it to the framed copy."""
    text = decode_page(body, content_type)
    if not text.strip():
        return ""
    document = _CLEANER.clean_html(lxml_html.document_fromstring(text))
    lines = (line.strip() for line in document.text_content().splitlines())
    return "\n".join(line for line in lines if line)
