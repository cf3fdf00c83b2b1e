"""The evidence ledger and status store: every SQL statement of the tracker's
write path lives here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from services.catalog.model import Commitment
from services.events import (
    CHINA_TZ,
    CrawlReport,
    EvidenceFound,
    Stage,
    StatusChanged,
    status_event_id_for,
)
from services.tracker.ledger.models import (
    COUNTING_REVIEW_STATES,
    CommitmentRow,
    CrawlReportRow,
    EvidenceRow,
    ReviewState,
    StatusRow,
)
from services.tracker.status_rules import (
    RULES,
    CountedEvidence,
    Decision,
    decide,
)


def now() -> datetime:
    """China time, as the events (`StatusChanged.changed_at`) carry it; the columns
    store the same moment as UTC (`UtcDateTime`)."""
    return datetime.now(CHINA_TZ)


def sync_catalog(session: Session, commitments: Iterable[Commitment]) -> tuple[int, int]:
    """Upsert by id; a commitment no longer in the catalog is retired, never deleted."""
    seen: set[str] = set()
    stamp = now()
    existing = {row.id: row for row in session.scalars(select(CommitmentRow))}
    for c in commitments:
        seen.add(c.id)
        row = existing.get(c.id) or CommitmentRow(id=c.id)
        row.report_id = c.report.id
        row.plan_year = c.report.plan_year
        row.section = list(c.section)
        row.section_key = " › ".join(c.section)[:255]
        row.text = c.text
        row.kind = c.kind
        row.deadline = c.deadline
        row.targets = [t.model_dump() for t in c.targets]
        row.aliases = list(c.aliases)
        row.related = [r.model_dump() for r in c.related]
        row.retired = False
        row.updated_at = stamp
        session.add(row)
    retired = 0
    for cid, row in existing.items():
        if cid not in seen and not row.retired:
            row.retired = True
            row.updated_at = stamp
            retired += 1
    return len(seen), retired


def record_evidence_batch(
    session: Session, batch: Sequence[EvidenceFound], review_threshold: float
) -> list[EvidenceFound]:
    """Store each evidence once (idempotent on evidence_id) and return the new ones.

    A new revision of an article supersedes that article's earlier evidence on the
    same commitment; both rows stay. Two queries per batch, not per event: which
    ids exist, and which (commitment, article) pairs have live evidence.
    """
    ids = {ev.evidence_id for ev in batch}
    known = set(
        session.scalars(select(EvidenceRow.evidence_id).where(EvidenceRow.evidence_id.in_(ids)))
    )
    fresh: dict[str, EvidenceFound] = {}
    for ev in batch:
        if ev.evidence_id not in known and ev.evidence_id not in fresh:
            fresh[ev.evidence_id] = ev
    if not fresh:
        return []
    pairs = {(ev.commitment_id, ev.article_id) for ev in fresh.values()}
    live: dict[tuple[str, str], list[EvidenceRow]] = {}
    for row in session.scalars(
        select(EvidenceRow).where(
            tuple_(EvidenceRow.commitment_id, EvidenceRow.article_id).in_(pairs),
            EvidenceRow.superseded_by.is_(None),
        )
    ):
        live.setdefault((row.commitment_id, row.article_id), []).append(row)
    stamp = now()
    for ev in fresh.values():
        key = (ev.commitment_id, ev.article_id)
        for old in live.get(key, []):
            old.superseded_by = ev.evidence_id
        row = _evidence_row(ev, stamp, review_threshold)
        session.add(row)
        live[key] = [row]
    session.flush()
    return list(fresh.values())


def _evidence_row(ev: EvidenceFound, stamp: datetime, review_threshold: float) -> EvidenceRow:
    return EvidenceRow(
        evidence_id=ev.evidence_id,
        commitment_id=ev.commitment_id,
        article_id=ev.article_id,
        url=ev.url,
        title=ev.title,
        published_at=ev.published_at,
        quote=ev.quote,
        quote_start=ev.quote_start,
        quote_end=ev.quote_end,
        stage=ev.stage.value,
        figures=[f.model_dump() for f in ev.figures],
        confidence=ev.confidence,
        mentions=ev.mentions,
        reasons=list(ev.reasons),
        regression=ev.regression,
        progress=ev.progress.model_dump() if ev.progress else None,
        html_sha256=ev.html_sha256,
        extractor_version=ev.extractor_version,
        received_at=stamp,
        review_state=(
            ReviewState.AUTO if ev.confidence >= review_threshold else ReviewState.PENDING
        ),
    )


def _as_counted(row: EvidenceRow) -> CountedEvidence:
    """The stored evidence as the status rules read it: typed fields of the event
    (v2, or a v1 upgraded on arrival), never re-read from figures or reasons."""
    ratio = row.progress.get("ratio") if row.progress else None
    # The rules count calendar days in the district's zone (published on the 5th, Luqiao time).
    published = row.published_at.astimezone(CHINA_TZ)
    return CountedEvidence(row.evidence_id, Stage(row.stage), published, ratio, row.regression)


def counted_evidence(session: Session, commitment: Commitment) -> list[CountedEvidence]:
    rows = session.scalars(
        select(EvidenceRow).where(
            EvidenceRow.commitment_id == commitment.id,
            EvidenceRow.superseded_by.is_(None),
            EvidenceRow.review_state.in_(COUNTING_REVIEW_STATES),
        )
    ).all()
    return [_as_counted(r) for r in rows]


def latest_status(
    session: Session, commitment_id: str, *, manual: bool = False
) -> StatusRow | None:
    return session.scalars(
        select(StatusRow)
        .where(StatusRow.commitment_id == commitment_id, StatusRow.manual.is_(manual))
        .order_by(StatusRow.id.desc())
        .limit(1)
    ).first()


def is_restated_later(commitment: Commitment) -> bool:
    return any(r.relation == "restated_in" for r in commitment.related)


def evaluate(
    session: Session, commitment: Commitment, as_of: date, *, stall_days: int
) -> StatusChanged | None:
    """Decide the status and store it when it changed; returns the change event."""
    decision = decide(
        commitment,
        counted_evidence(session, commitment),
        as_of,
        stall_days=stall_days,
        restated_in_later_plan=is_restated_later(commitment),
    )
    previous = latest_status(session, commitment.id)
    # A new rule with the same status is stored too (e.g. "no new report for months"):
    # the history then tells why the reasons changed; so is a newly reported share of
    # the target (3 of 4 reported while the status stays 转入下年). A decision stored by an older
    # rule set (unknown rule id, reasons not yet in Chinese) is decided again once.
    if (
        previous is not None
        and not _stored_by_older_rules(previous)
        and (previous.status, previous.schedule, previous.rule, previous.progress_ratio)
        == (
            decision.status.value,
            decision.schedule.value if decision.schedule else None,
            decision.rule,
            decision.progress_ratio,
        )
    ):
        return None
    return _store_decision(session, commitment.id, decision, as_of, previous)


def _stored_by_older_rules(row: StatusRow) -> bool:
    return row.rule not in RULES or not any(
        isinstance(r, str) and any("\u4e00" <= ch <= "\u9fff" for ch in r) for r in row.reasons
    )


def _store_decision(
    session: Session, commitment_id: str, d: Decision, as_of: date, previous: StatusRow | None
) -> StatusChanged | None:
    basis = f"{d.rule}|{d.schedule}|{','.join(sorted(d.evidence_ids))}"
    event_id = status_event_id_for(commitment_id, d.status.value, as_of, basis)
    exists = session.scalar(select(func.count()).where(StatusRow.status_event_id == event_id))
    if exists:
        return None
    stamp = now()
    session.add(
        StatusRow(
            commitment_id=commitment_id,
            status=d.status.value,
            schedule=d.schedule.value if d.schedule else None,
            progress_ratio=d.progress_ratio,
            as_of=as_of,
            rule=d.rule,
            reasons=d.reasons,
            evidence_ids=d.evidence_ids,
            manual=False,
            status_event_id=event_id,
            decided_at=stamp,
        )
    )
    session.flush()
    return StatusChanged(
        status_event_id=event_id,
        commitment_id=commitment_id,
        old_status=previous.status if previous else None,
        new_status=d.status.value,
        as_of=as_of,
        reasons=[f"rule:{d.rule}", *d.reasons],
        schedule=d.schedule.value if d.schedule else None,
        changed_at=stamp,
    )


def record_review(
    session: Session,
    commitment_id: str,
    evidence_id: str,
    confirmed: bool,
    reviewer: str,
    note: str,
) -> None:
    """An auditor's decision on queued evidence; kept with who decided and when."""
    row = session.get(EvidenceRow, evidence_id)
    if row is None or row.commitment_id != commitment_id:
        raise LookupError(f"no evidence {evidence_id!r} on commitment {commitment_id!r}")
    row.review_state = ReviewState.CONFIRMED if confirmed else ReviewState.REJECTED
    row.reviewer, row.review_note, row.reviewed_at = reviewer, note, now()


