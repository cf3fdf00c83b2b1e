"""A local copy of the district portal's shapes, served over real HTTP on 127.0.0.1.

The crawler cannot reach the real site from build machines, so tests and the
benchmark run it against this server. It reproduces both list engines, both
article address shapes, ETag/Last-Modified with 304 answers, robots.txt and
the faults a polite crawler must survive (a page that fails once with 500, a
slow page, a 404 item; for the fault suite, a ``Fault`` for a while: pages that
hang past the client's timeout or answer 5xx). It counts requests per path (and
the faults it injected) so a test can prove what the crawler did (and did not)
fetch, lets a test edit an article between runs, and publishes new articles
while it runs. The same server answers as ``localhost`` to stand in for an off-site
mirror host.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from .site_data import Article, SiteData

JPAAS_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
JPAGE_PROXIES = ("/module/jpage/dataproxy.jsp", "/module/web/jpage/dataproxy.jsp")
# Every article has a fixed "last modified" time until a test edits it.
BASE_MTIME = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (it timed out on a hanging page) is no error of the site."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def is_list_path(path: str) -> bool:
    """The home page, a column page or a list answer (either engine)."""
    column_page = path.startswith("/col/") and path.endswith("/index.html")
    return column_page or path in ("/", "/index.html", JPAAS_API, *JPAGE_PROXIES)


def is_article_path(path: str) -> bool:
    """An article page, under /art/ (a column's own article addresses included)."""
    return "/art/" in path


@dataclass(frozen=True)
class Fault:
    """A misbehaviour the site shows for a while, to the requests ``applies`` accepts:
    it hangs ``hang`` seconds (longer than the client waits) before answering
    ``status``, or answers ``status`` at once."""

    applies: Callable[[str], bool]
    status: int = 503
    hang: float = 0.0

    @property
    def kind(self) -> str:
        return "timeout" if self.hang else str(self.status)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int
    bytes_sent: int
    conditional: bool
    user_agent: str


class FixtureSite:
    """``with FixtureSite(data_dir) as site: site.url`` -> a running copy of the portal
    (or ``FixtureSite(GeneratedSiteData(...))``: a site's data already loaded)."""

    def __init__(self, data_dir: Path | str | SiteData) -> None:
        self.data = data_dir if isinstance(data_dir, SiteData) else SiteData(Path(data_dir))
        self._lock = threading.Lock()
        self.log: list[LoggedRequest] = []  # answered requests, with status and size
        self.arrivals: Counter[str] = Counter()  # requests per path, counted on arrival
        self._failed_once: set[str] = set()
        # (path, text the query must contain) -> (answers left, status): injected outages
        self._outages: dict[tuple[str, str], tuple[int, int]] = {}
        self._mtimes: dict[str, datetime] = {}
        self._fault: Fault | None = None
        # (fault kind, path) -> requests that got the fault instead of the page
        self.injected: Counter[tuple[str, str]] = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> FixtureSite:
        handler = _make_handler(self)
        self._server = _Server(("127.0.0.1", 0), handler)
        port = self._server.server_address[1]
        self.data.origin = f"http://127.0.0.1:{port}"
        self.data.mirror_origin = f"http://localhost:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FixtureSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.data.origin

    @property
    def mirror_url(self) -> str:
        return self.data.mirror_origin

    # ---- what tests look at ------------------------------------------------------------
    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.arrivals.clear()

    def requests_for(self, path: str) -> int:
        """Requests received for ``path``, including ones the client gave up on."""
        with self._lock:
            return self.arrivals[path]

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.arrivals)

    def article_paths(self) -> set[str]:
        return set(self.data.articles)

    def edit_article(self, path: str, edit: Callable[[Article], None]) -> None:
        """Change an article in place (a correction); its ETag and Last-Modified move on."""
        with self._lock:
            article = self.data.articles[path]
            edit(article)
            article.revision += 1
            self._mtimes[path] = datetime.now(UTC).replace(microsecond=0)

    def fail_requests(
        self, path: str, query_contains: str = "", *, times: int, status: int = 503
    ) -> None:
        """The next ``times`` requests for ``path`` (whose query holds ``query_contains``)
        answer ``status``: a list page that is down for a while, then heals."""
        with self._lock:
            self._outages[(path, query_contains)] = (times, status)

    def set_fault(self, fault: Fault | None) -> None:
        """From now on (until ``set_fault(None)``) the site misbehaves as ``fault`` says."""
        with self._lock:
            self._fault = fault

    def _faulty(self, path: str) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None or not fault.applies(path):
                return None
            self.injected[(fault.kind, path)] += 1
            return fault

    def injected_count(self, kind: str, where: Callable[[str], bool]) -> int:
        """Requests for paths ``where`` accepts that got the fault ``kind`` ("timeout", "503")."""
        with self._lock:
            return sum(n for (k, path), n in self.injected.items() if k == kind and where(path))

    def publish(self, articles: Iterable[Article]) -> None:
        """New articles appear on the site (in their columns' lists), as the portal adds news."""
        with self._lock:
            # A new dict, not an update: a request being answered keeps the one it read.
            self.data.articles = {**self.data.articles, **{a.path: a for a in articles}}

    def _outage(self, path: str, query: str) -> int | None:
        with self._lock:
            for (where, needle), (left, status) in self._outages.items():
                if where == path and needle in query and left > 0:
                    self._outages[(where, needle)] = (left - 1, status)
                    return status
        return None

    def last_modified(self, path: str) -> datetime:
        return self._mtimes.get(path, BASE_MTIME)

    # ---- serving -----------------------------------------------------------------------
    def _arrived(self, path: str) -> None:
        with self._lock:
            self.arrivals[path] += 1

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.log.append(entry)

    def _should_fail_once(self, path: str) -> bool:
        with self._lock:
            if path in self.data.fail_once and path not in self._failed_once:
                self._failed_once.add(path)
                return True
            return False


