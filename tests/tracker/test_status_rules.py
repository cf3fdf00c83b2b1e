"""Every status rule, on dated evidence sequences kept in a data file, and the
properties that keep a status honest: no overdue without evidence after the
deadline, ongoing work never overdue, every reason in Chinese."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.catalog.model import Commitment
from services.events import CHINA_TZ, Figure, Progress, Stage
from services.tracker.status_rules import (
    RULES,
    CountedEvidence,
    Schedule,
    Status,
    decide,
    elapsed_months,
    expected_progress,
)
from tests.catalog_fixtures import mini_by_id

CASES = json.loads(
    (Path(__file__).parents[1] / "data/tracker/status_sequences.json").read_text("utf-8")
)


def _ratio(commitment: Commitment, done: float | None, percent: float | None) -> float | None:
    """The ratio the extractor would send for "done N (in the target's unit)" or
    "percent·100 % done", computed by the contract's own `Progress.toward`."""
    target = commitment.targets[0] if commitment.targets else None
    figures = []
    if done is not None:
        unit = target.unit if target else "个"
        figures.append(Figure(value=done, unit=unit, text="", role="done"))
    if percent is not None:
        figures.append(Figure(value=percent * 100, unit="%", text="", role="percent_done"))
    progress = Progress.toward(target, figures)
    return progress.ratio if progress else None


def _evidence(i: int, e: dict, commitment: Commitment) -> CountedEvidence:
    day = date.fromisoformat(e["date"])
    return CountedEvidence(
        evidence_id=f"e{i}",
        stage=Stage(e["stage"]),
        published_at=datetime.combine(day, time(9), CHINA_TZ),
        progress_ratio=_ratio(commitment, e.get("done"), e.get("percent")),
        regression_code=e.get("code"),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_status_sequence(case: dict) -> None:
    commitment = mini_by_id()[case["commitment"]]
    evidence = [_evidence(i, e, commitment) for i, e in enumerate(case["evidence"])]
    d = decide(
        commitment,
        evidence,
        date.fromisoformat(case["as_of"]),
        stall_days=90,
        restated_in_later_plan=case.get("restated", False),
    )
    assert d.status == Status(case["status"]), d.reasons
    assert d.rule == case["rule"], d.reasons
    if "schedule" in case:
        expected = case["schedule"]
        assert d.schedule == (Schedule(expected) if expected else None)
    if "progress" in case:
        assert d.progress_ratio == pytest.approx(case["progress"])
    if "expected" in case:
        assert d.expected_progress == pytest.approx(case["expected"], abs=1e-4)
    if "reason_contains" in case:
        assert case["reason_contains"] in " ".join(d.reasons), d.reasons
    assert d.reasons, "every decision says why"
    assert all(CJK.search(r) for r in d.reasons), d.reasons


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_status_and_every_rule_is_reached_by_the_cases() -> None:
    assert {Status(c["status"]) for c in CASES} == set(Status)
    assert {c["rule"] for c in CASES} == set(RULES)


def test_every_rule_is_explained_in_chinese() -> None:
    for rule in RULES.values():
        assert CJK.search(rule.title) and CJK.search(rule.explanation), rule.id


stages = st.sampled_from(list(Stage))
days = st.integers(min_value=0, max_value=700)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(stages, days), max_size=8), days)
def test_decision_ignores_evidence_from_the_future(seq: list, as_of_offset: int) -> None:
    c = mini_by_id()["t25-green-axis"]
    start = date(2025, 1, 1)
    as_of = start + timedelta(days=as_of_offset)
    evidence = [
        CountedEvidence(f"e{i}", s, datetime.combine(start + timedelta(days=d), time(9), CHINA_TZ))
        for i, (s, d) in enumerate(seq)
    ]
    known = [e for e in evidence if e.published_at.date() <= as_of]
    assert decide(c, evidence, as_of) == decide(c, known, as_of)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(stages, days), max_size=8), days)
def test_decision_is_order_independent_and_cites_known_evidence(
    seq: list, as_of_offset: int
) -> None:
    c = mini_by_id()["t25-old-housing"]
    start = date(2025, 1, 1)
    as_of = start + timedelta(days=as_of_offset)
    evidence = [
        CountedEvidence(
            f"e{i}",
            s,
            datetime.combine(start + timedelta(days=d), time(9), CHINA_TZ),
            progress_ratio=_ratio(c, float(i % 5), None),
        )
        for i, (s, d) in enumerate(seq)
    ]
    d1, d2 = decide(c, evidence, as_of), decide(c, list(reversed(evidence)), as_of)
    assert d1.status == d2.status
    known_ids = {e.evidence_id for e in evidence if e.published_at.date() <= as_of}
    assert set(d1.evidence_ids) <= known_ids
    if d1.progress_ratio is not None:
        assert 0.0 <= d1.progress_ratio <= 1.0


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["t25-green-axis", "t25-old-housing", "t25-science-park", "t24-green-axis"]),
    st.lists(st.tuples(stages, days), max_size=8),
    days,
    st.booleans(),
)
def test_overdue_only_on_evidence_after_the_deadline_and_never_for_ongoing_work(
    cid: str, seq: list, as_of_offset: int, restated: bool
) -> None:
    c = mini_by_id()[cid]
    start = date(c.report.plan_year, 1, 1)
    as_of = start + timedelta(days=as_of_offset)
    evidence = [
        CountedEvidence(f"e{i}", s, datetime.combine(start + timedelta(days=d), time(9), CHINA_TZ))
        for i, (s, d) in enumerate(seq)
    ]
    d = decide(c, evidence, as_of, restated_in_later_plan=restated)
    if d.status == Status.OVERDUE:
        assert c.kind != "ongoing"
        cited = [e for e in evidence if e.evidence_id in d.evidence_ids]
        assert cited and all(e.published_at.date() > c.deadline for e in cited)
        assert all(e.stage != Stage.COMPLETED for e in cited)
    if not [e for e in evidence if e.published_at.date() <= as_of]:
        # The next year's plan restating it is the catalog's evidence, not silence.
        assert d.status in (Status.NO_EVIDENCE, Status.CARRIED_OVER)
        assert d.status == Status.NO_EVIDENCE or (restated and c.kind != "ongoing")


@pytest.mark.parametrize(
    ("day", "months"),
    [("2024-12-31", 0), ("2025-01-01", 0), ("2025-01-31", 1), ("2025-02-28", 2),
     ("2025-07-02", 6), ("2025-11-29", 10), ("2025-11-30", 11), ("2025-12-31", 12),
     ("2026-03-01", 12)],
)  # fmt: skip
def test_elapsed_months_count_months_that_have_ended(day: str, months: int) -> None:
    assert elapsed_months(2025, date.fromisoformat(day)) == months


def test_expected_progress_is_elapsed_months_over_twelve() -> None:
    c = mini_by_id()["t25-old-housing"]
    assert expected_progress(c, date(2025, 1, 1)) == 0.0
    assert expected_progress(c, date(2025, 11, 30)) == pytest.approx(11 / 12)
    assert expected_progress(c, date(2026, 3, 1)) == 1.0
