"""The tracker's HTTP API (FastAPI): read the ledger, review evidence, export.

Reads go straight to the database through `views`; writes (reviews, manual
statuses) go through `TrackerService` so the status is re-decided at once.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal, cast

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.events import CHINA_TZ
from services.tracker.api.body_limit import BodySizeLimit
from services.tracker.api.deps import session_dependency, token_dependency
from services.tracker.api.input_bounds import (
    MAX_OFFSET,
    BoundedDatetime,
    OneLineText,
    XmlText,
    check_as_of,
)
from services.tracker.api.validation_errors import answer_validation_errors_safely
from services.tracker.ledger import store as ledger
from services.tracker.ledger.models import CommitmentRow, EvidenceRow, StatusRow
from services.tracker.ledger.read_model import current_statuses, latest_evidence
from services.tracker.metrics import LedgerCollector
from services.tracker.service import TrackerService, today_in_china
from services.tracker.status_rules import Status

ReadinessCheck = Callable[[], Awaitable[bool]]
# An id in the URL path: one printable line (PostgreSQL refuses NUL in text).
PathKey = Annotated[OneLineText, Path(max_length=200)]


class Page(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


class ReviewRequest(BaseModel):
    evidence_id: OneLineText | None = Field(
        None, max_length=200, description="Evidence to confirm or reject"
    )
    decision: Literal["confirm", "reject", "set_status"]
    reviewer: OneLineText = Field(min_length=1, max_length=128)
    note: XmlText = Field("", max_length=4000)
    status: Status | None = Field(None, description="Manual status, for decision=set_status")


def commitment_summary(
    c: CommitmentRow, auto: StatusRow | None, manual: StatusRow | None
) -> dict[str, Any]:
    return {
        "id": c.id,
        "report": c.report_id,
        "plan_year": c.plan_year,
        "section": c.section,
        "text": c.text,
        "kind": c.kind,
        "deadline": c.deadline.isoformat(),
        "targets": c.targets,
        "retired": c.retired,
        "status": (manual.status if manual else None)
        or (auto.status if auto else Status.NO_EVIDENCE.value),
        "auto_status": auto.status if auto else Status.NO_EVIDENCE.value,
        "manual_status": manual.status if manual else None,
        "schedule": auto.schedule if auto else None,
        "progress_ratio": auto.progress_ratio if auto else None,
        "status_reasons": auto.reasons if auto else [],
        "status_as_of": auto.as_of.isoformat() if auto else None,
    }


def evidence_dict(e: EvidenceRow) -> dict[str, Any]:
    return {
        "evidence_id": e.evidence_id,
        "commitment_id": e.commitment_id,
        "article_id": e.article_id,
        "url": e.url,
        "title": e.title,
        "published_at": e.published_at.isoformat(),
        "quote": e.quote,
        "quote_start": e.quote_start,
        "quote_end": e.quote_end,
        "stage": e.stage,
        "figures": e.figures,
        "confidence": e.confidence,
        "mentions": e.mentions,
        "reasons": e.reasons,
        "extractor_version": e.extractor_version,
        "superseded_by": e.superseded_by,
        "review_state": e.review_state,
        "reviewer": e.reviewer,
        "received_at": e.received_at.isoformat(),
    }


def status_dict(s: StatusRow) -> dict[str, Any]:
    return {
        "status": s.status,
        "schedule": s.schedule,
        "progress_ratio": s.progress_ratio,
        "as_of": s.as_of.isoformat(),
        "rule": s.rule,
        "reasons": s.reasons,
        "evidence_ids": s.evidence_ids,
        "manual": s.manual,
        "set_by": s.set_by,
        "decided_at": s.decided_at.isoformat(),
    }


def _etag_response(request: Request, payload: Any) -> Response:
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


def create_api(
    service: TrackerService,
    *,
    readiness: ReadinessCheck | None = None,
    lifespan: Any = None,
    extra_routers: list[Any] | None = None,
    on_status_changes: Callable[[list[Any]], Awaitable[None]] | None = None,
) -> FastAPI:
    api = FastAPI(
        title="luqiao-monitor tracker",
        version="1.0.0",
        description="Commitments of the Luqiao district work reports, their evidence and status.",
        lifespan=lifespan,
    )
    api.add_middleware(BodySizeLimit, max_bytes=service.settings.api_max_body_bytes)
    answer_validation_errors_safely(api)
    ledger_metrics = LedgerCollector(service.sessions)

    session = session_dependency(service)
    require_token = token_dependency(service)

    @api.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", tags=["ops"])
    async def readyz() -> Response:
        checks = {"database": False, "broker": True}
        try:
            with service.sessions() as db:
                db.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:  # noqa: BLE001 — any failure means not ready
            pass
        if readiness is not None:
            checks["broker"] = await readiness()
        ok = all(checks.values())
        return Response(
            json.dumps({"ready": ok, **checks}),
            status_code=200 if ok else 503,
            media_type="application/json",
        )

    @api.get("/metrics", tags=["ops"])
    def metrics() -> Response:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY) + ledger_metrics.exposition()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    cache: dict[str, Any] = {"version": None, "items": []}

    def _all_summaries(db: Session) -> list[dict[str, Any]]:
        """Every commitment's summary, rebuilt only when the read model changed (a new
        status decision or a catalog sync): a busy API must not redo it per request,
        and a version read from the database keeps every replica truthful."""
        version = (
            db.scalar(select(func.max(StatusRow.id))),
            db.scalar(select(func.max(CommitmentRow.updated_at))),
            db.scalar(select(func.count()).select_from(CommitmentRow)),
            db.scalar(select(func.count()).select_from(EvidenceRow)),
            db.scalar(select(func.max(EvidenceRow.reviewed_at))),
        )
        if cache["version"] != version:
            rows = db.scalars(select(CommitmentRow))
            auto, manual = current_statuses(db), current_statuses(db, manual=True)
            latest = latest_evidence(db)
            items = [
                {
                    **commitment_summary(c, auto.get(c.id), manual.get(c.id)),
                    "latest_evidence": latest.get(c.id),
                }
                for c in rows
            ]
            # Newest plan first, then in the order the report states them.
            position = {cid: i for i, cid in enumerate(service.catalog)}
            items.sort(key=lambda i: (-i["plan_year"], position.get(i["id"], len(position))))
            cache.update(version=version, items=items)
        return cast(list[dict[str, Any]], cache["items"])

    def _summaries(
        db: Session,
        report: str | None = None,
        section: str | None = None,
        kind: str | None = None,
        q: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        def keep(item: dict[str, Any]) -> bool:
            path = " › ".join(item["section"])
            return (
                (not report or item["report"] == report)
                and (not section or section in path)
                and (not kind or item["kind"] == kind)
                and (not q or q in item["text"] or q in path)
                and (status is None or item["status"] == status)
            )

        return [item for item in _all_summaries(db) if keep(item)]

    @api.get("/api/commitments", tags=["commitments"], response_model=Page)
    def list_commitments(
        request: Request,
        report: str | None = None,
        section: str | None = Query(None, description="Substring of the section path"),
        status: Status | None = None,
        kind: Literal["quantitative", "milestone", "ongoing"] | None = None,
        q: str | None = Query(None, max_length=100, description="Text search"),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(50, ge=1, le=500),
        db: Session = Depends(session),
    ) -> Response:
        items = _summaries(db, report, section, kind, q, status.value if status else None)
        page = {
            "total": len(items),
            "offset": offset,
            "limit": limit,
            "items": items[offset : offset + limit],
        }
        return _etag_response(request, page)

    @api.get("/api/commitments.csv", tags=["export"], response_class=Response)
    def export_csv(db: Session = Depends(session)) -> Response:
        items = _summaries(db)
        buf = io.StringIO()
        fields = ["id", "report", "section", "text", "kind", "deadline", "status", "auto_status",
                  "manual_status", "schedule", "progress_ratio"]  # fmt: skip
        writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for item in items:
            writer.writerow({**item, "section": " › ".join(item["section"])})
        return Response(
            "\ufeff" + buf.getvalue(),  # BOM so spreadsheet programs read UTF-8 Chinese
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="luqiao-commitments.csv"'},
        )

    @api.get("/api/commitments.json", tags=["export"])
    def export_json(db: Session = Depends(session)) -> list[dict[str, Any]]:
        return _summaries(db)

    @api.get("/api/commitments/{commitment_id}", tags=["commitments"])
    def get_commitment(
        commitment_id: PathKey,
        request: Request,
        evidence_offset: int = Query(0, ge=0, le=MAX_OFFSET),
        evidence_limit: int = Query(100, ge=1, le=1000, description="Evidence items, newest first"),
        db: Session = Depends(session),
    ) -> Response:
        c = db.get(CommitmentRow, commitment_id)
        if c is None:
            raise HTTPException(404, f"no commitment {commitment_id!r}")
        auto = ledger.latest_status(db, c.id)
        manual = ledger.latest_status(db, c.id, manual=True)
        evidence = db.scalars(
            select(EvidenceRow)
            .where(EvidenceRow.commitment_id == c.id)
            .order_by(EvidenceRow.published_at.desc(), EvidenceRow.evidence_id)
            .offset(evidence_offset)
            .limit(evidence_limit)
        ).all()
        evidence_total = db.scalar(select(func.count()).where(EvidenceRow.commitment_id == c.id))
        history = db.scalars(
            select(StatusRow).where(StatusRow.commitment_id == c.id).order_by(StatusRow.id)
        ).all()
        payload = {
            **commitment_summary(c, auto, manual),
            "aliases": c.aliases,
            "related": c.related,
            "evidence": [evidence_dict(e) for e in evidence],
            "evidence_total": evidence_total,
            "evidence_offset": evidence_offset,
            "evidence_limit": evidence_limit,
            "status_history": [status_dict(s) for s in history],
            "target_progress": {
                "targets": c.targets,
                "progress_ratio": auto.progress_ratio if auto else None,
                "schedule": auto.schedule if auto else None,
            },
        }
        return _etag_response(request, payload)

    @api.get("/api/evidence", tags=["evidence"], response_model=Page)
    def list_evidence(
        request: Request,
        since: BoundedDatetime | None = Query(
            None, description="Received at or after (ISO 8601; without offset: Asia/Shanghai)"
        ),
        review_state: Literal["auto", "pending", "confirmed", "rejected"] | None = None,
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(100, ge=1, le=1000),
        db: Session = Depends(session),
    ) -> Response:
        stmt = select(EvidenceRow).order_by(EvidenceRow.received_at, EvidenceRow.evidence_id)
        if since is not None:
            # Compare in the ledger's zone: SQLite keeps the stored Asia/Shanghai wall time
            # without its offset, so a UTC `since` would be off by eight hours there.
            since = since.astimezone(CHINA_TZ) if since.tzinfo else since.replace(tzinfo=CHINA_TZ)
            stmt = stmt.where(EvidenceRow.received_at >= since)
        if review_state is not None:
            stmt = stmt.where(EvidenceRow.review_state == review_state)
        rows = db.scalars(stmt).all()
        items = [evidence_dict(e) for e in rows[offset : offset + limit]]
        return _etag_response(
            request, {"total": len(rows), "offset": offset, "limit": limit, "items": items}
        )

    @api.get("/api/articles/{article_id}", tags=["evidence"])
    def get_article(article_id: PathKey, db: Session = Depends(session)) -> dict[str, Any]:
        rows = db.scalars(select(EvidenceRow).where(EvidenceRow.article_id == article_id)).all()
        if not rows:
            raise HTTPException(404, f"no evidence from article {article_id!r}")
        first = rows[0]
        return {
            "article_id": article_id,
            "url": first.url,
            "title": first.title,
            "published_at": first.published_at.isoformat(),
            "revisions": sorted({r.html_sha256 for r in rows}),
            "evidence": [evidence_dict(e) for e in rows],
        }

    @api.post(
        "/api/commitments/{commitment_id}/review",
        tags=["review"],
        dependencies=[Depends(require_token)],
    )
    async def review(
        commitment_id: PathKey, body: ReviewRequest, as_of: date | None = None
    ) -> dict[str, Any]:
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
        if on_status_changes is not None:
            await on_status_changes(changes)
        return {
            "commitment_id": commitment_id,
            "decision": body.decision,
            "changes": [c.model_dump(mode="json") for c in changes],
        }

    for router in extra_routers or []:
        api.include_router(router)

    return api
