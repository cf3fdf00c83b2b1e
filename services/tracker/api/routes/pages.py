"""The public HTML pages: overview, one page per commitment, what changed, the
方法说明, archived copies and the subscribe form.

Kept apart from the JSON API (the other `api.routes` modules) so the two can
change independently. The pages need no JavaScript and load nothing from
elsewhere; archived HTML is served from its own route with a sandboxing
Content-Security-Policy and shown in a sandboxed iframe, so it never runs in the
product's origin.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from feedgen.feed import FeedGenerator
from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.catalog.model import Commitment
from services.events import CHINA_TZ
from services.tracker.api.deps import ServiceDep
from services.tracker.api.routes.subscriptions import SubscriptionCreate
from services.tracker.api.warc_archive import (
    ArchivedCopy,
    WarcIndex,
    page_text,
    read_body,
    sanitised_html,
    sha256_of,
)
from services.tracker.api.web_page import (
    OverviewFilter,
    TargetBar,
    methodology_context,
    render,
    status_label,
    status_options,
    strip_rows,
)
from services.tracker.ledger import read_model
from services.tracker.ledger import subscriptions as stored
from services.tracker.ledger.models import CommitmentRow, EvidenceRow
from services.tracker.notifications.atom import ATOM_MEDIA_TYPE, entry_id, feed_path
from services.tracker.notifications.outbox import Scope
from services.tracker.service import TrackerService, today_in_china
from services.tracker.status_rules import RULES, elapsed_months, expected_progress

# The product's own pages: no script at all, frames only from this origin (the archive).
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# An archived page: an opaque origin (sandbox), nothing loaded, nothing run.
ARCHIVE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
FORM_MAX_BYTES = 8192
CHANGES_DEFAULT_DAYS = 7


def _html(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


router = APIRouter(include_in_schema=False)


def web_router(service: TrackerService) -> APIRouter:
    """The pages, for `create_api(extra_routers=...)`; like every router they read the
    service from `app.state`, the argument is kept for the callers composing the app."""
    del service
    return router


def get_warc_index(request: Request) -> WarcIndex:
    index: WarcIndex = request.app.state.warc_index
    return index


WarcIndexDep = Annotated[WarcIndex, Depends(get_warc_index)]


def catalog_order(service: TrackerService) -> dict[str, int]:
    return {cid: i for i, cid in enumerate(service.catalog)}


def page(template: str, db: Session, status_code: int = 200, **context: Any) -> HTMLResponse:
    health = read_model.crawl_health(db)
    return _html(render(template, health=health, **context), status_code)


def not_found(db: Session, message: str) -> HTMLResponse:
    return page("not_found.html", db, 404, message=message)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, service: ServiceDep) -> HTMLResponse:
    chosen = OverviewFilter.from_query(request.query_params)
    with service.sessions() as db:
        items = read_model.web_items(db, catalog_order(service))
        hits = read_model.quote_hits(db, chosen.q)
        shown = [i for i in items if chosen.keeps(i, hits)]
        total, sections = strip_rows(shown)
        return page(
            "overview.html",
            db,
            items=shown,
            every=len(items),
            hits=hits,
            chosen=chosen,
            total=total,
            sections=sections,
            years=sorted({i["plan_year"] for i in items}, reverse=True),
            section_names=sorted({i["section_top"] for i in items}),
            statuses=status_options(),
        )


@router.get("/commitments/{commitment_id}", response_class=HTMLResponse)
def commitment_page(commitment_id: str, service: ServiceDep, index: WarcIndexDep) -> HTMLResponse:
    with service.sessions() as db:
        row = db.get(CommitmentRow, commitment_id)
        catalog = service.catalog.get(commitment_id)
        if row is None or catalog is None:
            return not_found(db, f"没有编号为“{commitment_id}”的承诺")
        items = read_model.web_items(db, catalog_order(service))
        item = next(i for i in items if i["id"] == commitment_id)
        evidence = read_model.evidence_of(db, commitment_id)
        history = read_model.history_of(db, commitment_id)
        related = [(r, service.catalog.get(r.id), _status_of(db, r.id)) for r in catalog.related]
        archived = {e.evidence_id: _copy_for(index, e) is not None for e in evidence}
        return page(
            "commitment.html",
            db,
            c=catalog,
            item=item,
            evidence=evidence,
            history=history,
            related=related,
            archived=archived,
            bar=_target_bar(catalog, item, today_in_china()),
            review_counts=_review_counts(evidence),
            subscribe_enabled=bool(service.settings.api_token),
            rules=RULES,
        )


@router.get("/commitments/{commitment_id}/feed.atom")
def commitment_feed(commitment_id: str, request: Request, service: ServiceDep) -> Response:
    catalog = service.catalog.get(commitment_id)
    if catalog is None:
        raise HTTPException(404, f"no commitment {commitment_id!r}")
    with service.sessions() as db:
        history = read_model.history_of(db, commitment_id)
    base = str(request.base_url).rstrip("/")
    return Response(
        _commitment_atom(catalog, history, base), media_type=ATOM_MEDIA_TYPE + "; charset=utf-8"
    )


@router.post("/commitments/{commitment_id}/subscribe", response_class=HTMLResponse)
async def subscribe(commitment_id: str, request: Request, service: ServiceDep) -> HTMLResponse:
    raw = await request.body()
    form = {k: v[0] for k, v in parse_qs(raw[:FORM_MAX_BYTES].decode("utf-8", "replace")).items()}
    return await asyncio.to_thread(_subscribe, service, commitment_id, form, request)


def _subscribe(
    service: TrackerService, commitment_id: str, form: dict[str, str], request: Request
) -> HTMLResponse:
    with service.sessions() as db:
        if commitment_id not in service.catalog:
            return not_found(db, f"没有编号为“{commitment_id}”的承诺")
        back = f"/commitments/{commitment_id}"
        token = service.settings.api_token
        if not token:
            return page(
                "subscribed.html",
                db,
                403,
                error="订阅接口未开启：服务器没有设置 LUQIAO_API_TOKEN。",
                back=back,
            )
        if not secrets.compare_digest(form.get("token", ""), token):
            return page(
                "subscribed.html",
                db,
                401,
                error="口令不对：只有持有口令的审核人员可以添加网络回调订阅。",
                back=back,
            )
        try:
            body = SubscriptionCreate(
                name=form.get("name", "").strip() or "网页订阅",
                scope=Scope.COMMITMENT,
                value=commitment_id,
                webhook_url=form.get("webhook_url", "").strip() or None,
            )
        except ValidationError as exc:
            problems = "；".join(str(e.get("msg", "")) for e in exc.errors())
            return page("subscribed.html", db, 422, error=f"订阅信息有误：{problems}", back=back)
    with service.sessions.begin() as db:
        sub = stored.add_subscription(
            db, name=body.name, scope=body.scope.value, value=body.value,
            webhook_url=body.webhook_url,
        )  # fmt: skip
        base = str(request.base_url).rstrip("/")
        shown = {"id": sub.id, "name": sub.name, "webhook_url": sub.webhook_url,
                 "secret": sub.secret, "feed_url": base + feed_path(sub.feed_token)}  # fmt: skip
    with service.sessions() as db:
        return page("subscribed.html", db, 201, error=None, sub=shown, back=back)


@router.get("/changes", response_class=HTMLResponse)
def changes(request: Request, service: ServiceDep) -> HTMLResponse:
    raw = request.query_params.get("since", "").strip()
    notice = None
    try:
        since_day = date.fromisoformat(raw) if raw else None
    except ValueError:
        since_day, notice = None, f"日期“{raw[:20]}”无效，显示最近{CHANGES_DEFAULT_DAYS}天"
    since_day = since_day or today_in_china() - timedelta(days=CHANGES_DEFAULT_DAYS)
    since = datetime.combine(since_day, time(0), CHINA_TZ)
    with service.sessions() as db:
        status_changes = read_model.changes_since(db, since)
        new_evidence = read_model.evidence_since(db, since)
        texts = read_model.commitment_texts(db)
        return page(
            "changes.html",
            db,
            since=since_day,
            notice=notice,
            status_changes=status_changes,
            new_evidence=new_evidence,
            texts=texts,
        )


@router.get("/methodology", response_class=HTMLResponse)
def methodology(service: ServiceDep) -> HTMLResponse:
    settings = service.settings
    with service.sessions() as db:
        return page(
            "methodology.html",
            db,
            **methodology_context(
                stall_days=settings.stall_days,
                review_threshold=settings.review_threshold,
                today=today_in_china(),
            ),
            warc_dir_set=bool(settings.crawler_warc_dir),
        )


@router.get("/archive/{ref}", response_class=HTMLResponse)
def archive_page(ref: str, service: ServiceDep, index: WarcIndexDep) -> HTMLResponse:
    with service.sessions() as db:
        found = _find_archived(db, index, ref)
        if found is None:
            return not_found(
                db,
                f"没有找到“{ref}”的存档：它不是已知的证据或文章编号，或者抓取时没有存档"
                "（存档目录由 LUQIAO_CRAWLER_WARC_DIR 指定）。",
            )
        copy, rows = found
        body = read_body(copy)
        actual = sha256_of(body)
        return page(
            "archive.html",
            db,
            ref=ref,
            copy=copy,
            rows=rows,
            actual_sha256=actual,
            intact=actual == copy.html_sha256,
            text=page_text(body, copy.content_type),
            captured=copy.captured_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        )


@router.get("/archive/{ref}/page")
def archived_html(ref: str, service: ServiceDep, index: WarcIndexDep) -> Response:
    with service.sessions() as db:
        found = _find_archived(db, index, ref)
    if found is None:
        raise HTTPException(404, "no archived copy")
    copy, _rows = found
    return Response(
        sanitised_html(read_body(copy), copy.content_type),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": ARCHIVE_CSP,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "SAMEORIGIN",
            "Referrer-Policy": "no-referrer",
        },
    )


def _status_of(db: Session, commitment_id: str) -> str:
    auto = read_model.current_statuses(db).get(commitment_id)
    return auto.status if auto else "no_evidence"


def _copy_for(index: WarcIndex, row: EvidenceRow) -> ArchivedCopy | None:
    return index.find(url=row.url, article_id=row.article_id, html_sha256=row.html_sha256)


def _find_archived(
    db: Session, index: WarcIndex, ref: str
) -> tuple[ArchivedCopy, list[EvidenceRow]] | None:
    """`ref` is an evidence id (that revision's copy) or an article id (its newest)."""
    row = db.get(EvidenceRow, ref)
    if row is not None:
        copy = _copy_for(index, row)
        return (copy, [row]) if copy else None
    rows = read_model.article_evidence(db, ref)
    if rows:
        copy = index.find(url=rows[0].url, article_id=ref)
    else:
        copy = index.find(article_id=ref)
    return (copy, rows) if copy else None


def _review_counts(evidence: list[EvidenceRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in evidence:
        counts[e.review_state] = counts.get(e.review_state, 0) + 1
    return counts


def _target_bar(c: Commitment, item: dict[str, Any], today: date) -> TargetBar | None:
    if not c.targets:
        return None
    target = c.targets[0]
    ratio = item["progress_ratio"]
    done = ratio * target.value if ratio is not None and target.unit != "%" else None
    before_deadline = today <= c.deadline
    return TargetBar(
        done=done,
        target=target.value,
        unit=target.unit,
        metric=target.metric,
        ratio=ratio,
        expected=expected_progress(c, today) if before_deadline else None,
        months=elapsed_months(c.report.plan_year, today) if before_deadline else None,
    )


def _commitment_atom(c: Commitment, history: list[Any], base: str) -> bytes:
    """A public feed of one commitment's status changes (no token: the page is public)."""
    fg = FeedGenerator()
    fg.id(f"urn:luqiao:commitment:{c.id}")
    fg.title(f"路桥区承诺追踪：{c.text}")
    fg.subtitle(f"{c.report.plan_year}年工作报告 · {' › '.join(c.section)}")
    fg.author({"name": "luqiao-monitor"})
    fg.link(href=f"{base}/commitments/{c.id}/feed.atom", rel="self")
    fg.link(href=f"{base}/commitments/{c.id}", rel="alternate")
    fg.language("zh-CN")
    updated = [datetime(c.report.plan_year, 1, 1, tzinfo=CHINA_TZ)]
    for row in reversed(history):
        decided = row.decided_at.astimezone(CHINA_TZ)
        updated.append(decided)
        entry = fg.add_entry(order="append")
        entry.id(entry_id(row.status_event_id))
        entry.title(f"{c.text}：{status_label(row.status)}")
        entry.link(href=f"{base}/commitments/{c.id}", rel="alternate")
        entry.updated(decided)
        rule = RULES.get(row.rule)
        lines = [f"状态：{status_label(row.status)}（截至{row.as_of.isoformat()}）"]
        if rule is not None:
            lines.append(f"规则：{rule.title}（{row.rule}）")
        lines.extend(str(r) for r in row.reasons)
        entry.content("\n".join(lines), type="text")
    fg.updated(max(updated))
    return bytes(fg.atom_str(pretty=True))
