"""The commitments: a filtered, paged list of summaries and one commitment in full."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from services.tracker.api.deps import DetailsDep, SummariesDep
from services.tracker.api.details import DetailQuery
from services.tracker.api.etag import NOT_MODIFIED, cached_response
from services.tracker.api.input_bounds import MAX_OFFSET, OneLineText
from services.tracker.api.schemas import CommitmentDetail, CommitmentSummary, Page
from services.tracker.api.summaries import SummaryQuery
from services.tracker.status_rules import Status

router = APIRouter(tags=["commitments"])

# An id in the URL path: one printable line (PostgreSQL refuses NUL in text).
PathKey = Annotated[OneLineText, Path(max_length=200)]


@router.get("/api/commitments", response_model=Page[CommitmentSummary], responses=NOT_MODIFIED)
async def list_commitments(
    request: Request,
    summaries: SummariesDep,
    report: str | None = None,
    section: Annotated[str | None, Query(description="Substring of the section path")] = None,
    status: Status | None = None,
    kind: Literal["quantitative", "milestone", "ongoing"] | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Text search")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Served from the read model (`CommitmentSummaries.page`): rendered once per
    ledger version and query, so it runs on the event loop without a thread."""
    query = SummaryQuery(
        report=report, section=section, kind=kind, q=q,
        status=status.value if status else None, offset=offset, limit=limit,
    )  # fmt: skip
    page = await summaries.page(request.app.state.service.sessions, query)
    return cached_response(request, page.body, page.etag, "application/json")


@router.get(
    "/api/commitments/{commitment_id}", response_model=CommitmentDetail, responses=NOT_MODIFIED
)
async def get_commitment(
    commitment_id: PathKey,
    request: Request,
    details: DetailsDep,
    evidence_offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    evidence_limit: Annotated[
        int, Query(ge=1, le=1000, description="Evidence items, newest first")
    ] = 100,
) -> Response:
    """Served from the read model (`CommitmentDetails.page`): rendered once per
    ledger version, id and evidence page, like the list."""
    query = DetailQuery(commitment_id, evidence_offset, evidence_limit)
    page = await details.page(request.app.state.service.sessions, query)
    if page is None:
        raise HTTPException(404, f"no commitment {commitment_id!r}")
    return cached_response(request, page.body, page.etag, "application/json")
