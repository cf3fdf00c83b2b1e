"""The read model's fast path (api/fast_reads.py): which requests it takes, and that
what it answers is byte for byte what the FastAPI routes answer (status, body, ETag,
content type and length), for valid requests, 304s, and the requests it must leave
to the routes (422s, 404s, redirects, other methods)."""

from __future__ import annotations

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
    with (
        TestClient(_app(seeded, fast=True), follow_redirects=False) as fast,
        TestClient(_app(seeded, fast=False), follow_redirects=False) as routes,
    ):
        yield fast, routes


def _same_answer(fast: TestClient, routes: TestClient, method: str, url: str) -> None:
    a, b = fast.request(method, url), routes.request(method, url)
    assert a.status_code == b.status_code
    # /metrics: the process's own part (so the ETag and length) moves between scrapes.
    own_part = url == "/metrics" and a.status_code == 200
    for header in ("content-type", "location", *(() if own_part else ("etag", "content-length"))):
        assert a.headers.get(header) == b.headers.get(header), header
    if own_part:
        ledger = b"# HELP luqiao_commitment_status "
        assert a.content[a.content.index(ledger) :] == b.content[b.content.index(ledger) :]
        assert a.headers["etag"] and a.headers["content-length"] == str(len(a.content))
    else:
        assert a.content == b.content


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
