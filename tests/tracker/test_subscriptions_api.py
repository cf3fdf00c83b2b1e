"""The subscription endpoints through FastAPI's TestClient on a SQLite tracker:
the token, validation of bad input, the life of a subscription and its delivery log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.tracker.notifications.webhooks import deliver_due
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.tracker.evidence_factory import report_unfinished_after_deadline
from tests.tracker.subscribing import running, subscribing_tracker, subscriptions_api

TOKEN = "auditor-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BAD_BODIES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "data" / "notifications" / "bad_subscriptions.json").read_text(
        "utf-8"
    )
)


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[TrackerService]:
    settings = TrackerSettings(
        database_url=f"sqlite:///{tmp_path / 't.db'}",
        api_token=TOKEN,
        webhook_allow_hosts="127.0.0.1/32",  # the dead hook below is on loopback
    )
    with running(settings) as service:
        yield service


@pytest.fixture
def client(tracker: TrackerService) -> Iterator[TestClient]:
    api = subscriptions_api(tracker)
    with TestClient(api) as c:
        yield c


def test_create_list_and_delete_a_subscription(client: TestClient) -> None:
    made = client.post(
        "/api/subscriptions",
        json={"name": "desk", "scope": "section", "value": "城乡品质"},
        headers=AUTH,
    )
    assert made.status_code == 201, made.text
    sub = made.json()
    assert len(sub["secret"]) == 64 and len(sub["feed_token"]) >= 40
    assert sub["feed_url"] == f"http://testserver/feeds/{sub['feed_token']}.atom"
    assert sub["webhook_url"] is None and sub["active"] is True

    listed = client.get("/api/subscriptions", headers=AUTH).json()
    assert [s["id"] for s in listed] == [sub["id"]]
    assert "secret" not in listed[0]  # shown once, at creation

    assert client.get(f"/feeds/{sub['feed_token']}.atom").status_code == 200
    assert client.delete(f"/api/subscriptions/{sub['id']}", headers=AUTH).status_code == 204
    assert client.get("/api/subscriptions", headers=AUTH).json() == []
    assert client.get(f"/feeds/{sub['feed_token']}.atom").status_code == 404
    assert client.delete(f"/api/subscriptions/{sub['id']}", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/subscriptions"),
        ("GET", "/api/subscriptions"),
        ("DELETE", "/api/subscriptions/1"),
        ("GET", "/api/subscriptions/1/deliveries"),
        ("POST", "/api/subscriptions/1/enable"),
    ],
)
def test_management_needs_the_bearer_token(client: TestClient, method: str, path: str) -> None:
    body = {"name": "x", "scope": "all"} if method == "POST" else None
    assert client.request(method, path, json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.request(method, path, json=body, headers=wrong).status_code == 401


@pytest.mark.parametrize("case", BAD_BODIES, ids=lambda c: c["why"])
def test_bad_input_is_refused_with_422(client: TestClient, case: dict[str, Any]) -> None:
    response = client.post("/api/subscriptions", json=case["body"], headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]  # says what is wrong
    assert client.get("/api/subscriptions", headers=AUTH).json() == []


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert client.get("/api/subscriptions/999/deliveries", headers=AUTH).status_code == 404
    assert client.get("/feeds/not-a-token.atom").status_code == 404
    assert client.get("/api/subscriptions/abc/deliveries", headers=AUTH).status_code == 422


def test_deliveries_endpoint_shows_the_log(client: TestClient, tracker: TrackerService) -> None:
    made = client.post(
        "/api/subscriptions",
        json={"name": "dead hook", "scope": "commitment", "value": "t25-gdp",
              "webhook_url": "http://127.0.0.1:9/hook"},
        headers=AUTH,
    ).json()  # fmt: skip
    report_unfinished_after_deadline(tracker, ("t25-gdp",))
    tracker.reevaluate(as_of=date(2026, 1, 15))
    assert deliver_due(tracker.sessions, tracker.settings, datetime.now(UTC)) == 1
    log = client.get(f"/api/subscriptions/{made['id']}/deliveries", headers=AUTH).json()
    assert log["total"] == 1 and log["consecutive_failures"] == 1
    assert log["notifications_by_state"] == {"pending": 1}
    (item,) = log["items"]
    assert item["commitment_id"] == "t25-gdp"
    # What failed, in the fixed words of the log, never the exception (a port scanner).
    assert item["http_status"] is None and item["error"] == "could not connect"
    assert item["attempts"] == 1 and item["next_attempt_at"] is not None


def test_write_endpoints_are_off_without_a_configured_token(tmp_path: Path) -> None:
    settings = TrackerSettings(database_url=f"sqlite:///{tmp_path / 'off.db'}", api_token="")
    service = subscribing_tracker(settings)
    api = subscriptions_api(service)
    with TestClient(api) as c:
        response = c.post("/api/subscriptions", json={"name": "x", "scope": "all"}, headers=AUTH)
    service.engine.dispose()
    assert response.status_code == 403


def test_a_disabled_subscription_can_be_enabled_again(
    client: TestClient, tracker: TrackerService
) -> None:
    from services.tracker.ledger.models import SubscriptionRow

    sub = client.post(
        "/api/subscriptions",
        json={"name": "desk", "scope": "all", "webhook_url": "http://127.0.0.1:9/hook"},
        headers=AUTH,
    ).json()
    with tracker.sessions.begin() as db:  # as the delivery worker leaves it after failures
        row = db.get(SubscriptionRow, sub["id"])
        assert row is not None
        row.active, row.consecutive_failures = False, 10
    enabled = client.post(f"/api/subscriptions/{sub['id']}/enable", headers=AUTH)
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["active"] is True and enabled.json()["consecutive_failures"] == 0
    assert client.post("/api/subscriptions/999/enable", headers=AUTH).status_code == 404
