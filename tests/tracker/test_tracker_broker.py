"""The tracker's FastStream broker through the worker skeleton, once with the
in-memory `TestKafkaBroker` (quick suite) and once on the real broker, on a SQLite
ledger: v2 evidence and a v1 message still on the topic both decide statuses
(published keyed by commitment), poison of every kind is dead-lettered with its
reason, crawl reports go the same way, and review changes leave through the one
declared status publisher."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path

from faststream.kafka import TestKafkaBroker
from sqlalchemy import select

from services.events import CrawlReport, Stage
from services.tracker.app import build_bus
from services.tracker.ledger.models import CrawlReportRow, EvidenceRow, StatusRow
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_catalog
from tests.tracker.evidence_factory import make_evidence
from tests.worker_harness import BusUnderTest, Collector, bus_under_test  # noqa: F401

DATA = Path(__file__).parents[1] / "data"
URL = "https://www.luqiao.gov.cn/art/2025/6/1/art_1229_8001.html"


def _crawl_report() -> bytes:
    now = datetime(2025, 6, 1, 8, tzinfo=UTC)
    return (
        CrawlReport(
            crawl_id="c1",
            site_url="https://www.luqiao.gov.cn/",
            started_at=now,
            finished_at=now,
            ok=True,
            articles_seen=3,
        )  # fmt: skip
        .model_dump_json()
        .encode()
    )


async def test_evidence_v1_and_v2_poison_and_crawls(bus: BusUnderTest, tmp_path: Path) -> None:
    settings = TrackerSettings(
        database_url=f"sqlite:///{tmp_path / 'ledger.db'}",
        tracker_group=f"tracker-{id(bus)}",
        crawls_topic=bus.crawls_topic,
        **bus.settings,
    )
    service = TrackerService(settings, catalog=mini_catalog())
    service.start(as_of=date(2025, 6, 1))
    tracker = build_bus(settings, service)
    out = Collector(tracker.broker, settings.status_topic, settings.deadletter_topic)

    v2 = make_evidence("t25-green-axis", URL, "2025-06-01", Stage.COMPLETED)
    v1 = (DATA / "events/evidence_v1.json").read_bytes()  # t25-old-housing, 3 of 4 done
    unknown_version = json.dumps({**json.loads(v1), "schema_version": 9}).encode()
    stranger = make_evidence("t99-nowhere", URL, "2025-06-01", Stage.COMPLETED)
    poison = {
        "invalid_json": b'{"schema_version": 2, "evidence_id": "cut-off',
        "unsupported_schema_version": unknown_version,
        "unknown_commitment": stranger.model_dump_json().encode(),
    }
    crawl_poison = b'{"schema_version": 1, "crawl_id": 7}'

    async with TestKafkaBroker(tracker.broker, with_real=bus.real) as broker:
        await broker.publish_batch(
            v2.model_dump_json().encode(), *poison.values(), v1, topic=settings.evidence_topic
        )
        await broker.publish_batch(_crawl_report(), crawl_poison, topic=settings.crawls_topic)
        await out.wait({settings.status_topic: 2, settings.deadletter_topic: 4}, timeout=60)
        review = service.review(
            "t25-school", "set_status", "auditor", "核实", evidence_id=None,
            status="stalled", as_of=date(2025, 6, 2),
        )  # fmt: skip
        await tracker.publish_changes(review)
        await out.wait(
            {settings.status_topic: 3, settings.deadletter_topic: 4},
            timeout=60,
            settle=2.0 if bus.real else 0.0,
        )

    changes = {key: event for key, event in out.got[settings.status_topic]}
    assert set(changes) == {b"t25-green-axis", b"t25-old-housing", b"t25-school"}
    assert changes[b"t25-green-axis"]["new_status"] == "achieved"
    # The v1 message's "3个" of a target of 4个, upgraded once: 75 % at the deadline.
    assert changes[b"t25-old-housing"]["new_status"] == "partially_achieved"
    assert changes[b"t25-school"]["new_status"] == "stalled"

    letters = [letter for _key, letter in out.got[settings.deadletter_topic]]
    by_topic = {t: [d for d in letters if d["source_topic"] == t] for t in (
        settings.evidence_topic, settings.crawls_topic)}  # fmt: skip
    evidence_letters = {d["reason"].split(":")[0]: d for d in by_topic[settings.evidence_topic]}
    assert set(evidence_letters) == set(poison)
    for code, letter in evidence_letters.items():
        assert base64.b64decode(letter["original_b64"]) == poison[code]
        assert letter["service"] == "tracker"
    [crawl_letter] = by_topic[settings.crawls_topic]
    assert crawl_letter["reason"].startswith("wrong_schema")

    with service.sessions() as session:
        stored = {r.commitment_id: r for r in session.scalars(select(EvidenceRow))}
        ratio = session.scalars(
            select(StatusRow.progress_ratio).where(StatusRow.commitment_id == "t25-old-housing")
            .order_by(StatusRow.id.desc()).limit(1)
        ).one()  # fmt: skip
        crawls = session.scalars(select(CrawlReportRow.crawl_id)).all()
    assert set(stored) == {"t25-green-axis", "t25-old-housing"}
    assert stored["t25-old-housing"].progress == {
        "target": 4.0, "unit": "个", "done": 3.0, "percent": None, "ratio": 0.75,
        "level": None,
    }  # fmt: skip
    assert ratio == 0.75
    assert crawls == ["c1"]
    service.engine.dispose()
