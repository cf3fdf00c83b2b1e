"""The tracker's read, review and export API through FastAPI's TestClient, on a
real database (SQLite, and PostgreSQL through the `tracker` fixture), with the
known ledger of tests/data/tracker/api_ledger.json.

What a journalist or auditor relies on: filters and pages that return the right
commitments, ETags that save a download, a detail page with the evidence and the
reasons, a review that really changes the status, and clear 4xx for bad input.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.tracker.api.main import create_api
from services.tracker.app import tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_catalog
from tests.live_server import free_port
from tests.tracker.seeded_ledger import SeededLedger, ledger_spec, seed_ledger

TOKEN = "auditor-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SPEC = ledger_spec()
CSV_HEADER = ["id", "report", "section", "text", "kind", "deadline", "status", "auto_status",
              "manual_status", "schedule", "progress_ratio"]  # fmt: skip
OPENAPI_PATHS = Path(__file__).parents[1] / "data" / "tracker" / "openapi_paths.txt"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def seeded(tracker: TrackerService) -> SeededLedger:
    tracker.settings = tracker.settings.model_copy(update={"api_token": TOKEN})
    return seed_ledger(tracker)


@pytest.fixture
def client(tracker: TrackerService, seeded: SeededLedger) -> Iterator[TestClient]:
    with TestClient(create_api(tracker)) as c:
        yield c


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def review(client: TestClient, commitment_id: str, body: dict[str, Any]) -> Any:
    params = {"as_of": SPEC["review_as_of"]}
    return client.post(
        f"/api/commitments/{commitment_id}/review", json=body, params=params, headers=AUTH
    )


# --- reading --------------------------------------------------------------------------------


def test_list_shows_every_commitment_with_its_decided_status(client: TestClient) -> None:
    page = client.get("/api/commitments").json()
    assert page["total"] == len(mini_catalog())
    assert {item["id"]: item["status"] for item in page["items"]} == SPEC["statuses"]
    quantitative = next(i for i in page["items"] if i["id"] == SPEC["quantitative"]["commitment"])
    assert quantitative["progress_ratio"] == pytest.approx(SPEC["quantitative"]["progress_ratio"])
    assert quantitative["schedule"] == SPEC["quantitative"]["schedule"]
    assert all(item["status_reasons"] for item in page["items"])


@pytest.mark.parametrize("case", SPEC["filters"], ids=lambda case: str(case["params"]))
@SQLITE_ONLY
def test_filters_return_exactly_the_matching_commitments(
    client: TestClient, case: dict[str, Any]
) -> None:
    response = client.get("/api/commitments", params=case["params"])
    assert response.status_code == 200, response.text
    page = response.json()
    assert ids(page) == case["ids"]
    assert page["total"] == len(case["ids"])


@SQLITE_ONLY
def test_pages_cover_the_list_once_in_order(client: TestClient) -> None:
    everything = ids(client.get("/api/commitments").json())
    pages = [client.get("/api/commitments", params={"offset": o, "limit": 3}).json()
             for o in range(0, len(everything) + 3, 3)]  # fmt: skip
    assert [p["total"] for p in pages] == [len(everything)] * len(pages)
    assert [p["offset"] for p in pages] == list(range(0, len(everything) + 3, 3))
    assert [i for p in pages for i in ids(p)] == everything
    assert ids(pages[-1]) == []  # past the end: an empty page, not an error


def test_etag_answers_304_until_the_ledger_changes(client: TestClient) -> None:
    first = client.get("/api/commitments")
    etag = first.headers["etag"]
    again = client.get("/api/commitments", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/api/commitments", params={"limit": 2}).headers["etag"] != etag

    detail = client.get(f"/api/commitments/{SPEC['pending']['commitment']}")
    cached = client.get(
        f"/api/commitments/{SPEC['pending']['commitment']}",
        headers={"If-None-Match": detail.headers["etag"]},
    )
    assert cached.status_code == 304

    pending = client.get("/api/evidence", params={"review_state": "pending"}).json()["items"][0]
    confirm = {"decision": "confirm", "evidence_id": pending["evidence_id"], "reviewer": "王审"}
    assert review(client, pending["commitment_id"], confirm).status_code == 200
    changed = client.get("/api/commitments", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_detail_has_evidence_history_and_target_progress(
    client: TestClient, seeded: SeededLedger
) -> None:
    expected = SPEC["quantitative"]
    response = client.get(f"/api/commitments/{expected['commitment']}")
    assert response.status_code == 200
    detail = response.json()
    [evidence] = seeded.evidence_of(expected["commitment"])
    assert [e["evidence_id"] for e in detail["evidence"]] == [evidence.evidence_id]
    assert detail["evidence"][0]["figures"][0]["value"] == evidence.figures[0].value
    assert detail["evidence"][0]["review_state"] == "auto"
    history = detail["status_history"]
    assert [h["status"] for h in history] == ["no_evidence", "in_progress"]
    assert history[-1]["evidence_ids"] == [evidence.evidence_id]
    assert history[-1]["as_of"] == SPEC["as_of"] and history[-1]["manual"] is False
    progress = detail["target_progress"]
    assert progress["targets"][0]["value"] == expected["target_value"]
    assert progress["progress_ratio"] == pytest.approx(expected["progress_ratio"])
    assert progress["schedule"] == expected["schedule"]


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert client.get("/api/commitments/t99-nothing").status_code == 404
    assert client.get("/api/articles/0000000000000000").status_code == 404
    body = {"decision": "set_status", "status": "achieved", "reviewer": "王审"}
    assert review(client, "t99-nothing", body).status_code == 404


def test_evidence_since_returns_only_what_arrived_after(
    client: TestClient, seeded: SeededLedger
) -> None:
    every = client.get("/api/evidence").json()
    assert every["total"] == sum(len(b) for b in seeded.batches)
    # An aware UTC time: the ledger stores Asia/Shanghai times, and SQLite keeps no offset.
    later = client.get("/api/evidence", params={"since": seeded.between_batches.isoformat()})
    assert later.status_code == 200, later.text
    assert {e["evidence_id"] for e in later.json()["items"]} == {
        ev.evidence_id for ev in seeded.batches[1]
    }
    naive_far_future = client.get("/api/evidence", params={"since": "2999-01-01T00:00:00"})
    assert naive_far_future.json()["total"] == 0


def test_article_lists_the_evidence_it_gave(client: TestClient, seeded: SeededLedger) -> None:
    shared = seeded.batches[0][0]
    same_article = [ev for b in seeded.batches for ev in b if ev.article_id == shared.article_id]
    assert len(same_article) > 1, "the ledger should have an article with several commitments"
    article = client.get(f"/api/articles/{shared.article_id}").json()
    assert article["url"] == shared.url
    assert {e["evidence_id"] for e in article["evidence"]} == {e.evidence_id for e in same_article}
    assert {e["commitment_id"] for e in article["evidence"]} == {
        e.commitment_id for e in same_article
    }


# --- export ---------------------------------------------------------------------------------


def test_csv_export_opens_in_a_spreadsheet(client: TestClient) -> None:
    response = client.get("/api/commitments.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "spreadsheet programs need the BOM to read UTF-8"
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == CSV_HEADER
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert {r["id"]: r["status"] for r in table} == SPEC["statuses"]
    by_id = {c.id: c for c in mini_catalog()}
    for row in table:
        assert row["text"] == by_id[row["id"]].text
        assert row["section"] == " › ".join(by_id[row["id"]].section)
    quantitative = next(r for r in table if r["id"] == SPEC["quantitative"]["commitment"])
    assert float(quantitative["progress_ratio"]) == SPEC["quantitative"]["progress_ratio"]


def test_json_export_is_the_whole_table(client: TestClient) -> None:
    exported = client.get("/api/commitments.json").json()
    listed = client.get("/api/commitments", params={"limit": 500}).json()["items"]
    assert exported == listed
    assert len(exported) == len(mini_catalog())


# --- review ---------------------------------------------------------------------------------


@SQLITE_ONLY
def test_review_is_forbidden_without_a_configured_token(tracker: TrackerService) -> None:
    assert tracker.settings.api_token == ""
    tracker.start(as_of=date.fromisoformat(SPEC["start_as_of"]))
    with TestClient(create_api(tracker)) as c:
        body = {"decision": "set_status", "status": "achieved", "reviewer": "王审"}
        response = c.post("/api/commitments/t25-gdp/review", json=body, headers=AUTH)
    assert response.status_code == 403


@SQLITE_ONLY
@pytest.mark.parametrize(
    "header", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_review_with_a_wrong_token_is_401(client: TestClient, header: dict[str, str]) -> None:
    body = {"decision": "set_status", "status": "achieved", "reviewer": "王审"}
    response = client.post("/api/commitments/t25-gdp/review", json=body, headers=header)
    assert response.status_code == 401
    assert client.get("/api/commitments/t25-gdp").json()["manual_status"] is None


@SQLITE_ONLY
@pytest.mark.parametrize(
    "body",
    [
        {"decision": "confirm", "reviewer": "王审"},
        {"decision": "set_status", "reviewer": "王审"},
        {"decision": "set_status", "status": "bogus", "reviewer": "王审"},
        {"decision": "approve", "evidence_id": "x", "reviewer": "王审"},
        {"decision": "set_status", "status": "achieved", "reviewer": ""},
        {"decision": "set_status", "status": "achieved"},
    ],
    ids=[
        "confirm-without-evidence",
        "set-without-status",
        "bad-status",
        "bad-decision",
        "empty-reviewer",
        "no-reviewer",
    ],  # fmt: skip
)
def test_bad_review_bodies_are_422(client: TestClient, body: dict[str, Any]) -> None:
    response = review(client, "t25-gdp", body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_confirm_moves_evidence_out_of_the_queue_and_counts_it(client: TestClient) -> None:
    expected = SPEC["pending"]
    queue = client.get("/api/evidence", params={"review_state": "pending"}).json()["items"]
    assert [e["commitment_id"] for e in queue] == [expected["commitment"]]
    evidence_id = queue[0]["evidence_id"]
    assert (
        client.get(f"/api/commitments/{expected['commitment']}").json()["status"]
        == (SPEC["statuses"][expected["commitment"]])
    )

    elsewhere = review(client, "t25-gdp", {"decision": "confirm", "evidence_id": evidence_id,
                                           "reviewer": "王审"})  # fmt: skip
    assert elsewhere.status_code == 404  # evidence of another commitment

    body = {"decision": "confirm", "evidence_id": evidence_id, "reviewer": "王审", "note": "核实"}
    response = review(client, expected["commitment"], body)
    assert response.status_code == 200, response.text
    assert [c["new_status"] for c in response.json()["changes"]] == [expected["after_confirm"]]

    assert client.get("/api/evidence", params={"review_state": "pending"}).json()["total"] == 0
    detail = client.get(f"/api/commitments/{expected['commitment']}").json()
    assert detail["status"] == expected["after_confirm"]
    assert detail["evidence"][0]["review_state"] == "confirmed"
    assert detail["evidence"][0]["reviewer"] == "王审"
    assert detail["status_history"][-1]["evidence_ids"] == [evidence_id]


@SQLITE_ONLY
def test_rejected_evidence_leaves_the_queue_and_does_not_count(client: TestClient) -> None:
    expected = SPEC["pending"]
    [pending] = client.get("/api/evidence", params={"review_state": "pending"}).json()["items"]
    body = {"decision": "reject", "evidence_id": pending["evidence_id"], "reviewer": "王审"}
    response = review(client, expected["commitment"], body)
    assert response.status_code == 200 and response.json()["changes"] == []
    assert client.get("/api/evidence", params={"review_state": "pending"}).json()["total"] == 0
    assert (
        client.get(f"/api/commitments/{expected['commitment']}").json()["status"]
        == (expected["after_reject"])
    )


def test_manual_status_is_shown_as_such_beside_the_automatic_one(client: TestClient) -> None:
    expected = SPEC["manual"]
    body = {"decision": "set_status", "status": expected["status"], "reviewer": "李审计",
            "note": "现场核查未见施工"}  # fmt: skip
    response = review(client, expected["commitment"], body)
    assert response.status_code == 200, response.text
    [change] = response.json()["changes"]
    assert change["new_status"] == expected["status"] and "manual:李审计" in change["reasons"]

    detail = client.get(f"/api/commitments/{expected['commitment']}").json()
    assert detail["status"] == expected["status"]
    assert detail["manual_status"] == expected["status"]
    assert detail["auto_status"] == expected["auto_status"]
    last = detail["status_history"][-1]
    assert last["manual"] is True and last["set_by"] == "李审计"
    assert last["reasons"] == ["现场核查未见施工"]
    assert any(not h["manual"] for h in detail["status_history"])

    by_status = client.get("/api/commitments", params={"status": expected["status"]}).json()
    assert expected["commitment"] in ids(by_status)
    csv_row = next(
        r
        for r in csv.DictReader(io.StringIO(client.get("/api/commitments.csv").text[1:]))
        if r["id"] == expected["commitment"]
    )
    assert (csv_row["status"], csv_row["auto_status"], csv_row["manual_status"]) == (
        expected["status"],
        expected["auto_status"],
        expected["status"],
    )


# --- bad parameters -------------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/commitments", {"limit": 0}, "limit"),
        ("/api/commitments", {"limit": 100000}, "limit"),
        ("/api/commitments", {"offset": -1}, "offset"),
        ("/api/commitments", {"limit": "many"}, "limit"),
        ("/api/commitments", {"status": "bogus"}, "status"),
        ("/api/commitments", {"kind": "wish"}, "kind"),
        ("/api/commitments", {"q": "长" * 101}, "q"),
        ("/api/evidence", {"since": "notadate"}, "since"),
        ("/api/evidence", {"limit": 0}, "limit"),
        ("/api/evidence", {"review_state": "maybe"}, "review_state"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, Any], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]


# --- operations -----------------------------------------------------------------------------


@SQLITE_ONLY
def test_health_and_readiness_with_a_working_database(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "database": True, "broker": True}


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{tmp}/removed-directory/tracker.db",
        "postgresql+psycopg://postgres@127.0.0.1:{port}/luqiao?connect_timeout=3",
    ],
    ids=["sqlite-directory-gone", "postgres-port-closed"],
)
def test_readiness_is_503_when_the_database_is_unreachable(tmp_path: Path, url: str) -> None:
    settings = TrackerSettings(database_url=url.format(tmp=tmp_path, port=free_port()))
    service = TrackerService(settings, catalog=list(mini_catalog()))
    try:
        with TestClient(create_api(service)) as c:
            assert c.get("/healthz").status_code == 200  # alive, so not restarted…
            ready = c.get("/readyz")  # …but not ready, so taken out of the load balancer
        assert ready.status_code == 503
        assert ready.json() == {"ready": False, "database": False, "broker": True}
    finally:
        service.engine.dispose()


@SQLITE_ONLY
def test_openapi_lists_every_endpoint_of_the_issue(tracker: TrackerService) -> None:
    wanted = [
        tuple(line.split())
        for line in OPENAPI_PATHS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    schema = TestClient(tracker_api(tracker)).get("/openapi.json").json()
    listed = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert [w for w in wanted if w not in listed] == []
    review_op = schema["paths"]["/api/commitments/{commitment_id}/review"]["post"]
    assert "422" in review_op["responses"]


@SQLITE_ONLY
def test_list_is_newest_plan_first_then_report_order(client: TestClient) -> None:
    from tests.catalog_fixtures import mini_catalog

    catalog = list(mini_catalog())
    expected = [c.id for c in sorted(catalog, key=lambda c: -c.report.plan_year)]
    assert ids(client.get("/api/commitments").json()) == expected


def test_list_shows_the_latest_counted_quote(client: TestClient) -> None:
    """On both databases: the newest counting evidence is picked by a window query."""
    items = client.get("/api/commitments.json").json()
    with_quote = [i for i in items if i["latest_evidence"]]
    assert with_quote, "the seeded ledger has counted evidence"
    for item in with_quote:
        detail = client.get(f"/api/commitments/{item['id']}").json()
        counted = [
            e
            for e in detail["evidence"]
            if e["superseded_by"] is None and e["review_state"] in ("auto", "confirmed")
        ]
        newest = max(counted, key=lambda e: e["published_at"])
        assert item["latest_evidence"]["quote"] == newest["quote"]


@SQLITE_ONLY
def test_detail_pages_its_evidence(client: TestClient, tracker: TrackerService) -> None:
    from services.events import Stage
    from tests.tracker.evidence_factory import make_evidence

    cid = "t25-science-park"
    urls = [f"https://www.luqiao.gov.cn/art/2025/7/{d}/art_1229_9{d}.html" for d in (1, 2, 3)]
    tracker.handle_batch(
        [make_evidence(cid, u, f"2025-07-0{n}", Stage.IN_PROGRESS) for n, u in enumerate(urls, 1)],
        as_of=date(2025, 7, 5),
    )
    full = client.get(f"/api/commitments/{cid}").json()
    assert full["evidence_total"] == len(full["evidence"]) >= 3
    first = client.get(f"/api/commitments/{cid}", params={"evidence_limit": 1}).json()
    rest = client.get(f"/api/commitments/{cid}", params={"evidence_offset": 1}).json()
    assert first["evidence_total"] == full["evidence_total"]
    assert [e["evidence_id"] for e in first["evidence"] + rest["evidence"]] == [
        e["evidence_id"] for e in full["evidence"]
    ]
    assert client.get(f"/api/commitments/{cid}", params={"evidence_limit": 0}).status_code == 422