def _make_handler(site: FixtureSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "nginx"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Silence the default stderr access log; requests go to ``site.log``."""

        def do_GET(self) -> None:
            self._dispatch("GET", {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            self._dispatch("POST", form)

        def _send(
            self,
            method: str,
            path: str,
            status: int,
            body: bytes,
            content_type: str | None,
            extra: dict[str, str] | None = None,
        ) -> None:
            try:
                self._write(method, status, body, content_type, extra)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (a timeout test); nothing was delivered
            site._record(
                LoggedRequest(
                    method=method,
                    path=path,
                    status=status,
                    bytes_sent=len(body),
                    conditional=bool(
                        self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
                    ),
                    user_agent=self.headers.get("User-Agent", ""),
                )
            )

        def _write(
            self,
            method: str,
            status: int,
            body: bytes,
            content_type: str | None,
            extra: dict[str, str] | None,
        ) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)

        def _dispatch(self, method: str, form: dict[str, str]) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            data = site.data
            site._arrived(path)
            if path in data.slow:
                time.sleep(data.slow[path])
            fault = site._faulty(path)
            if fault is not None:
                time.sleep(fault.hang)
                self._send(method, path, fault.status, b"<h1>Service Unavailable</h1>", "text/html")
                return
            outage = site._outage(path, unquote(parts.query))
            if outage is not None:
                self._send(method, path, outage, b"<h1>Service Unavailable</h1>", "text/html")
                return
            if site._should_fail_once(path):
                self._send(method, path, 500, b"<h1>500 Internal Server Error</h1>", "text/html")
                return
            if path == "/robots.txt" and data.robots_txt is not None:
                self._send(method, path, 200, data.robots_txt.encode(), "text/plain")
                return
            if path in ("/", "/index.html") and data.home_page() is not None:
                home = data.home_page() or ""
                self._send(method, path, 200, home.encode(), "text/html; charset=utf-8")
                return
            if path.startswith("/col/col") and path.endswith("/index.html"):
                column_id = path.removeprefix("/col/col").removesuffix("/index.html")
                page = data.column_page(column_id)
                if page is not None:
                    self._send(method, path, 200, page.encode(), "text/html; charset=utf-8")
                    return
            if path == JPAAS_API:
                param = json.loads(query.get("paramJson", "{}"))
                answer = data.jpaas_page(
                    query.get("pageId", ""),
                    int(param.get("pageNo", 1)),
                    int(param.get("pageSize", 15)),
                )
                body = json.dumps(answer, ensure_ascii=False).encode()
                self._send(method, path, 200, body, "application/json;charset=UTF-8")
                return
            if path in JPAGE_PROXIES:
                self._jpage(method, path, query, form)
                return
            raw = data.raw_pages.get(path)
            if raw is not None:
                extra = {
                    k: v
                    for k, v in (
                        ("Location", raw.get("location")),
                        ("Content-Encoding", raw.get("content_encoding")),
                    )
                    if v
                }
                body = data.raw_body(raw)
                self._send(
                    method, path, int(raw.get("status", 200)), body, raw.get("content_type"), extra
                )
                return
            article = data.articles.get(path)
            if article is not None:
                self._article(method, path, article)
                return
            file = data.files_dir / path.rsplit("/", 1)[-1]
            if path.startswith("/attach/") and file.is_file():
                self._send(method, path, 200, file.read_bytes(), "application/octet-stream")
                return
            self._send(method, path, 404, "<h1>404 页面不存在</h1>".encode(), "text/html")

        def _jpage(
            self, method: str, path: str, query: dict[str, str], form: dict[str, str]
        ) -> None:
            fields = {**query, **form}
            perpage = int(fields.get("perpage", 15))
            if "startrecord" in fields:
                start = int(fields["startrecord"])
                end = int(fields.get("endrecord", start + perpage - 1))
            else:
                page = int(fields.get("page", 1))
                start, end = (page - 1) * perpage + 1, page * perpage
            xml = site.data.jpage_records(fields.get("columnid", ""), start, end, perpage)
            if xml is None:
                self._send(method, path, 404, b"", "text/html")
                return
            self._send(method, path, 200, xml.encode(), "text/xml;charset=UTF-8")

        def _article(self, method: str, path: str, article: Article) -> None:
            origin = site.mirror_url if article.on_mirror else site.url
            body = site.data.article_page(article, origin)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = site.last_modified(path)
            headers = {"ETag": etag, "Last-Modified": email.utils.format_datetime(modified, True)}
            if self.headers.get("If-None-Match") == etag:
                self._send(method, path, 304, b"", None, headers)
                return
            since = self.headers.get("If-Modified-Since")
            if since and not self.headers.get("If-None-Match"):
                try:
                    if email.utils.parsedate_to_datetime(since) >= modified:
                        self._send(method, path, 304, b"", None, headers)
                        return
                except (TypeError, ValueError):
                    pass
            content_type = (
                "text/html; charset=utf-8" if article.encoding == "utf-8" else "text/html"
            )
            self._send(method, path, 200, body, content_type, headers)

    return Handler
