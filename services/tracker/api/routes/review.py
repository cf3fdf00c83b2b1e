"""Auditors' writes: confirm or reject a piece of evidence, or set a manual status.
Each goes through `TrackerService`, so the status is re-decided at once and the
changes are published like those from new evidence."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, Field

from services.tracker.api.deps import AuditorToken, ServiceDep
from services.tracker.api.input_bounds import OneLineText, XmlText, check_as_of
from services.tracker.api.schemas import ReviewResult
from services.tracker.service import today_in_china
from services.tracker.status_rules import Status

router = APIRouter(tags=["review"])

PathKey = Annotated[OneLineText, Path(max_length=200)]


class ReviewRequest(BaseModel):
    evidence_id: OneLineText | None = Field(
        None, max_length=200, description="Evidence to confirm or reject"
    )
    decision: Literal["confirm", "reject", "set_status"]
    reviewer: OneLineText = Field(min_length=1, max_length=128)
    note: XmlText = Field("", max_length=4000)
    status: Status | None = Field(None, description="Manual status, for decision=set_status")


@router.post(
    "/api/commitments/{commitment_id}/review",
    response_model=ReviewResult,
    dependencies=[AuditorToken],
)
async def review(
    commitment_id: PathKey,
    body: ReviewRequest,
    request: Request,
    service: ServiceDep,
    as_of: date | None = None,
) -> ReviewResult:
    if commitment_id not in service.catalog:
        raise HTTPException(404, f"no commitment {commitment_id!r}")
    try:
        check_as_of(as_of or today_in_china(), service.catalog.values(), today_in_china())
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    try:
        changes = await asyncio.to_thread(
            service.review,
            commitment_id,
            body.decision,
            body.reviewer,
            body.note,
            evidence_id=body.evidence_id,
            status=body.status,
            as_of=as_of or today_in_china(),
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    on_status_changes = request.app.state.on_status_changes
    if on_status_changes is not None:
        await on_status_changes(changes)
    return ReviewResult(commitment_id=commitment_id, decision=body.decision, changes=changes)
