"""Read-side queries shared by the API, the web pages, the metrics collector and the
exports, and the one version of the ledger their caches check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.orm import Session

from services.events import CHINA_TZ
from services.tracker.ledger.models import (
    COUNTING_REVIEW_STATES,
    CommitmentRow,
    CrawlReportRow,
    EvidenceRow,
    StatusRow,
)

LedgerVersion = tuple[object, ...]


def ledger_version(session: Session) -> LedgerVersion:
    """Changes whenever anything a reader shows could have changed: a status decision,
    a catalog sync, new or reviewed evidence, a crawl report. One round trip, so
    caches of derived views (the API's summaries, the metrics families) can check
    it on every request and every replica stays truthful without sharing memory."""
    parts = (
        select(func.max(StatusRow.id)),
        select(func.max(CommitmentRow.updated_at)),
        select(func.count()).select_from(CommitmentRow),
        select(func.count()).select_from(EvidenceRow),
        select(func.max(EvidenceRow.received_at)),
        select(func.max(EvidenceRow.reviewed_at)),
        select(func.max(CrawlReportRow.received_at)),
    )
    row = session.execute(select(*(part.scalar_subquery() for part in parts))).one()
    return tuple(row)


def current_statuses(session: Session, *, manual: bool = False) -> dict[str, StatusRow]:
    """The newest automatic (or manual) decision per commitment."""
    newest = (
        select(StatusRow.commitment_id, func.max(StatusRow.id).label("id"))
        .where(StatusRow.manual.is_(manual))
        .group_by(StatusRow.commitment_id)
        .subquery()
    )
    rows = session.scalars(select(StatusRow).join(newest, StatusRow.id == newest.c.id)).all()
    return {r.commitment_id: r for r in rows}


@dataclass(frozen=True)
class CurrentStatus:
    """What the metrics show of a commitment's newest automatic decision."""

    status: str
    progress_ratio: float | None


def current_status_values(session: Session) -> dict[str, CurrentStatus]:
    """`current_statuses` reduced to status and progress: no JSON columns read (a
    decision's evidence ids grow with the ledger)."""
    newest = (
        select(func.max(StatusRow.id))
        .where(StatusRow.manual.is_(False))
        .group_by(StatusRow.commitment_id)
    )
    rows = session.execute(
        select(StatusRow.commitment_id, StatusRow.status, StatusRow.progress_ratio).where(
            StatusRow.id.in_(newest)
        )
    )
    return {cid: CurrentStatus(status, ratio) for cid, status, ratio in rows}


def latest_evidence(session: Session) -> dict[str, dict[str, str]]:
    """Per commitment, the newest evidence that counts: its quote, link and date.

    The database picks one row per commitment (a window over the counting evidence):
    reading every counting row into Python to keep the last cost 300 ms at 50,000
    evidence, on every rebuild of the list. On equal publication times the greater
    evidence id wins, so the choice does not depend on the scan's order."""
    newest_first = func.row_number().over(
        partition_by=EvidenceRow.commitment_id,
        order_by=(EvidenceRow.published_at.desc(), EvidenceRow.evidence_id.desc()),
    )
    ranked = (
        select(
            EvidenceRow.commitment_id,
            EvidenceRow.quote,
            EvidenceRow.url,
            EvidenceRow.title,
            EvidenceRow.published_at,
            EvidenceRow.stage,
            newest_first.label("rank"),
        )
        .where(
            EvidenceRow.superseded_by.is_(None),
            EvidenceRow.review_state.in_(COUNTING_REVIEW_STATES),
        )
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rank == 1)).all()
    return {
        r.commitment_id: {
            "quote": r.quote,
            "url": r.url,
            "title": r.title,
            "published_at": r.published_at.astimezone(CHINA_TZ).date().isoformat(),
            "stage": r.stage,
        }
        for r in rows
    }


@dataclass(frozen=True)
class CrawlHealth:
    """What the page says about the crawler: the newest report, and the newest that
    succeeded (they differ when the last poll failed)."""

    last: CrawlReportRow | None
    last_ok: CrawlReportRow | None


