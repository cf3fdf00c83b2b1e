"""Every page answers on SQLite and on PostgreSQL (the search, the date filter and the
crawl banner are SQL), with the security headers that keep archived HTML inert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.tracker.app import tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.tracker.seeded_ledger import SeededLedger, seed_ledger


@pytest.fixture
def seeded(tracker: TrackerService) -> SeededLedger:
    return seed_ledger(tracker)


@pytest.fixture
def client(tracker: TrackerService, seeded: SeededLedger) -> Iterator[TestClient]:
    with TestClient(tracker_api(tracker)) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/", "改造老旧小区4个"),
        ("/?status=achieved", "建成中央绿轴公园"),
        ("/?q=%E5%BC%95%E6%96%87", "引文"),  # 引文: in quotes only
        ("/?year=2024", "加快中央绿轴公园建设"),
        ("/commitments/t25-old-housing", "序时进度"),
        ("/changes?since=2000-01-01", "状态变化"),
        ("/methodology", "已经过完的月数 ÷ 12"),
    ],
)
def test_page_answers_in_chinese_with_a_strict_policy(
    client: TestClient, path: str, text: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert text in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script" not in policy  # no script may run
    assert "最近一次抓取失败" in response.text  # the seeded ledger's last crawl failed


def test_search_finds_quotes_and_only_them(client: TestClient) -> None:
    page = client.get("/", params={"q": "引文"}).text
    hits = page.count('class="quote-hits"')
    assert hits == 4  # the four commitments whose counted evidence quotes 引文
    assert 'data-id="t25-school"' not in page  # its only quote waits for review


def test_unknown_commitment_and_archive_are_404_pages(client: TestClient) -> None:
    for path in ("/commitments/nope", "/archive/nope"):
        response = client.get(path)
        assert response.status_code == 404 and "未找到" in response.text
    assert client.get("/commitments/nope/feed.atom").status_code == 404


def test_a_bad_since_date_falls_back_with_a_notice(client: TestClient) -> None:
    page = client.get("/changes", params={"since": "yesterday"}).text
    assert "日期“yesterday”无效" in page


def test_related_commitments_link_both_ways_on_the_real_catalog(tmp_path: Path) -> None:
    """The catalog's carried-over links (restated_in / restates) appear on both pages."""
    from services.catalog import load_catalog

    catalog = load_catalog()
    earlier = next(c for c in catalog if any(r.relation == "restated_in" for r in c.related))
    later_id = next(r.id for r in earlier.related if r.relation == "restated_in")
    tracker = TrackerService(TrackerSettings(database_url=f"sqlite:///{tmp_path / 't.db'}"))
    with TestClient(tracker_api(tracker)) as client:
        page = client.get(f"/commitments/{earlier.id}").text
        assert f'href="/commitments/{later_id}"' in page and "次年工作报告再次部署" in page
        back = client.get(f"/commitments/{later_id}").text
        assert f'href="/commitments/{earlier.id}"' in back and "承接上年工作报告" in back
        overview = client.get("/")
        assert overview.status_code == 200
        assert overview.text.count("<tr data-id=") == len(catalog)
    tracker.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("today", "formula", "verdict"),
    [
        ("2025-09-30", "序时进度 = 已过月数 ÷ 12 = 9 ÷ 12 = 75%", "不低于序时进度"),
        (
            "2025-11-30",
            "序时进度 = 已过月数 ÷ 12 = 11 ÷ 12 = 92%",
            "低于序时进度，按规则为进度滞后",
        ),
    ],
)
def test_target_bar_states_the_schedule_formula_before_the_deadline(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, today: str, formula: str, verdict: str
) -> None:
    """3 of 4 老旧小区 reported: on schedule at the end of September, behind at the end of
    November (the published rule: below 11/12 by November)."""
    import services.tracker.api.routes.pages as web_routes

    monkeypatch.setattr(web_routes, "today_in_china", lambda: date.fromisoformat(today))
    page = client.get("/commitments/t25-old-housing").text
    assert formula in page and verdict in page
    assert "已报道 3 / 目标 4个" in page
