"""The ledger on a real database (SQLite and PostgreSQL): idempotency, corrections,
the review queue, retirement, and statuses from the first run."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from services.events import Stage
from services.tracker.ledger.models import CommitmentRow, EvidenceRow, StatusRow
from services.tracker.service import TrackerService
from tests.catalog_fixtures import mini_catalog
from tests.tracker.evidence_factory import make_evidence, report_unfinished_after_deadline

URL = "https://www.luqiao.gov.cn/art/2025/6/1/art_1229_1.html"


def _count(tracker: TrackerService, model: type) -> int:
    with tracker.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_first_run_after_the_deadlines_finds_no_evidence_not_overdue(
    tracker: TrackerService,
) -> None:
    """Silence is not a verdict: without evidence nothing is overdue, even past its deadline."""
    changes = tracker.start(as_of=date(2026, 1, 15))
    assert {c.new_status for c in changes} == {"no_evidence"}
    assert len(changes) == len(mini_catalog())
    assert all("rule:no_evidence" in c.reasons for c in changes)


def test_a_report_after_the_deadline_that_the_work_goes_on_makes_it_overdue(
    tracker: TrackerService,
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    report_unfinished_after_deadline(tracker, ("t25-green-axis", "t24-green-axis"))
    changes = tracker.reevaluate(as_of=date(2026, 1, 15))
    by_id = {c.commitment_id: c for c in changes}
    assert by_id["t25-green-axis"].new_status == "overdue"
    assert "rule:unfinished_after_deadline" in by_id["t25-green-axis"].reasons
    # The 2024 one is ongoing work (加快…建设): it has no finish line.
    assert by_id["t24-green-axis"].new_status == "ongoing"


def test_evidence_is_stored_once_and_a_replay_changes_nothing(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    ev = make_evidence("t25-green-axis", URL, "2025-06-01", Stage.COMPLETED)
    first = tracker.handle_batch([ev], as_of=date(2025, 6, 2))
    replay = tracker.handle_batch([ev, ev], as_of=date(2025, 6, 2))
    assert [c.new_status for c in first] == ["achieved"]
    assert replay == []
    assert _count(tracker, EvidenceRow) == 1


def test_a_corrected_article_supersedes_its_own_evidence_and_keeps_both(
    tracker: TrackerService,
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    before = make_evidence("t25-green-axis", URL, "2025-06-01", Stage.COMPLETED, revision="r1")
    after = make_evidence(
        "t25-green-axis",
        URL,
        "2025-06-01",
        Stage.DELAYED,
        revision="r2",
        regression="延期",
    )
    tracker.handle_batch([before], as_of=date(2025, 6, 2))
    changes = tracker.handle_batch([after], as_of=date(2025, 6, 3))
    with tracker.sessions() as s:
        rows = {r.evidence_id: r for r in s.scalars(select(EvidenceRow))}
    assert rows[before.evidence_id].superseded_by == after.evidence_id
    assert rows[after.evidence_id].superseded_by is None
    assert [c.new_status for c in changes] == ["stalled"]
    assert "rule:delay_reported" in changes[0].reasons
    assert any("延期" in r for r in changes[0].reasons)


def test_low_confidence_evidence_waits_for_review_then_counts(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    ev = make_evidence("t25-green-axis", URL, "2025-06-01", Stage.COMPLETED, confidence=0.4)
    assert tracker.handle_batch([ev], as_of=date(2025, 6, 2)) == []
    changes = tracker.review("t25-green-axis", "confirm", "auditor-wang", "checked on site",
                            evidence_id=ev.evidence_id, status=None, as_of=date(2025, 6, 2))  # fmt: skip
    assert [c.new_status for c in changes] == ["achieved"]
    with tracker.sessions() as s:
        row = s.get(EvidenceRow, ev.evidence_id)
        assert (
            row is not None and row.review_state == "confirmed" and row.reviewer == "auditor-wang"
        )


def test_quantitative_progress_is_compared_with_the_target(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    ev = make_evidence("t25-old-housing", URL, "2025-06-01", Stage.IN_PROGRESS, done=3)
    [change] = tracker.handle_batch([ev], as_of=date(2025, 6, 30))
    assert change.new_status == "in_progress" and change.schedule == "超进度"
    with tracker.sessions() as s:
        latest = s.scalars(select(StatusRow).order_by(StatusRow.id.desc())).first()
        assert latest is not None and latest.progress_ratio == 0.75


def test_a_removed_commitment_is_retired_not_deleted(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    tracker.handle_batch(
        [make_evidence("t25-school", URL, "2025-06-01", Stage.STARTED)], as_of=date(2025, 6, 2)
    )
    tracker.catalog.pop("t25-school")
    tracker.start(as_of=date(2025, 6, 3))
    with tracker.sessions() as s:
        row = s.get(CommitmentRow, "t25-school")
        assert row is not None and row.retired
    assert _count(tracker, EvidenceRow) == 1


def test_manual_status_is_kept_beside_the_automatic_one(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    tracker.review("t25-gdp", "set_status", "auditor-li", "statistics bureau figure", evidence_id=None,
                   status="achieved", as_of=date(2025, 6, 2))  # fmt: skip
    with tracker.sessions() as s:
        rows = s.scalars(select(StatusRow).where(StatusRow.commitment_id == "t25-gdp")).all()
    assert {(r.status, r.manual) for r in rows} == {("no_evidence", False), ("achieved", True)}


def test_metrics_follow_a_review_decision(tracker: TrackerService) -> None:
    """The scrape is cached between ledger changes; a review is such a change."""
    from prometheus_client import CollectorRegistry, generate_latest

    from services.tracker.metrics import LedgerCollector

    registry = CollectorRegistry()
    registry.register(LedgerCollector(tracker.sessions))
    tracker.start(as_of=date(2025, 6, 1))
    ev = make_evidence("t25-green-axis", URL, "2025-06-01", Stage.COMPLETED, confidence=0.4)
    tracker.handle_batch([ev], as_of=date(2025, 6, 2))
    line = 'luqiao_commitment_evidence_count{commitment_id="t25-green-axis",report="luqiao-2025"}'
    assert f"{line} 0.0" in generate_latest(registry).decode()
    tracker.review("t25-green-axis", "confirm", "auditor", "", evidence_id=ev.evidence_id,
                   status=None, as_of=date(2025, 6, 2))  # fmt: skip
    assert f"{line} 1.0" in generate_latest(registry).decode()


def test_one_batch_with_a_duplicate_and_two_revisions(tracker: TrackerService) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    r1 = make_evidence("t25-green-axis", URL, "2025-06-01", Stage.IN_PROGRESS, revision="r1")
    r2 = make_evidence("t25-green-axis", URL, "2025-06-01", Stage.COMPLETED, revision="r2")
    other = make_evidence("t25-school", URL, "2025-06-01", Stage.STARTED)
    changes = tracker.handle_batch([r1, r1, r2, other], as_of=date(2025, 6, 2))
    with tracker.sessions() as s:
        rows = {r.evidence_id: r for r in s.scalars(select(EvidenceRow))}
    assert len(rows) == 3
    assert rows[r1.evidence_id].superseded_by == r2.evidence_id
    assert (
        rows[r2.evidence_id].superseded_by is None and rows[other.evidence_id].superseded_by is None
    )
    assert sorted(c.commitment_id for c in changes) == ["t25-green-axis", "t25-school"]


def test_decisions_of_the_older_rules_are_decided_again_once(tracker: TrackerService) -> None:
    """A ledger written before the reasons were Chinese (and "overdue" meant only a passed
    deadline) is re-decided on the next pass, then left alone."""
    tracker.start(as_of=date(2025, 6, 1))
    with tracker.sessions.begin() as s:
        for cid, status, rule, reason in (
            ("t25-green-axis", "overdue", "deadline_passed", "deadline 2025-12-31 passed"),
            ("t25-gdp", "no_evidence", "no_evidence", "no evidence found"),
        ):
            s.add(StatusRow(
                commitment_id=cid, status=status, schedule=None, progress_ratio=None,
                as_of=date(2026, 1, 2), rule=rule, reasons=[reason], evidence_ids=[],
                manual=False, status_event_id=f"legacy-{cid}", decided_at=datetime.now(UTC),
            ))  # fmt: skip
    changes = {c.commitment_id: c for c in tracker.reevaluate(as_of=date(2026, 1, 15))}
    assert set(changes) == {"t25-green-axis", "t25-gdp"}
    assert changes["t25-green-axis"].new_status == "no_evidence"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c.reasons[1]) for c in changes.values())
    assert tracker.reevaluate(as_of=date(2026, 1, 16)) == []
