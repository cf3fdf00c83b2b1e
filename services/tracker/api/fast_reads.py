"""The read model's kept answers served straight from ASGI: `GET /metrics`,
`GET /api/commitments` and `GET /api/commitments/{id}` without FastAPI's routing,
dependency solving and parameter validation.

Why: once the answers were bytes kept in memory, py-spy on `serve tracker` at 50
clients found most of a list request's Python time in FastAPI's machinery (matching
the routers, the middleware stack, solving dependencies, validating seven query
parameters with pydantic, ~40 % of the process's samples), not in the answer. The
routes stay declared in FastAPI: they document the endpoints (OpenAPI) and answer
every request this middleware does not take.

It takes a request only when it can read it exactly as the route would: a GET
without a body, on one of those paths, whose parameters are in canonical form
(integers as plain decimal digits within the route's bounds, a known status or
kind, text within its length). Anything else (a 422 to give, a leading zero, a
HEAD, an unknown id, which is a 404) goes on to FastAPI unchanged. Parameters are
read with Starlette's own `QueryParams` (the last of repeated values wins, as in
FastAPI), and the answer is built by `read_answers`, as the routes build it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.tracker.api.details import DetailQuery
from services.tracker.api.input_bounds import MAX_OFFSET, one_line
from services.tracker.api.read_answers import detail_answer, list_answer, metrics_answer
from services.tracker.api.routes.commitments import (
    EVIDENCE_LIMIT_MAX,
    ID_MAX_CHARS,
    LIST_LIMIT_MAX,
    Q_MAX_CHARS,
    CommitmentKind,
)
from services.tracker.api.summaries import SummaryQuery
from services.tracker.status_rules import Status

LIST_PATH = "/api/commitments"
DETAIL_PREFIX = LIST_PATH + "/"
METRICS_PATH = "/metrics"

_CANONICAL_INT = re.compile(r"0|[1-9][0-9]{0,9}")
_STATUSES = frozenset(s.value for s in Status)
_KINDS = frozenset(get_args(CommitmentKind))


def _bounded_int(text: str | None, default: int, low: int, high: int) -> int | None:
    """The integer FastAPI would read, or None when it might read it otherwise."""
    if text is None:
        return default
    if not _CANONICAL_INT.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def list_query(params: QueryParams) -> SummaryQuery | None:
    """The list route's query, or None when only the route can answer."""
    status, kind, q = params.get("status"), params.get("kind"), params.get("q")
    if status is not None and status not in _STATUSES:
        return None
    if kind is not None and kind not in _KINDS:
        return None
    if q is not None and len(q) > Q_MAX_CHARS:
        return None
    offset = _bounded_int(params.get("offset"), 0, 0, MAX_OFFSET)
    limit = _bounded_int(params.get("limit"), 50, 1, LIST_LIMIT_MAX)
    if offset is None or limit is None:
        return None
    return SummaryQuery(
        report=params.get("report"), section=params.get("section"), kind=kind, q=q,
        status=status, offset=offset, limit=limit,
    )  # fmt: skip


def detail_query(commitment_id: str, params: QueryParams) -> DetailQuery | None:
    """The detail route's query for a path segment, or None when only the route can answer."""
    if not commitment_id or "/" in commitment_id or len(commitment_id) > ID_MAX_CHARS:
        return None
    try:
        one_line(commitment_id)
    except ValueError:
        return None
    offset = _bounded_int(params.get("evidence_offset"), 0, 0, MAX_OFFSET)
    limit = _bounded_int(params.get("evidence_limit"), 100, 1, EVIDENCE_LIMIT_MAX)
    if offset is None or limit is None:
        return None
    return DetailQuery(commitment_id, offset, limit)


@dataclass(frozen=True)
class PlainGet:
    """What the fast path reads of a GET without a body: the route path and the two
    headers its answers depend on (the first of each, as Starlette's `Headers.get`)."""

    path: str
    if_none_match: str | None
    accept_encoding: str | None


def _plain_get(scope: Scope) -> PlainGet | None:
    """The request as the fast path reads it, or None if it is not a GET without a body."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    if_none_match = accept_encoding = None
    for name, value in scope["headers"]:
        if name in (b"content-length", b"transfer-encoding"):
            return None
        # decoded as Starlette's Headers reads them
        if name == b"if-none-match" and if_none_match is None:
            if_none_match = value.decode("latin-1")
        elif name == b"accept-encoding" and accept_encoding is None:
            accept_encoding = value.decode("latin-1")
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return PlainGet(path, if_none_match, accept_encoding)


class ReadModelFastPath:
    """ASGI middleware: the read model's answer when the request is one it can read
    exactly as the route would, else the app below (FastAPI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self._answer(scope)
        if answer is None:
            await self.app(scope, receive, send)
        else:
            await answer(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        request = _plain_get(scope)
        if request is None:
            return None
        path, if_none_match = request.path, request.if_none_match
        state = scope["app"].state
        if path == METRICS_PATH:
            return await metrics_answer(state, if_none_match, request.accept_encoding)
        if path == LIST_PATH:
            query = list_query(QueryParams(scope["query_string"]))
            return None if query is None else await list_answer(state, query, if_none_match)
        if path.startswith(DETAIL_PREFIX):
            detail = detail_query(path[len(DETAIL_PREFIX) :], QueryParams(scope["query_string"]))
            return None if detail is None else await detail_answer(state, detail, if_none_match)
        return None
