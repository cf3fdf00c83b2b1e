"""A subscription's Atom feed, read back with feedparser as a feed reader would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient

from services.events import Stage
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_by_id
from tests.tracker.evidence_factory import make_evidence
from tests.tracker.subscribing import running, subscriptions_api

AUTH = {"Authorization": "Bearer feed-test"}
URL = "https://www.luqiao.gov.cn/art/2025/6/1/art_1229_1.html"


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[TrackerService]:
    settings = TrackerSettings(database_url=f"sqlite:///{tmp_path / 't.db'}", api_token="feed-test")
    with running(settings) as service:
        yield service


@pytest.fixture
def client(tracker: TrackerService) -> Iterator[TestClient]:
    with TestClient(subscriptions_api(tracker)) as c:
        yield c


def test_feed_lists_the_changes_newest_first_with_stable_ids(
    client: TestClient, tracker: TrackerService
) -> None:
    sub = client.post(
        "/api/subscriptions",
        json={"name": "绿轴", "scope": "keyword", "value": "中央绿轴"},
        headers=AUTH,
    ).json()
    first = tracker.handle_batch(
        [make_evidence("t25-green-axis", URL, "2025-06-01", Stage.IN_PROGRESS)],
        as_of=date(2025, 6, 2),
    )
    second = tracker.handle_batch(
        [make_evidence("t25-green-axis", URL, "2025-09-01", Stage.COMPLETED, revision="r2")],
        as_of=date(2025, 9, 2),
    )
    assert [c.new_status for c in first + second] == ["in_progress", "achieved"]

    response = client.get(f"/feeds/{sub['feed_token']}.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Luqiao commitments: 绿轴"
    assert any(link.href == sub["feed_url"] for link in feed.feed.links)

    text = mini_by_id()["t25-green-axis"].text
    assert [e.id for e in feed.entries] == [
        f"urn:luqiao:status:{second[0].status_event_id}",
        f"urn:luqiao:status:{first[0].status_event_id}",
    ]
    assert [e.title for e in feed.entries] == [
        f"{text}: in_progress → achieved",
        f"{text}: no_evidence → in_progress",
    ]
    for entry in feed.entries:
        assert entry.link == "http://testserver/api/commitments/t25-green-axis"
        assert text in entry.content[0].value
    assert any(r in feed.entries[0].content[0].value for r in second[0].reasons)

    again = feedparser.parse(client.get(f"/feeds/{sub['feed_token']}.atom").content)
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]


def test_feed_of_a_quiet_subscription_is_valid_and_empty(client: TestClient) -> None:
    sub = client.post(
        "/api/subscriptions",
        json={"name": "学校", "scope": "commitment", "value": "t25-school"},
        headers=AUTH,
    ).json()
    feed = feedparser.parse(client.get(f"/feeds/{sub['feed_token']}.atom").content)
    assert not feed.bozo
    assert feed.entries == []
    assert feed.feed.id == f"urn:luqiao:subscription:{sub['id']}"
