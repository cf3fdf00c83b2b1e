"""Evidence across commitments (paged, for pollers) and the articles it came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from services.events import CHINA_TZ
from services.tracker.api.deps import SessionDep
from services.tracker.api.etag import NOT_MODIFIED, etag_response
from services.tracker.api.input_bounds import MAX_OFFSET, BoundedDatetime, OneLineText
from services.tracker.api.schemas import ArticleOut, EvidenceOut, Page
from services.tracker.ledger import read_model
from services.tracker.ledger.models import ReviewState

router = APIRouter(tags=["evidence"])

PathKey = Annotated[OneLineText, Path(max_length=200)]


@router.get("/api/evidence", response_model=Page[EvidenceOut], responses=NOT_MODIFIED)
def list_evidence(
    request: Request,
    db: SessionDep,
    since: Annotated[
        BoundedDatetime | None,
        Query(description="Received at or after (ISO 8601; without offset: Asia/Shanghai)"),
    ] = None,
    review_state: ReviewState | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=CHINA_TZ)  # a bare time is the district's wall time
    total, rows = read_model.evidence_received(
        db, since=since, review_state=review_state, offset=offset, limit=limit
    )
    page = Page[EvidenceOut](
        total=total,
        offset=offset,
        limit=limit,
        items=[EvidenceOut.model_validate(e, from_attributes=True) for e in rows],
    )
    return etag_response(request, page)


@router.get("/api/articles/{article_id}", response_model=ArticleOut)
def get_article(article_id: PathKey, db: SessionDep) -> ArticleOut:
    rows = read_model.article_evidence(db, article_id)
    if not rows:
        raise HTTPException(404, f"no evidence from article {article_id!r}")
    first = rows[0]
    return ArticleOut(
        article_id=article_id,
        url=first.url,
        title=first.title,
        published_at=first.published_at,
        revisions=sorted({r.html_sha256 for r in rows}),
        evidence=[EvidenceOut.model_validate(e, from_attributes=True) for e in rows],
    )
