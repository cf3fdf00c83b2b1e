"""The evidence ledger and status store: every SQL statement of the tracker's
write path lives here."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
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
from services.tracker.ledger.bulk import insert_new, one_of
from services.tracker.ledger.models import (
    COUNTING_REVIEW_STATES,
    Base,
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
    """Store each evidence once and return the new ones, in batch order.

    Set-based (`bulk.insert_new`): one ``INSERT … ON CONFLICT (evidence_id) DO NOTHING
    … RETURNING`` for the batch, so the ledger's primary key stays the exactly-once guard (a redelivered
    batch inserts nothing and returns nothing, whichever replica stored it first).
    A new revision of an article supersedes that article's earlier evidence on the
    same commitment; both rows stay: one query finds the live ones, one
    ``UPDATE`` (executemany) points them at their successor, only when there are any.
    """
    unique: dict[str, EvidenceFound] = {}
    for ev in batch:
        unique.setdefault(ev.evidence_id, ev)
    if not unique:
        return []
    stamp = now()
    values = [_evidence_values(ev, stamp, review_threshold) for ev in unique.values()]
    inserted = insert_new(session, _table(EvidenceRow), values, "evidence_id")
    new = [ev for eid, ev in unique.items() if eid in inserted]
    if new:
        _supersede_earlier_revisions(session, new)
    return new


def _table(model: type[Base]) -> Table:
    """The model's Core table, for statements that need no ORM objects."""
    return cast(Table, model.__table__)


def _supersede_earlier_revisions(session: Session, new: list[EvidenceFound]) -> None:
    """Within a (commitment, article) pair the stored live evidence is superseded by
    the batch's first new one, and each new one by the next of the batch."""
    by_pair: dict[tuple[str, str], list[str]] = {}
    for ev in new:
        by_pair.setdefault((ev.commitment_id, ev.article_id), []).append(ev.evidence_id)
    new_ids = {ev.evidence_id for ev in new}
    successor: list[dict[str, str]] = []
    for cid, aid, eid in session.execute(
        select(EvidenceRow.commitment_id, EvidenceRow.article_id, EvidenceRow.evidence_id).where(
            one_of(session, EvidenceRow.article_id, {aid for _, aid in by_pair}),
            EvidenceRow.superseded_by.is_(None),
        )
    ):
        if eid not in new_ids and (cid, aid) in by_pair:
            successor.append({"old": eid, "new": by_pair[(cid, aid)][0]})
    for ids in by_pair.values():
        successor.extend({"old": a, "new": b} for a, b in zip(ids, ids[1:], strict=False))
    if successor:
        table = _table(EvidenceRow)
        session.execute(
            update(table)
            .where(table.c.evidence_id == bindparam("old"))
            .values(superseded_by=bindparam("new")),
            successor,
        )


def _evidence_values(ev: EvidenceFound, stamp: datetime, review_threshold: float) -> dict[str, Any]:
    """One row of the evidence table (every column: the multi-row INSERT needs them all)."""
    return {
        "evidence_id": ev.evidence_id,
        "commitment_id": ev.commitment_id,
        "article_id": ev.article_id,
        "url": ev.url,
        "title": ev.title,
        "published_at": ev.published_at,
        "quote": ev.quote,
        "quote_start": ev.quote_start,
        "quote_end": ev.quote_end,
        "stage": ev.stage.value,
        "figures": [f.model_dump() for f in ev.figures],
        "confidence": ev.confidence,
        "mentions": ev.mentions,
        "reasons": list(ev.reasons),
        "regression": ev.regression,
        "progress": ev.progress.model_dump() if ev.progress else None,
        "html_sha256": ev.html_sha256,
        "extractor_version": ev.extractor_version,
        "received_at": stamp,
        "superseded_by": None,
        "review_state": (
            ReviewState.AUTO if ev.confidence >= review_threshold else ReviewState.PENDING
        ).value,
        "reviewer": None,
        "review_note": None,
        "reviewed_at": None,
    }


def _as_counted(
    evidence_id: str,
    stage: str,
    published_at: datetime,
    ratio: float | None,
    regression: str | None,
) -> CountedEvidence:
    """The stored evidence as the status rules read it: typed fields of the event
    (v2, or a v1 upgraded on arrival), never re-read from figures or reasons. The
    ratio is `progress.ratio`, read by the database (no JSON decoded here). The rules
    count calendar days in the district's zone (published on the 5th, Luqiao time)."""
    return CountedEvidence(
        evidence_id, _STAGES[stage], published_at.astimezone(CHINA_TZ), ratio, regression
    )


_STAGES = {stage.value: stage for stage in Stage}  # a dict look-up, not Enum's __call__


def counted_evidence_of(
    session: Session, commitment_ids: Collection[str]
) -> dict[str, list[CountedEvidence]]:
    """The evidence that counts of these commitments, in one query (only the columns
    the rules read)."""
    out: dict[str, list[CountedEvidence]] = {cid: [] for cid in commitment_ids}
    for cid, *fields in session.execute(
        select(
            EvidenceRow.commitment_id,
            EvidenceRow.evidence_id,
            EvidenceRow.stage,
            EvidenceRow.published_at,
            EvidenceRow.progress["ratio"].as_float(),
            EvidenceRow.regression,
        ).where(
            one_of(session, EvidenceRow.commitment_id, commitment_ids),
            EvidenceRow.superseded_by.is_(None),
            EvidenceRow.review_state.in_(COUNTING_REVIEW_STATES),
        )
    ):
        out[cid].append(_as_counted(*fields))
    return out


