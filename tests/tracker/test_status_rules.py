"""Every status rule, on dated evidence sequences kept in a data file."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.events import CHINA_TZ, Stage
from services.tracker.status_rules import (
    CountedEvidence,
    Schedule,
    Status,
    decide,
    expected_progress,
)
from tests.catalog_fixtures import mini_by_id

CASES = json.loads(
    (Path(__file__).parents[1] / "data/tracker/status_sequences.json").read_text("utf-8")
)


def _evidence(i: int, e: dict) -> CountedEvidence:
    day = date.fromisoformat(e["date"])
    return CountedEvidence(
        evidence_id=f"e{i}",
        stage=Stage(e["stage"]),
        published_at=datetime.combine(day, time(9), CHINA_TZ),
        done_value=e.get("done"),
        percent_done=e.get("percent"),
        regression_code=e.get("code"),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_status_sequence(case: dict) -> None:
    commitment = mini_by_id()[case["commitment"]]
    evidence = [_evidence(i, e) for i, e in enumerate(case["evidence"])]
    d = decide(
        commitment,
        evidence,
        date.fromisoformat(case["as_of"]),
        stall_days=90,
        restated_in_later_plan=case.get("restated", False),
    )
    assert d.status == Status(case["status"]), d.reasons
    if "rule" in case:
        assert d.rule == case["rule"]
    if "schedule" in case:
        assert d.schedule == Schedule(case["schedule"])
    if "progress" in case:
        assert d.progress_ratio == pytest.approx(case["progress"])
    assert d.reasons, "every decision says why"


def test_every_status_is_reachable_from_the_cases() -> None:
    assert {Status(c["status"]) for c in CASES} == set(Status)


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
            done_value=float(i % 5),
        )
        for i, (s, d) in enumerate(seq)
    ]
    d1, d2 = decide(c, evidence, as_of), decide(c, list(reversed(evidence)), as_of)
    assert d1.status == d2.status
    known_ids = {e.evidence_id for e in evidence if e.published_at.date() <= as_of}
    assert set(d1.evidence_ids) <= known_ids
    if as_of > c.deadline:
        assert d1.status not in (Status.IN_PROGRESS, Status.NO_EVIDENCE, Status.PLANNED_ONLY)
    if d1.progress_ratio is not None:
        assert 0.0 <= d1.progress_ratio <= 1.0


def test_expected_progress_is_pro_rata_over_the_plan_year() -> None:
    c = mini_by_id()["t25-old-housing"]
    assert expected_progress(c, date(2025, 1, 1)) == 0.0
    assert expected_progress(c, date(2025, 7, 2)) == pytest.approx(0.5, abs=0.01)
    assert expected_progress(c, date(2026, 3, 1)) == 1.0
