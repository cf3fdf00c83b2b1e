"""One time convention (SQLite and PostgreSQL): every moment is stored as UTC and
read back aware; China time only where it is shown or where a day is counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select, text

from services.events import CHINA_TZ, EvidenceFound, Stage
from services.tracker.api.main import create_api
from services.tracker.ledger.models import EvidenceRow, StatusRow
from services.tracker.metrics import LedgerCollector
from services.tracker.service import TrackerService
from tests.tracker.evidence_factory import make_evidence

URL = "https://www.luqiao.gov.cn/art/2025/6/2/art_1229_7.html"
# 07:15 in Luqiao on 2 June is still 1 June in UTC: the day a time zone decides.
EARLY_MORNING = datetime(2025, 6, 2, 7, 15, tzinfo=CHINA_TZ)


def _early_evidence() -> EvidenceFound:
    ev = make_evidence("t25-green-axis", URL, "2025-06-02", Stage.COMPLETED)
    return ev.model_copy(update={"published_at": EARLY_MORNING})


def _current_status(tracker: TrackerService) -> str:
    with tracker.sessions() as s:
        row = s.scalars(
            select(StatusRow)
            .where(StatusRow.commitment_id == "t25-green-axis")
            .order_by(StatusRow.id.desc())
        ).first()
    assert row is not None
    return row.status


def test_evidence_counts_from_its_day_in_luqiao_not_its_day_in_utc(
    tracker: TrackerService,
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    tracker.handle_batch([_early_evidence()], as_of=date(2025, 6, 1))
    assert _current_status(tracker) == "no_evidence"  # published tomorrow, Luqiao time
    tracker.reevaluate(as_of=date(2025, 6, 2))
    assert _current_status(tracker) == "achieved"


def test_times_are_stored_as_utc_read_back_aware_and_sent_in_china_time(
    tracker: TrackerService,
) -> None:
    tracker.start(as_of=date(2025, 6, 1))
    tracker.handle_batch([_early_evidence()], as_of=date(2025, 6, 2))
    with tracker.sessions() as s:
        row = s.scalars(select(EvidenceRow)).one()
        raw = s.execute(text("SELECT published_at FROM evidence")).scalar_one()
    assert row.published_at == EARLY_MORNING and row.published_at.utcoffset() == timedelta(0)
    assert row.received_at.tzinfo is not None and row.received_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - row.received_at) < timedelta(minutes=5)
    if isinstance(raw, str):  # SQLite keeps a wall time: it is UTC's
        assert raw.startswith("2025-06-01 23:15:00")
    else:
        assert raw == EARLY_MORNING
    with TestClient(create_api(tracker)) as client:
        sent = client.get("/api/evidence").json()["items"][0]
    assert sent["published_at"] == "2025-06-02T07:15:00+08:00"
    assert datetime.fromisoformat(sent["received_at"]).utcoffset() == timedelta(hours=8)


def test_the_newest_evidence_metric_is_the_instant_it_was_published(
    tracker: TrackerService,
) -> None:
    registry = CollectorRegistry()
    registry.register(LedgerCollector(tracker.sessions))
    tracker.start(as_of=date(2025, 6, 1))
    tracker.handle_batch([_early_evidence()], as_of=date(2025, 6, 2))
    line = next(
        x
        for x in generate_latest(registry).decode().splitlines()
        if x.startswith("luqiao_commitment_last_evidence_timestamp_seconds{")
        and 'commitment_id="t25-green-axis"' in x
    )
    assert float(line.rsplit(" ", 1)[1]) == EARLY_MORNING.timestamp()