def record_manual_status(
    session: Session, commitment_id: str, status: str, reviewer: str, note: str, as_of: date
) -> StatusChanged:
    """A status set by hand: stored beside the automatic one, never replacing it."""
    stamp = now()
    previous = latest_status(session, commitment_id, manual=True)
    event_id = status_event_id_for(
        commitment_id, status, as_of, f"manual|{reviewer}|{stamp.isoformat()}"
    )
    session.add(
        StatusRow(
            commitment_id=commitment_id, status=status, schedule=None, progress_ratio=None,
            as_of=as_of, rule="manual", reasons=[note or "set by auditor"], evidence_ids=[],
            manual=True, set_by=reviewer, status_event_id=event_id, decided_at=stamp,
        )
    )  # fmt: skip
    return StatusChanged(
        status_event_id=event_id,
        commitment_id=commitment_id,
        old_status=previous.status if previous else None,
        new_status=status,
        as_of=as_of,
        reasons=[f"manual:{reviewer}", note],
        changed_at=stamp,
    )


def record_crawl_report(session: Session, report: CrawlReport, *, keep: int) -> None:
    """Store a crawl report once (a replay changes nothing) and keep the newest `keep`."""
    if session.get(CrawlReportRow, report.crawl_id) is None:
        session.add(
            CrawlReportRow(
                crawl_id=report.crawl_id, site_url=report.site_url,
                started_at=report.started_at, finished_at=report.finished_at, ok=report.ok,
                articles_seen=report.articles_seen, articles_published=report.articles_published,
                errors=report.errors, last_error=report.last_error,
                columns=[c.model_dump() for c in report.columns], received_at=now(),
            )
        )  # fmt: skip
        session.flush()
    stale = session.scalars(
        select(CrawlReportRow.crawl_id)
        .order_by(CrawlReportRow.finished_at.desc(), CrawlReportRow.crawl_id)
        .offset(keep)
    ).all()
    if stale:
        session.execute(delete(CrawlReportRow).where(CrawlReportRow.crawl_id.in_(stale)))