def counted_evidence(session: Session, commitment: Commitment) -> list[CountedEvidence]:
    return counted_evidence_of(session, [commitment.id])[commitment.id]


def latest_status(
    session: Session, commitment_id: str, *, manual: bool = False
) -> StatusRow | None:
    return session.scalars(
        select(StatusRow)
        .where(StatusRow.commitment_id == commitment_id, StatusRow.manual.is_(manual))
        .order_by(StatusRow.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class StoredDecision:
    """What a new decision is compared with: the newest automatic one's outcome."""

    status: str
    schedule: str | None
    rule: str
    progress_ratio: float | None
    reasons: list[Any]


def latest_decisions(
    session: Session, commitment_ids: Collection[str]
) -> dict[str, StoredDecision]:
    """The newest automatic decision of each of these commitments, in one query."""
    newest = (
        select(func.max(StatusRow.id))
        .where(
            StatusRow.manual.is_(False), one_of(session, StatusRow.commitment_id, commitment_ids)
        )
        .group_by(StatusRow.commitment_id)
    )
    rows = session.execute(
        select(
            StatusRow.commitment_id,
            StatusRow.status,
            StatusRow.schedule,
            StatusRow.rule,
            StatusRow.progress_ratio,
            StatusRow.reasons,
        ).where(StatusRow.id.in_(newest))
    )
    return {cid: StoredDecision(*fields) for cid, *fields in rows}


def is_restated_later(commitment: Commitment) -> bool:
    return any(r.relation == "restated_in" for r in commitment.related)


def evaluate(
    session: Session, commitment: Commitment, as_of: date, *, stall_days: int
) -> StatusChanged | None:
    """Decide one commitment's status and store it when it changed."""
    changes = evaluate_many(session, [commitment], as_of, stall_days=stall_days)
    return changes[0] if changes else None


def evaluate_many(
    session: Session, commitments: Sequence[Commitment], as_of: date, *, stall_days: int
) -> list[StatusChanged]:
    """Decide each commitment's status once and store those that changed; returns the
    change events in the order of `commitments`.

    Set-based whatever the number of commitments: one query for their counted
    evidence, one for their newest decisions, one INSERT for the changed ones.
    """
    if not commitments:
        return []
    ids = [c.id for c in commitments]
    evidence = counted_evidence_of(session, ids)
    previous = latest_decisions(session, ids)
    changed: list[tuple[str, Decision, StoredDecision | None]] = []
    for commitment in commitments:
        decision = decide(
            commitment,
            evidence[commitment.id],
            as_of,
            stall_days=stall_days,
            restated_in_later_plan=is_restated_later(commitment),
        )
        before = previous.get(commitment.id)
        if before is None or _differs(before, decision):
            changed.append((commitment.id, decision, before))
    return _store_decisions(session, changed, as_of)


def _differs(before: StoredDecision, decision: Decision) -> bool:
    """A new rule with the same status is stored too (e.g. "no new report for months"):
    the history then tells why the reasons changed; so is a newly reported share of
    the target (3 of 4 reported while the status stays 转入下年). A decision stored by an
    older rule set (unknown rule id, reasons not yet in Chinese) is decided again once."""
    return _stored_by_older_rules(before) or (
        before.status,
        before.schedule,
        before.rule,
        before.progress_ratio,
    ) != (
        decision.status.value,
        decision.schedule.value if decision.schedule else None,
        decision.rule,
        decision.progress_ratio,
    )


def _stored_by_older_rules(row: StoredDecision) -> bool:
    return row.rule not in RULES or not any(
        isinstance(r, str) and any("\u4e00" <= ch <= "\u9fff" for ch in r) for r in row.reasons
    )


def _store_decisions(
    session: Session,
    changed: list[tuple[str, Decision, StoredDecision | None]],
    as_of: date,
) -> list[StatusChanged]:
    """One ``INSERT … ON CONFLICT (status_event_id) DO NOTHING … RETURNING`` for the
    changed decisions: the deterministic event id makes a decision already stored (a
    replay, or another replica) insert nothing and announce nothing."""
    if not changed:
        return []
    stamp = now()
    rows: list[dict[str, Any]] = []
    events: list[StatusChanged] = []
    for commitment_id, d, before in changed:
        basis = f"{d.rule}|{d.schedule}|{','.join(sorted(d.evidence_ids))}"
        event_id = status_event_id_for(commitment_id, d.status.value, as_of, basis)
        schedule = d.schedule.value if d.schedule else None
        rows.append(
            {
                "commitment_id": commitment_id, "status": d.status.value, "schedule": schedule,
                "progress_ratio": d.progress_ratio, "as_of": as_of, "rule": d.rule,
                "reasons": d.reasons, "evidence_ids": d.evidence_ids, "manual": False,
                "set_by": None, "status_event_id": event_id, "decided_at": stamp,
            }
        )  # fmt: skip
        events.append(
            StatusChanged(
                status_event_id=event_id,
                commitment_id=commitment_id,
                old_status=before.status if before else None,
                new_status=d.status.value,
                as_of=as_of,
                reasons=[f"rule:{d.rule}", *d.reasons],
                schedule=schedule,
                changed_at=stamp,
            )
        )
    stored = insert_new(session, _table(StatusRow), rows, "status_event_id")
    return [e for e in events if e.status_event_id in stored]


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
