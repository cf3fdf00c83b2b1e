"""The read model behind `GET /api/commitments`, `GET /api/commitments/{id}` and
`/metrics` (api/summaries.py, api/details.py, metrics.py, api/etag.py), on SQLite and PostgreSQL: rendered answers reused while
the ledger is unchanged, a new answer as soon as this process stores evidence (or
another replica does, with ``LUQIAO_READ_MODEL_MAX_AGE_SECONDS=0``), and ETags that
answer 304 to If-None-Match in each form a client may send."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import event

from services.events import Stage
from services.tracker.api.main import create_api
from services.tracker.app import tracker_api
from services.tracker.metrics import LedgerCollector
from services.tracker.service import TrackerService
from tests.catalog_fixtures import mini_catalog
from tests.tracker.evidence_factory import make_evidence
from tests.tracker.seeded_ledger import seed_ledger

URL = "https://www.luqiao.gov.cn/art/2025/7/1/art_1229_77.html"
DONE = make_evidence("t25-science-park", URL, "2025-07-01", Stage.COMPLETED)


@pytest.fixture
def client(tracker: TrackerService) -> Iterator[TestClient]:
    seed_ledger(tracker)
    with TestClient(create_api(tracker)) as c:
        yield c


def _status(client: TestClient, commitment_id: str, headers: dict[str, str] | None = None) -> str:
    page = client.get("/api/commitments", params={"limit": 500}, headers=headers).json()
    return next(i["status"] for i in page["items"] if i["id"] == commitment_id)


@pytest.mark.parametrize(
    "header", ["{etag}", "W/{etag}", '"other", {etag}', "*"], ids=["exact", "weak", "list", "any"]
)
def test_list_answers_304_to_each_form_of_if_none_match(client: TestClient, header: str) -> None:
    first = client.get("/api/commitments", params={"limit": 3})
    etag = first.headers["etag"]
    again = client.get(
        "/api/commitments", params={"limit": 3}, headers={"If-None-Match": header.format(etag=etag)}
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/api/commitments", params={"limit": 3}, headers={"If-None-Match": '"x"'})
    assert other.status_code == 200 and other.content == first.content


def test_each_query_has_its_own_answer_and_etag(client: TestClient) -> None:
    everything = client.get("/api/commitments")
    milestones = client.get("/api/commitments", params={"kind": "milestone"})
    assert everything.headers["etag"] != milestones.headers["etag"]
    assert {i["kind"] for i in milestones.json()["items"]} == {"milestone"}
    assert everything.json()["total"] == len(mini_catalog())
    assert client.get("/api/commitments").content == everything.content  # from the cache


def test_evidence_stored_by_this_process_changes_the_list_at_once(
    tracker: TrackerService,
) -> None:
    """However long the max age, this process's own writes show at once."""
    seed_ledger(tracker)
    tracker.settings = tracker.settings.model_copy(update={"read_model_max_age_seconds": 3600})
    with TestClient(create_api(tracker)) as client:
        first = client.get("/api/commitments", params={"limit": 500})
        assert _status(client, DONE.commitment_id) != "achieved"
        tracker.handle_batch([DONE], as_of=date(2025, 7, 2))
        changed = client.get(
            "/api/commitments",
            params={"limit": 500},
            headers={"If-None-Match": first.headers["etag"]},
        )
        assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
        assert _status(client, DONE.commitment_id) == "achieved"


@pytest.mark.parametrize("read", ["list", "detail"])
def test_evidence_stored_by_another_replica_shows_with_max_age_zero(
    tracker: TrackerService, read: str
) -> None:
    """With no reuse of the read model, evidence another replica stored shows at once, in
    the list and in the detail."""
    seed_ledger(tracker)
    tracker.settings = tracker.settings.model_copy(update={"read_model_max_age_seconds": 0.0})
    other = TrackerService(tracker.settings, catalog=list(mini_catalog()))

    def status(client: TestClient) -> str:
        if read == "list":
            return _status(client, DONE.commitment_id)
        return str(client.get(DETAIL).json()["status"])

    try:
        with TestClient(create_api(tracker)) as client:
            assert status(client) != "achieved"
            other.handle_batch([DONE], as_of=date(2025, 7, 2))
            assert status(client) == "achieved"
    finally:
        other.engine.dispose()


def test_metrics_etag_is_the_validator_of_the_body(client: TestClient) -> None:
    """The process's own series (CPU seconds, …) may move between two scrapes, so a
    second scrape is a 304 only when nothing moved; never a 200 with the same ETag."""
    first = client.get("/metrics")
    assert first.status_code == 200 and "luqiao_commitment_status" in first.text
    again = client.get("/metrics", headers={"If-None-Match": first.headers["etag"]})
    if again.status_code == 304:
        assert again.content == b"" and again.headers["etag"] == first.headers["etag"]
    else:
        assert again.status_code == 200 and again.headers["etag"] != first.headers["etag"]


def test_ledger_metrics_are_formatted_once_per_ledger_version(tracker: TrackerService) -> None:
    seed_ledger(tracker)
    collector = LedgerCollector(tracker.sessions)
    first = asyncio.run(collector.rendered())
    assert asyncio.run(collector.rendered()) is first  # the same bytes, not formatted again
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    assert first.text == generate_latest(registry)  # prometheus-client's own text
    tracker.handle_batch([DONE], as_of=date(2025, 7, 2))
    changed = asyncio.run(collector.rendered())
    assert changed.etag != first.etag
    line = (
        f'luqiao_commitment_status{{commitment_id="{DONE.commitment_id}",'
        'report="luqiao-2025",status="achieved"} 1.0'
    )
    assert line not in first.text.decode() and line in changed.text.decode()


