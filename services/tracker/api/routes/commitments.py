"""The commitments: a filtered, paged list of summaries and one commitment in full."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from services.tracker.api.deps import SessionDep, SummariesDep
from services.tracker.api.etag import NOT_MODIFIED, cached_response, etag_response
from services.tracker.api.input_bounds import MAX_OFFSET, OneLineText
from services.tracker.api.schemas import (
    CommitmentDetail,
    CommitmentSummary,
    EvidenceOut,
    Page,
    StatusOut,
    TargetProgress,
)
from services.tracker.api.summaries import SummaryQuery, commitment_base
from services.tracker.ledger import read_model, store
from services.tracker.ledger.models import CommitmentRow
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
def get_commitment(
    commitment_id: PathKey,
    request: Request,
    db: SessionDep,
    evidence_offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    evidence_limit: Annotated[
        int, Query(ge=1, le=1000, description="Evidence items, newest first")
    ] = 100,
) -> Response:
    c = db.get(CommitmentRow, commitment_id)
    if c is None:
        raise HTTPException(404, f"no commitment {commitment_id!r}")
    auto = store.latest_status(db, c.id)
    manual = store.latest_status(db, c.id, manual=True)
    evidence = read_model.evidence_of(db, c.id, offset=evidence_offset, limit=evidence_limit)
    evidence_total = read_model.evidence_count(db, c.id)
    detail = CommitmentDetail.model_validate(
        {
            **commitment_base(c, auto, manual),
            "aliases": c.aliases,
            "related": c.related,
            "evidence": [EvidenceOut.model_validate(e, from_attributes=True) for e in evidence],
            "evidence_total": evidence_total,
            "evidence_offset": evidence_offset,
            "evidence_limit": evidence_limit,
            "status_history": [
                StatusOut.model_validate(s, from_attributes=True)
                for s in read_model.history_of(db, c.id)
            ],
            "target_progress": TargetProgress(
                targets=c.targets,
                progress_ratio=auto.progress_ratio if auto else None,
                schedule=auto.schedule if auto else None,
            ),
        }
    )
    return etag_response(request, detail)
