"""The read model's answers (the list, one commitment, `/metrics`) as responses,
from what `main.create_api` keeps on `app.state`.

Shared by the FastAPI routes, which document and validate these endpoints, and by
`fast_reads.ReadModelFastPath`, which serves the requests it can read exactly as
the routes would without FastAPI's per-request machinery: both paths answer with
the same bytes, headers and ETag because they build them here.
"""

from __future__ import annotations

from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.datastructures import State

from services.tracker.api.content_coding import accepts_gzip
from services.tracker.api.details import DetailQuery
from services.tracker.api.etag import answer_with_etag
from services.tracker.api.summaries import SummaryQuery

JSON = "application/json"
VARY = "Accept-Encoding"  # /metrics: gzip or not, by the request's Accept-Encoding


async def list_answer(state: State, query: SummaryQuery, if_none_match: str | None) -> Response:
    """One page of summaries: from memory while the ledger is unchanged."""
    page = await state.summaries.page(state.service.sessions, query)
    return answer_with_etag(if_none_match, page.body, page.etag, JSON)


async def detail_answer(
    state: State, query: DetailQuery, if_none_match: str | None
) -> Response | None:
    """One commitment in full, or None when there is no such commitment."""
    page = await state.details.page(state.service.sessions, query)
    if page is None:
        return None
    return answer_with_etag(if_none_match, page.body, page.etag, JSON)


async def metrics_answer(
    state: State, if_none_match: str | None, accept_encoding: str | None
) -> Response:
    """The process's own metrics (formatted at most once a second) and the ledger's
    (formatted once per ledger version); the ETag combines the ledger text's with a
    hash of the process part. Gzip when the client accepts it (Prometheus does): a
    ~310 KB body is ~30 KB so, and writing it was most of a scrape's cost under load;
    both bodies are kept, never compressed per request."""
    ledger = await state.ledger_metrics.rendered()
    own = state.process_metrics.text()
    body = state.scrape_bodies.joined(own, ledger)
    if accepts_gzip(accept_encoding):
        return answer_with_etag(
            if_none_match, body.gzip, body.gzip_etag, CONTENT_TYPE_LATEST,
            vary=VARY, content_encoding="gzip",
        )  # fmt: skip
    return answer_with_etag(if_none_match, body.plain, body.etag, CONTENT_TYPE_LATEST, vary=VARY)