def crawl_health(session: Session) -> CrawlHealth:
    def newest(*where: ColumnElement[bool]) -> CrawlReportRow | None:
        return session.scalars(
            select(CrawlReportRow)
            .where(*where)
            .order_by(CrawlReportRow.finished_at.desc(), CrawlReportRow.crawl_id.desc())
            .limit(1)
        ).first()

    return CrawlHealth(newest(), newest(CrawlReportRow.ok.is_(True)))


def web_items(session: Session, order: dict[str, int]) -> list[dict[str, Any]]:
    """Every live commitment with what the overview shows: current status (an
    auditor's manual status first), reasons, latest quote, whether figures exist."""
    auto, manual = current_statuses(session), current_statuses(session, manual=True)
    latest = latest_evidence(session)
    counts: dict[str, int] = {}
    with_figures: set[str] = set()
    for cid, figures in session.execute(
        select(EvidenceRow.commitment_id, EvidenceRow.figures).where(
            EvidenceRow.superseded_by.is_(None),
            EvidenceRow.review_state.in_(COUNTING_REVIEW_STATES),
        )
    ):
        counts[cid] = counts.get(cid, 0) + 1
        if figures:
            with_figures.add(cid)
    items: list[dict[str, Any]] = []
    for c in session.scalars(select(CommitmentRow).where(CommitmentRow.retired.is_(False))):
        a, m = auto.get(c.id), manual.get(c.id)
        items.append(
            {
                "id": c.id,
                "report": c.report_id,
                "plan_year": c.plan_year,
                "section": list(c.section),
                "section_top": c.section[0] if c.section else "",
                "text": c.text,
                "kind": c.kind,
                "deadline": c.deadline,
                "aliases": list(c.aliases),
                "targets": list(c.targets),
                "status": (m.status if m else None) or (a.status if a else "no_evidence"),
                "auto_status": a.status if a else "no_evidence",
                "manual": m,
                "rule": a.rule if a else "no_evidence",
                "reasons": list(a.reasons) if a else [],
                "schedule": a.schedule if a else None,
                "progress_ratio": a.progress_ratio if a else None,
                "latest_evidence": latest.get(c.id),
                "evidence_count": counts.get(c.id, 0),
                "has_figures": bool(c.targets) or c.id in with_figures,
            }
        )
    items.sort(key=lambda i: (-i["plan_year"], order.get(i["id"], len(order))))
    return items


def quote_hits(session: Session, q: str, limit_per_commitment: int = 3) -> dict[str, list[Any]]:
    """Evidence that counts whose quote or article title contains `q`, per commitment."""
    if not q:
        return {}
    rows = session.scalars(
        select(EvidenceRow)
        .where(
            EvidenceRow.superseded_by.is_(None),
            EvidenceRow.review_state.in_(COUNTING_REVIEW_STATES),
            or_(
                EvidenceRow.quote.contains(q, autoescape=True),
                EvidenceRow.title.contains(q, autoescape=True),
            ),
        )
        .order_by(EvidenceRow.published_at.desc())
    ).all()
    hits: dict[str, list[Any]] = {}
    for row in rows:
        found = hits.setdefault(row.commitment_id, [])
        if len(found) < limit_per_commitment:
            found.append(row)
    return hits


def evidence_of(
    session: Session, commitment_id: str, *, offset: int = 0, limit: int | None = None
) -> list[EvidenceRow]:
    """A commitment's evidence, newest first (all of it, or one page), including what
    does not count (pending, rejected, superseded): the readers say which is which."""
    return list(
        session.scalars(
            select(EvidenceRow)
            .where(EvidenceRow.commitment_id == commitment_id)
            .order_by(EvidenceRow.published_at.desc(), EvidenceRow.evidence_id)
            .offset(offset)
            .limit(limit)
        )
    )


def history_of(session: Session, commitment_id: str) -> list[StatusRow]:
    return list(
        session.scalars(
            select(StatusRow).where(StatusRow.commitment_id == commitment_id).order_by(StatusRow.id)
        )
    )


