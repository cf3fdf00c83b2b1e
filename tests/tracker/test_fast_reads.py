"""The read model's fast path (api/fast_reads.py): which requests it takes, and that
what it answers is byte for byte what the FastAPI routes answer (status, body as sent,
ETag, content type, length and coding, Vary), for valid requests, 304s, `/metrics` plain
and gzip, and the requests it must leave to the routes (422s, 404s, redirects, other
methods)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import QueryParams
from starlette.types import Receive, Scope, Send

from services.tracker.api.details import DetailQuery
from services.tracker.api.fast_reads import ReadModelFastPath, detail_query, list_query
from services.tracker.api.main import create_api
from services.tracker.api.summaries import SummaryQuery
from services.tracker.service import TrackerService
from tests.tracker.seeded_ledger import seed_ledger

ID = "t25-science-park"
DETAIL = f"/api/commitments/{ID}"

# Requests the fast path answers itself.
TAKEN = [
    "/api/commitments",
    "/api/commitments?limit=3",
    "/api/commitments?limit=3&offset=2",
    "/api/commitments?limit=3&limit=5",  # the last value wins, as in FastAPI
    "/api/commitments?status=no_evidence",
    "/api/commitments?kind=milestone&report=luqiao-2025",
    "/api/commitments?q=" + quote("科创"),
    "/api/commitments?section=" + quote("优化创新生态"),
    "/api/commitments?report=&q=",  # empty text filters nothing
    "/api/commitments?q=" + "x" * 100,
    "/api/commitments?unknown=1",
    "/api/commitments?offset=0&limit=500",
    DETAIL,
    DETAIL + "?evidence_limit=1&evidence_offset=0",
    "/metrics",
]

# Requests only the routes can answer (or whose reading the fast path leaves to them).
LEFT_TO_THE_ROUTES = [
    "/api/commitments?limit=0",
    "/api/commitments?limit=501",
    "/api/commitments?limit=abc",
    "/api/commitments?limit=",
    "/api/commitments?limit=03",
    "/api/commitments?limit=%2B3",
    "/api/commitments?offset=-1",
    "/api/commitments?offset=99999999999",
    "/api/commitments?status=bogus",
    "/api/commitments?status=",
    "/api/commitments?kind=Milestone",
    "/api/commitments?q=" + "x" * 101,
    "/api/commitments/nope",  # a 404
    "/api/commitments/" + "a" * 201,
    "/api/commitments/a%09b",  # a control character
    "/api/commitments/",  # FastAPI redirects
    DETAIL + "?evidence_limit=1001",
    DETAIL + "?evidence_offset=x",
    "/healthz",
]


@pytest.fixture
def seeded(tracker: TrackerService) -> TrackerService:
    seed_ledger(tracker)
    return tracker


def _app(tracker: TrackerService, *, fast: bool) -> FastAPI:
    api = create_api(tracker)
    if not fast:  # before the first request builds the middleware stack
        api.user_middleware = [m for m in api.user_middleware if m.cls is not ReadModelFastPath]
    return api


@pytest.fixture
def both(seeded: TrackerService) -> Iterator[tuple[TestClient, TestClient]]:
    fast_api, routes_api = _app(seeded, fast=True), _app(seeded, fast=False)
    # One process part for both apps, kept for the test's length: /metrics is then the
    # same bytes on both paths (else the process's own series move between scrapes).
    routes_api.state.process_metrics = fast_api.state.process_metrics
    fast_api.state.process_metrics.max_age = 3600.0
    with (
        TestClient(fast_api, follow_redirects=False) as fast,
        TestClient(routes_api, follow_redirects=False) as routes,
    ):
        yield fast, routes


ANSWER_HEADERS = ("content-type", "location", "etag", "content-length", "content-encoding", "vary")


def _sent(
    client: TestClient, method: str, url: str, headers: dict[str, str]
) -> tuple[int, dict[str, str | None], bytes]:
    """Status, the headers that make the answer, and the body as sent (not decoded)."""
    with client.stream(method, url, headers=headers) as response:
        raw = b"".join(response.iter_raw())
        return response.status_code, {h: response.headers.get(h) for h in ANSWER_HEADERS}, raw


def _same_answer(
    fast: TestClient,
    routes: TestClient,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str | None], bytes]:
    """Both paths' answer to one request (by default one that asks for no compression,
    as httpx otherwise would): equal, and returned for further checks."""
    sent = {"Accept-Encoding": "identity", **(headers or {})}
    a, b = _sent(fast, method, url, sent), _sent(routes, method, url, sent)
    assert a == b
    return a


@pytest.mark.parametrize("url", TAKEN + LEFT_TO_THE_ROUTES)
def test_the_fast_path_answers_as_the_routes_do(
    both: tuple[TestClient, TestClient], url: str
) -> None:
    fast, routes = both
    _same_answer(fast, routes, "GET", url)


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT"])
def test_other_methods_are_the_routes_answer(
    both: tuple[TestClient, TestClient], method: str
) -> None:
    fast, routes = both
    for url in ("/api/commitments", DETAIL, "/metrics"):
        _same_answer(fast, routes, method, url)


@pytest.mark.parametrize("url", ["/api/commitments?limit=3", DETAIL])
def test_a_304_is_the_same_on_both_paths(both: tuple[TestClient, TestClient], url: str) -> None:
    fast, routes = both
    etag = fast.get(url).headers["etag"]
    for tag in (etag, f"W/{etag}", f'"x", {etag}', "*"):
        a = fast.get(url, headers={"If-None-Match": tag})
        b = routes.get(url, headers={"If-None-Match": tag})
        assert a.status_code == b.status_code == 304
        assert a.headers["etag"] == b.headers["etag"] == etag and a.content == b.content == b""


PLAIN_ASKS: list[str | None] = [
    None,
    "identity",
    "gzip;q=0",
    "deflate, br",
    "*;q=0",
    "gzip;q=0, *",
    "gzip;q=x",
]
GZIP_ASKS: list[str | None] = [
    "gzip",
    "gzip, deflate, br",
    "x-gzip",
    "*",
    "br;q=1.0, gzip;q=0.8, *;q=0.1",
]


@pytest.mark.parametrize("accept", PLAIN_ASKS + GZIP_ASKS)
def test_metrics_is_gzip_exactly_when_asked_on_both_paths(
    both: tuple[TestClient, TestClient], accept: str | None
) -> None:
    fast, routes = both
    headers = {} if accept is None else {"Accept-Encoding": accept}
    status, answer, raw = _same_answer(fast, routes, "GET", "/metrics", headers)
    assert status == 200 and answer["vary"] == "Accept-Encoding"
    assert answer["content-length"] == str(len(raw))
    _, plain_answer, plain = _same_answer(fast, routes, "GET", "/metrics")
    if accept in GZIP_ASKS:
        assert answer["content-encoding"] == "gzip"
        assert answer["etag"] != plain_answer["etag"]
        # One gzip member (httpx and curl read only the first) holding the plain body.
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert inflate.decompress(raw) == plain == gzip.decompress(raw)
        assert inflate.eof and inflate.unused_data == b""
        assert len(raw) * 5 < len(plain)
    else:
        assert answer["content-encoding"] is None and raw == plain
        assert answer["etag"] == plain_answer["etag"]


def test_metrics_bodies_are_kept_not_compressed_per_request(
    both: tuple[TestClient, TestClient],
) -> None:
    """The same objects answer again while neither part changed: the gzip body is
    joined once per (process part, ledger version), not per request."""
    fast, _ = both
    gzip_ask = {"Accept-Encoding": "gzip"}
    first = _sent(fast, "GET", "/metrics", gzip_ask)
    bodies = fast.app.state.scrape_bodies  # type: ignore[attr-defined]
    kept = bodies._last[2]
    assert _sent(fast, "GET", "/metrics", gzip_ask) == first
    assert bodies._last[2] is kept and kept.gzip == first[2]


@pytest.mark.parametrize("accept", ["gzip", "identity"])
def test_a_metrics_304_is_per_coding_and_the_same_on_both_paths(
    both: tuple[TestClient, TestClient], accept: str
) -> None:
    fast, routes = both
    other = "identity" if accept == "gzip" else "gzip"
    etag = _same_answer(fast, routes, "GET", "/metrics", {"Accept-Encoding": accept})[1]["etag"]
    other_etag = _same_answer(fast, routes, "GET", "/metrics", {"Accept-Encoding": other})[1][
        "etag"
    ]
    assert etag is not None and other_etag is not None
    asks = {"Accept-Encoding": accept, "If-None-Match": etag}
    status, answer, raw = _same_answer(fast, routes, "GET", "/metrics", asks)
    assert (status, answer["etag"], answer["vary"], raw) == (304, etag, "Accept-Encoding", b"")
    # The other coding's validator does not name these bytes: a full answer.
    asks = {"Accept-Encoding": accept, "If-None-Match": other_etag}
    status, answer, _ = _same_answer(fast, routes, "GET", "/metrics", asks)
    assert (status, answer["etag"]) == (200, etag)


class Below:
    """The app under the fast path: records that a request reached it."""

    def __init__(self, api: FastAPI) -> None:
        self.api = api
        self.reached: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.reached.append(scope["path"])
        await self.api(scope, receive, send)


@pytest.fixture
def fast_path_alone(seeded: TrackerService) -> Iterator[tuple[TestClient, Below]]:
    """The fast path in front of the routes-only app, which counts what reaches it."""
    routes = _app(seeded, fast=False)
    below = Below(routes)
    fast_path = ReadModelFastPath(below)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = routes  # as Starlette sets it for its middleware
        await fast_path(scope, receive, send)

    with TestClient(routes), TestClient(app, follow_redirects=False) as client:
        yield client, below


@pytest.mark.parametrize("url", TAKEN)
def test_requests_in_canonical_form_never_reach_fastapi(
    fast_path_alone: tuple[TestClient, Below], url: str
) -> None:
    client, below = fast_path_alone
    assert client.get(url).status_code == 200
    assert client.get(url, headers={"Content-Length": "0"}).status_code == 200  # a body: routes
    assert len(below.reached) == 1


@pytest.mark.parametrize("url", LEFT_TO_THE_ROUTES)
def test_the_rest_goes_on_to_fastapi(fast_path_alone: tuple[TestClient, Below], url: str) -> None:
    client, below = fast_path_alone
    client.get(url)
    assert len(below.reached) == 1


def test_list_parameters_are_read_as_fastapi_reads_them() -> None:
    params = QueryParams("status=achieved&kind=ongoing&q=a&report=r&section=s&offset=7&limit=9")
    assert list_query(params) == SummaryQuery(
        report="r", section="s", kind="ongoing", q="a", status="achieved", offset=7, limit=9
    )
    assert list_query(QueryParams("")) == SummaryQuery()
    assert list_query(QueryParams("limit=1&limit=2")) == SummaryQuery(limit=2)
    for odd in ("limit=0", "limit=007", "limit=1e2", "limit= 5", "offset=2147483648", "kind=x"):
        assert list_query(QueryParams(odd)) is None, odd


def test_detail_parameters_are_read_as_fastapi_reads_them() -> None:
    assert detail_query(ID, QueryParams("evidence_limit=5")) == DetailQuery(ID, 0, 5)
    for odd_id in ("", "a/b", "a\nb", "a\x00b", "x" * 201):
        assert detail_query(odd_id, QueryParams("")) is None, odd_id
    assert detail_query(ID, QueryParams("evidence_limit=1001")) is None
