"""The public page in a real browser: headless Chromium (Playwright) against the
tracker served by a real uvicorn, because the filter box is JavaScript and a
reader sees labels, not status codes.

Needs /usr/bin/chromium (deploy/install-system-deps installs it): skipped without
it on a workstation, failed without it in CI, where it must be present.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.tracker.app import tracker_api
from services.tracker.service import TrackerService
from services.tracker.web_page import STATUS_LABELS
from tests.live_server import serving
from tests.tracker.seeded_ledger import seed_ledger

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]  # fmt: skip
PAGE_SPEC: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "tracker" / "web_page.json").read_text("utf-8")
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: run deploy/install-system-deps", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (deploy/install-system-deps)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def site(tracker: TrackerService) -> Iterator[str]:
    """The tracker with the known ledger and one manual status, served over HTTP."""
    seeded = seed_ledger(tracker)
    manual = PAGE_SPEC["manual"]
    tracker.review(
        manual["commitment"], "set_status", manual["reviewer"], manual["note"],
        evidence_id=None, status=manual["status"], as_of=seeded.day("review_as_of"),
    )  # fmt: skip
    with serving(tracker_api(tracker)) as base_url:
        yield base_url


@pytest.fixture
def page(site: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            tab.goto(site + "/", wait_until="load")
            yield tab
        finally:
            browser.close()


def visible_ids(page: Any) -> list[str]:
    rows = page.locator("#commitments tbody tr:visible")
    return sorted(rows.nth(i).get_attribute("data-id") for i in range(rows.count()))


def test_table_shows_every_commitment_with_its_status_in_chinese(
    site: str, page: Any, tmp_path: Path
) -> None:
    shot = tmp_path / "tracker-index.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one

    served = httpx.get(site + "/api/commitments.json").json()
    assert visible_ids(page) == sorted(c["id"] for c in served)
    for commitment in served:
        row = page.locator(f'#commitments tr[data-id="{commitment["id"]}"]')
        assert commitment["text"] in row.inner_text()
        label = row.locator("td.status").inner_text()
        assert label.startswith(STATUS_LABELS[commitment["status"]]), commitment["id"]
    for cid, label in PAGE_SPEC["row_labels"].items():
        cell = page.locator(f'#commitments tr[data-id="{cid}"] td.status').inner_text()
        assert cell.startswith(label), (cid, cell)
    manual_cell = page.locator(
        f'#commitments tr[data-id="{PAGE_SPEC["manual"]["commitment"]}"] td.status'
    ).inner_text()
    assert PAGE_SPEC["manual_note"] in manual_cell
    counts = page.locator("#counts").inner_text()
    assert all(label in counts for label in PAGE_SPEC["row_labels"].values())
    assert "overdue" not in counts and "achieved" not in counts  # labels, not codes


@pytest.mark.parametrize("case", PAGE_SPEC["filters"], ids=lambda case: case["typed"])
def test_typing_in_the_filter_box_narrows_the_rows(page: Any, case: dict[str, Any]) -> None:
    every = visible_ids(page)
    page.locator("#filter").press_sequentially(case["typed"])
    assert visible_ids(page) == sorted(case["ids"])
    page.locator("#filter").fill("")
    page.locator("#filter").dispatch_event("input")
    assert visible_ids(page) == every


def test_detail_link_opens_the_commitment_as_json(site: str, page: Any) -> None:
    cid = PAGE_SPEC["detail_link"]
    page.locator(f'#commitments tr[data-id="{cid}"] a.detail').click()
    page.wait_for_url(f"{site}/api/commitments/{cid}")
    detail = json.loads(page.locator("body").inner_text())
    assert detail["id"] == cid
    assert detail["evidence"] and detail["status_history"]
    assert date.fromisoformat(detail["deadline"])


def test_rows_quote_the_latest_evidence_with_its_link(site: str, page: Any) -> None:
    served = httpx.get(f"{site}/api/commitments.json").json()
    for item in (i for i in served if i["latest_evidence"]):
        cell = page.locator(f'#commitments tr[data-id="{item["id"]}"] td.evidence')
        assert cell.locator("a").get_attribute("href") == item["latest_evidence"]["url"]
        assert item["latest_evidence"]["quote"][:20] in cell.inner_text()
