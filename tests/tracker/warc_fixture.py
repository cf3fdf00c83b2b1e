"""Write WARC files the way the crawler's WarcArchivePipeline does (a response record
with the page as served, WARC-Luqiao-Article-Id and WARC-Luqiao-Html-Sha256, and its
request record), from the HTML fixtures under tests/data/tracker/archive/."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from services.events import article_id_for

ARCHIVE_PAGES = Path(__file__).parents[1] / "data" / "tracker" / "archive"


def page_bytes(name: str) -> bytes:
    return (ARCHIVE_PAGES / name).read_bytes()


def html_sha256(name: str) -> str:
    return hashlib.sha256(page_bytes(name)).hexdigest()


def write_warc(path: Path, pages: dict[str, str], captured: str = "2025-05-20T02:10:00Z") -> None:
    """`pages`: URL -> fixture file name. One gzipped WARC file, like one crawl."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, name in pages.items():
            body = page_bytes(name)
            headers = [("Content-Type", "text/html; charset=utf-8"),
                       ("Content-Length", str(len(body)))]  # fmt: skip
            response = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=StatusAndHeaders("200 OK", headers, "HTTP/1.1"),
                warc_headers_dict={
                    "WARC-Date": captured,
                    "WARC-Luqiao-Article-Id": article_id_for(url),
                    "WARC-Luqiao-Html-Sha256": hashlib.sha256(body).hexdigest(),
                },
            )
            request = writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(
                    "GET / HTTP/1.1", [("User-Agent", "luqiao-monitor/test")], is_http_request=True
                ),
            )
            writer.write_record(response)
            writer.write_record(request)
