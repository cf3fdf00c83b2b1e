"""The commitments: a filtered, paged list of summaries and one commitment in full."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from services.tracker.api.details import DetailQuery
from services.tracker.api.etag import NOT_MODIFIED
from services.tracker.api.input_bounds import MAX_OFFSET, OneLineText
from services.tracker.api.read_answers import detail_answer, list_answer
from services.tracker.api.schemas import CommitmentDetail, CommitmentSummary, Page
from services.tracker.api.summaries import SummaryQuery
from services.tracker.status_rules import Status

router = APIRouter(tags=["commitments"])

# The bounds of the parameters (also read by `fast_reads`, which must take only
# what these routes would accept).
ID_MAX_CHARS = 200
Q_MAX_CHARS = 100
LIST_LIMIT_MAX = 500
EVIDENCE_LIMIT_MAX = 1000
CommitmentKind = Literal["quantitative", "milestone", "ongoing"]

# An id in the URL path: one printable line (PostgreSQL refuses NUL in text).
PathKey = Annotated[OneLineText, Path(max_length=ID_MAX_CHARS)]


@router.get("/api/commitments", response_model=Page[CommitmentSummary], responses=NOT_MODIFIED)
async def list_commitments(
    request: Request,
    report: str | None = None,
    section: Annotated[str | None, Query(description="Substring of the section path")] = None,
    status: Status | None = None,
    kind: CommitmentKind | None = None,
    q: Annotated[str | None, Query(max_length=Q_MAX_CHARS, description="Text search")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = 50,
) -> Response:
    """Served from the read model (`CommitmentSummaries.page`): rendered once per
    ledger version and query, so it runs on the event loop without a thread. A query
    in canonical form is answered by `fast_reads.ReadModelFastPath` before FastAPI;
    this route documents the endpoint and answers the rest (and every 422)."""
    query = SummaryQuery(
        report=report, section=section, kind=kind, q=q,
        status=status.value if status else None, offset=offset, limit=limit,
    )  # fmt: skip
    return await list_answer(request.app.state, query, request.headers.get("if-none-match"))


@router.get(
    "/api/commitments/{commitment_id}", response_model=CommitmentDetail, responses=NOT_MODIFIED
)
async def get_commitment(
    commitment_id: PathKey,
    request: Request,
    evidence_offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    evidence_limit: Annotated[
        int, Query(ge=1, le=EVIDENCE_LIMIT_MAX, description="Evidence items, newest first")
    ] = 100,
) -> Response:
    """Served from the read model (`CommitmentDetails.page`): rendered once per
    ledger version, id and evidence page, like the list."""
    query = DetailQuery(commitment_id, evidence_offset, evidence_limit)
    answer = await detail_answer(request.app.state, query, request.headers.get("if-none-match"))
    if answer is None:
        raise HTTPException(404, f"no commitment {commitment_id!r}")
    return answer
