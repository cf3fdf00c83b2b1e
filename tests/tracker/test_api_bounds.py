"""Bad input to the tracker's HTTP API gets a 4xx, never a 500: integers past what
SQL holds, dates where time zones overflow, text XML cannot carry, any
Authorization header, bodies over the size limit, one subscription too many.
And a row stored before these rules must not break its Atom feed for good.
Cases are data files (tests/data/tracker/); the app runs on a real SQLite file and
on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.tracker.ledger.models import NotificationRow, StatusRow, SubscriptionRow
from services.tracker.notifications.outbox import utc_now
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.tracker.evidence_factory import report_unfinished_after_deadline
from tests.tracker.subscribing import running, subscriptions_api

TOKEN = "auditor-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DATA = Path(__file__).parents[1] / "data" / "tracker"
BAD_INPUTS: list[dict[str, Any]] = json.loads((DATA / "bad_inputs.json").read_text("utf-8"))
BAD_AUTH: list[dict[str, str]] = json.loads(
    (DATA / "bad_authorization_headers.json").read_text("utf-8")
)
BODY_LIMIT = 4096
MAX_SUBSCRIPTIONS = 3


@pytest.fixture
def tracker(database_url: str) -> Iterator[TrackerService]:
    """On SQLite and PostgreSQL (conftest's ``database_url``): they refuse different
    things, and neither may turn into a 500."""
    settings = TrackerSettings(
        database_url=database_url,
        api_token=TOKEN,
        api_max_body_bytes=BODY_LIMIT,
        max_subscriptions=MAX_SUBSCRIPTIONS,
    )
    with running(settings) as service:
        yield service


@pytest.fixture
def client(tracker: TrackerService) -> Iterator[TestClient]:
    api = subscriptions_api(tracker)
    with TestClient(api, raise_server_exceptions=False) as c:
        yield c


def status_rows(tracker: TrackerService) -> int:
    with tracker.sessions() as s:
        return s.scalar(select(func.count()).select_from(StatusRow)) or 0


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c["why"] for c in BAD_INPUTS])
def test_bad_input_is_422_and_changes_nothing(
    client: TestClient, tracker: TrackerService, case: dict[str, Any]
) -> None:
    before = status_rows(tracker)
    extra: dict[str, Any] = {"json": case["json"]} if "json" in case else {}
    if "raw" in case:
        extra = {"content": case["raw"], "headers": {**AUTH, "Content-Type": "application/json"}}
    answer = client.request(
        case["method"],
        case["path"],
        params=case.get("params"),
        headers=extra.pop("headers", AUTH),
        **extra,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]  # says what is wrong
    assert status_rows(tracker) == before
    with tracker.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SubscriptionRow)) == 0


@pytest.mark.parametrize("case", BAD_AUTH, ids=[c["why"] for c in BAD_AUTH])
def test_any_authorization_header_is_401(client: TestClient, case: dict[str, str]) -> None:
    # Sent as UTF-8 bytes, as a client may: the server sees them as Latin-1 text.
    header = {"Authorization": case["value"].encode("utf-8")}
    for method, path in (("GET", "/api/subscriptions"), ("DELETE", "/api/subscriptions/1")):
        answer = client.request(method, path, headers=header)
        assert answer.status_code == 401, (method, path, answer.text)


def test_a_body_over_the_limit_is_413_declared_or_chunked(client: TestClient) -> None:
    big = {"name": "x", "scope": "keyword", "value": "绿" * BODY_LIMIT}
    declared = client.post("/api/subscriptions", json=big, headers=AUTH)
    assert declared.status_code == 413, declared.text
    assert str(BODY_LIMIT) in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b" " * 1024  # leading JSON whitespace: valid, only too long
        yield b'{"name": "x", "scope": "all"}'

    chunked = client.post(
        "/api/subscriptions",
        content=chunks(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413, chunked.text
    small = client.post("/api/subscriptions", json={"name": "x", "scope": "all"}, headers=AUTH)
    assert small.status_code == 201, small.text


def test_one_subscription_more_than_the_limit_is_409(client: TestClient) -> None:
    for i in range(MAX_SUBSCRIPTIONS):
        made = client.post(
            "/api/subscriptions", json={"name": f"s{i}", "scope": "all"}, headers=AUTH
        )
        assert made.status_code == 201, made.text
    extra = client.post(
        "/api/subscriptions", json={"name": "one more", "scope": "all"}, headers=AUTH
    )
    assert extra.status_code == 409
    assert "LUQIAO_MAX_SUBSCRIPTIONS" in extra.json()["detail"]
    listed = client.get("/api/subscriptions", headers=AUTH).json()
    assert [s["name"] for s in listed] == [f"s{i}" for i in range(MAX_SUBSCRIPTIONS)]


def test_a_stored_name_xml_cannot_carry_does_not_break_its_feed(
    client: TestClient, tracker: TrackerService
) -> None:
    with tracker.sessions.begin() as s:  # as an older version let it in
        s.add(
            SubscriptionRow(
                name="desk\x07\x1b",  # PostgreSQL cannot hold NUL at all
                scope="all",
                value="中央\x1b绿轴",
                secret="k",
                feed_token="old-row",
                created_at=utc_now(),
            )  # fmt: skip
        )
    report_unfinished_after_deadline(tracker)  # reports the daily pass turns overdue,
    tracker.reevaluate(as_of=date(2026, 1, 15))  # a change the feed must show
    answer = client.get("/feeds/old-row.atom")
    assert answer.status_code == 200, answer.text
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Luqiao commitments: desk\ufffd\ufffd"
    with tracker.sessions() as s:
        queued = s.scalar(select(func.count()).select_from(NotificationRow)) or 0
    assert len(feed.entries) == queued > 0


def test_review_as_of_within_the_catalogs_years_still_works(client: TestClient) -> None:
    body = {"decision": "set_status", "status": "achieved", "reviewer": "ann", "note": "a\nb"}
    answer = client.post(
        "/api/commitments/t25-gdp/review", params={"as_of": "2025-12-01"}, json=body, headers=AUTH
    )
    assert answer.status_code == 200, answer.text