def test_a_batch_that_moves_only_evidence_counts_keeps_the_status_family(
    tracker: TrackerService,
) -> None:
    """The families whose inputs did not change are the same objects (their text block
    is reused); the text is still prometheus-client's own."""
    seed_ledger(tracker)
    tracker.handle_batch([DONE], as_of=date(2025, 7, 2))
    collector = LedgerCollector(tracker.sessions)
    asyncio.run(collector.rendered())
    before = {f.name: f for f in collector._families}
    again = make_evidence(DONE.commitment_id, URL + "?again", "2025-07-03", Stage.COMPLETED)
    tracker.handle_batch([again], as_of=date(2025, 7, 4))
    after = asyncio.run(collector.rendered())
    now = {f.name: f for f in collector._families}
    assert now["luqiao_commitment_status"] is before["luqiao_commitment_status"]
    assert now["luqiao_commitment_evidence_count"] is not before["luqiao_commitment_evidence_count"]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    assert after.text == generate_latest(registry)


# One commitment (`GET /api/commitments/{id}`, api/details.py), from the same read model.

DETAIL = f"/api/commitments/{DONE.commitment_id}"


@contextmanager
def counted_statements(tracker: TrackerService) -> Iterator[list[str]]:
    """The SQL statements the tracker's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(tracker.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(tracker.engine, "before_cursor_execute", record)


@pytest.fixture
def patient_client(tracker: TrackerService) -> Iterator[TestClient]:
    """A client whose read model trusts its last version read for an hour (only this
    process's own commits make it read again)."""
    seed_ledger(tracker)
    tracker.settings = tracker.settings.model_copy(update={"read_model_max_age_seconds": 3600})
    with TestClient(create_api(tracker)) as c:
        yield c


@pytest.mark.parametrize(
    "header", ["{etag}", "W/{etag}", '"other", {etag}', "*"], ids=["exact", "weak", "list", "any"]
)
def test_detail_answers_304_to_each_form_of_if_none_match(client: TestClient, header: str) -> None:
    first = client.get(DETAIL)
    etag = first.headers["etag"]
    again = client.get(DETAIL, headers={"If-None-Match": header.format(etag=etag)})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get(DETAIL, headers={"If-None-Match": '"x"'})
    assert other.status_code == 200 and other.content == first.content
    assert first.json()["id"] == DONE.commitment_id


def test_a_repeated_detail_runs_no_query(
    patient_client: TestClient, tracker: TrackerService
) -> None:
    """Both a detail and the 404 of an unknown id are rendered once per ledger version."""
    first = patient_client.get(DETAIL)
    assert patient_client.get("/api/commitments/t99-nothing").status_code == 404
    with counted_statements(tracker) as statements:
        again = patient_client.get(DETAIL)
        missing = patient_client.get("/api/commitments/t99-nothing")
    assert statements == []
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert missing.status_code == 404 and "t99-nothing" in missing.json()["detail"]


def test_each_evidence_page_has_its_own_answer(tracker: TrackerService) -> None:
    seed_ledger(tracker)
    urls = [f"https://www.luqiao.gov.cn/art/2025/7/{d}/art_1229_8{d}.html" for d in (2, 3)]
    tracker.handle_batch(
        [make_evidence(DONE.commitment_id, u, f"2025-07-0{n}", Stage.IN_PROGRESS)
         for n, u in enumerate(urls, 2)],
        as_of=date(2025, 7, 5),
    )  # fmt: skip
    with TestClient(create_api(tracker)) as client:
        full = client.get(DETAIL).json()
        first = client.get(DETAIL, params={"evidence_limit": 1})
        rest = client.get(DETAIL, params={"evidence_offset": 1}).json()
        assert full["evidence_total"] == len(full["evidence"]) >= 2
        assert [e["evidence_id"] for e in first.json()["evidence"] + rest["evidence"]] == [
            e["evidence_id"] for e in full["evidence"]
        ]
        assert first.headers["etag"] != client.get(DETAIL).headers["etag"]
        assert client.get(DETAIL, params={"evidence_limit": 1}).content == first.content


def test_evidence_stored_by_this_process_changes_the_detail_at_once(
    patient_client: TestClient, tracker: TrackerService
) -> None:
    first = patient_client.get(DETAIL)
    assert first.json()["status"] != "achieved"
    tracker.handle_batch([DONE], as_of=date(2025, 7, 2))
    changed = patient_client.get(DETAIL, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    detail = changed.json()
    assert detail["status"] == "achieved"
    assert DONE.evidence_id in [e["evidence_id"] for e in detail["evidence"]]
    assert detail["evidence_total"] == first.json()["evidence_total"] + 1


def test_the_tracker_freezes_its_start_up_heap_before_serving(tracker: TrackerService) -> None:
    """Full collections of the start-up heap stopped the process for 160–330 ms."""
    gc.unfreeze()
    try:
        with TestClient(tracker_api(tracker)) as client:
            assert gc.get_freeze_count() > 0
            assert client.get("/healthz").json() == {"status": "ok"}
    finally:
        gc.unfreeze()
