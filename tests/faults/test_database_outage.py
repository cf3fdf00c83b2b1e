"""A database outage while the tracker consumes: nothing is lost, nothing doubled.

The tracker's batch raises while PostgreSQL is down, so its offsets are not
committed and the batch comes back; once the database is up again every
evidence is stored exactly once, and /readyz says so in between.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer
from sqlalchemy import create_engine, func, select

from services.catalog import load_catalog
from services.events import Stage
from services.tracker.app import build_tracker_api
from services.tracker.ledger.models import EvidenceRow
from services.tracker.settings import TrackerSettings
from tests.infra.kafka_topics import bus_settings_overrides
from tests.infra.postgres_server import start_server, stop_server
from tests.live_server import serving
from tests.tracker.evidence_factory import make_evidence

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def own_postgres() -> Iterator[Path]:
    """A server of this test's own, so it can be stopped and started again."""
    run_dir = Path(tempfile.mkdtemp(prefix="luqiao-outage-", dir="/tmp"))
    start_server(run_dir)
    try:
        yield run_dir
    finally:
        stop_server(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)


def _stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(EvidenceRow)).scalar_one()
    finally:
        engine.dispose()


def _wait(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.5)
    raise AssertionError("condition not met in time")


def test_database_outage_loses_and_doubles_nothing(
    kafka_bootstrap: str, kafka_topics: dict[str, str], own_postgres: Path
) -> None:
    url = (own_postgres / "database_url").read_text().strip()
    commitment = next(c for c in load_catalog() if c.report.plan_year == 2025)
    settings = TrackerSettings(
        kafka_bootstrap=kafka_bootstrap,
        database_url=url,
        tracker_group="g-" + kafka_topics["evidence"][:11],
        **bus_settings_overrides(kafka_topics),
    )
    before = make_evidence(
        commitment.id,
        "https://www.luqiao.gov.cn/art/2025/3/1/art_1_1.html",
        "2025-03-01",
        Stage.STARTED,
    )
    during = make_evidence(
        commitment.id,
        "https://www.luqiao.gov.cn/art/2025/4/1/art_1_2.html",
        "2025-04-01",
        Stage.IN_PROGRESS,
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")

    def send(*events) -> None:  # type: ignore[no-untyped-def]
        for ev in events:
            producer.send(
                kafka_topics["evidence"],
                key=ev.commitment_id.encode(),
                value=ev.model_dump_json().encode(),
            )
        producer.flush(30)

    with serving(build_tracker_api(settings)) as base:
        send(before)
        _wait(lambda: _stored(url) == 1)

        stop_server(own_postgres)
        send(during, before)  # new evidence, and a replay of the old
        _wait(lambda: httpx.get(base + "/readyz").status_code == 503, timeout=30)
        time.sleep(3)  # the consumer fails and retries meanwhile

        start_server(own_postgres)
        _wait(lambda: _stored(url) == 2)
        _wait(lambda: httpx.get(base + "/readyz").status_code == 200, timeout=30)
        time.sleep(2)
        assert _stored(url) == 2
    producer.close()