def changes_since(session: Session, since: datetime) -> list[tuple[StatusRow, str | None]]:
    """Automatic status decisions stored since `since`, each with the status before it."""
    rows = session.scalars(
        select(StatusRow)
        .where(StatusRow.manual.is_(False), StatusRow.decided_at >= since)
        .order_by(StatusRow.decided_at.desc(), StatusRow.id.desc())
    ).all()
    out: list[tuple[StatusRow, str | None]] = []
    for row in rows:
        before = session.scalar(
            select(StatusRow.status)
            .where(
                StatusRow.commitment_id == row.commitment_id,
                StatusRow.manual.is_(False),
                StatusRow.id < row.id,
            )
            .order_by(StatusRow.id.desc())
            .limit(1)
        )
        out.append((row, before))
    return out


def evidence_since(session: Session, since: datetime) -> list[EvidenceRow]:
    return list(
        session.scalars(
            select(EvidenceRow)
            .where(EvidenceRow.received_at >= since)
            .order_by(EvidenceRow.published_at.desc())
        )
    )


def evidence_count(session: Session, commitment_id: str) -> int:
    return (
        session.scalar(select(func.count()).where(EvidenceRow.commitment_id == commitment_id)) or 0
    )


def evidence_received(
    session: Session,
    *,
    since: datetime | None,
    review_state: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[EvidenceRow]]:
    """Evidence in the order it arrived, optionally since a time and in one review
    state: how many match, and one page of them (paged in SQL)."""
    stmt = select(EvidenceRow)
    if since is not None:
        stmt = stmt.where(EvidenceRow.received_at >= since)
    if review_state is not None:
        stmt = stmt.where(EvidenceRow.review_state == review_state)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(EvidenceRow.received_at, EvidenceRow.evidence_id).offset(offset).limit(limit)
    ).all()
    return total, list(rows)


def article_evidence(session: Session, article_id: str) -> list[EvidenceRow]:
    """Every revision's evidence from one article."""
    return list(session.scalars(select(EvidenceRow).where(EvidenceRow.article_id == article_id)))


def all_commitments(session: Session) -> list[CommitmentRow]:
    return list(session.scalars(select(CommitmentRow)))


def commitment_texts(session: Session) -> dict[str, str]:
    return {
        cid: text for cid, text in session.execute(select(CommitmentRow.id, CommitmentRow.text))
    }


def live_commitments(session: Session) -> list[CommitmentRow]:
    """The commitments still in the catalog."""
    return list(session.scalars(select(CommitmentRow).where(CommitmentRow.retired.is_(False))))


def live_commitment_labels(session: Session) -> list[Row[tuple[str, str, list[Any], date]]]:
    """id, report_id, section and deadline of the commitments still in the catalog:
    what the metrics label and count with, without the other JSON columns."""
    return list(
        session.execute(
            select(
                CommitmentRow.id,
                CommitmentRow.report_id,
                CommitmentRow.section,
                CommitmentRow.deadline,
            ).where(CommitmentRow.retired.is_(False))
        )
    )


@dataclass(frozen=True)
class EvidenceTally:
    """A commitment's live evidence as the metrics show it."""

    counted: int  # live evidence that counts (not pending, not rejected)
    newest: datetime | None  # publication time of the newest live evidence, any review state


def evidence_tally_per_commitment(session: Session) -> dict[str, EvidenceTally]:
    """How much live evidence counts, and when the newest live evidence was published,
    per commitment: one scan of the live evidence (two group-bys cost twice as much,
    ~55 ms each at 50,000 evidence, on every rebuild of /metrics)."""
    counting = EvidenceRow.review_state.in_(COUNTING_REVIEW_STATES)
    rows = session.execute(
        select(
            EvidenceRow.commitment_id,
            func.count().filter(counting),
            func.max(EvidenceRow.published_at),
        )
        .where(EvidenceRow.superseded_by.is_(None))
        .group_by(EvidenceRow.commitment_id)
    ).all()
    return {cid: EvidenceTally(counted, newest) for cid, counted, newest in rows}
