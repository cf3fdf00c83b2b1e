"""The embedded product against the fixture site, then the pages: the crawler's own
WARC archive backs the archive links, and the statuses say what is known — most
commitments 未见报道 or backed by evidence, none 逾期未完成 without a report after
the deadline that the work was unfinished, no ongoing commitment overdue."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from pathlib import Path

import httpx
import pytest

from services.catalog import load_catalog
from services.crawler.handoff import HandoffQueue
from services.embedded import EmbeddedPipeline
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from services.tracker.app import tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.fixture_site import FixtureSite, fast_overrides
from tests.live_server import free_port, serving

pytestmark = pytest.mark.slow
SITE = Path(__file__).parents[1] / "data" / "site"


def test_embedded_run_then_the_pages(tmp_path: Path) -> None:
    catalog = {c.id: c for c in load_catalog()}
    settings = TrackerSettings(
        database_url=f"sqlite:///{tmp_path / 'tracker.db'}", crawler_warc_dir=str(tmp_path / "warc")
    )
    tracker = TrackerService(settings)
    tracker.start()
    with FixtureSite(SITE) as site:
        overrides = dict(fast_overrides(site, tmp_path))
        queue = HandoffQueue(str(overrides["state_url"]))
        pipeline = EmbeddedPipeline(ExtractorHandler(ExtractorSettings()), tracker, queue)
        summary = pipeline.poll(overrides, threading.Event())
    assert summary.published > 0
    assert list((tmp_path / "warc").glob("*.warc.gz")), "the crawl archived nothing"
    with serving(tracker_api(tracker)) as base:
        banner = httpx.get(base + "/methodology").text
        assert 'data-state="ok"' in banner and "最近一次成功抓取" in banner
        items = httpx.get(base + "/api/commitments.json", timeout=30).json()
        statuses = Counter(i["status"] for i in items)
        print("statuses after the embedded run:", dict(statuses.most_common()))
        assert len(items) == len(catalog)
        backed = sum(n for s, n in statuses.items() if s != "no_evidence")
        assert statuses["no_evidence"] + backed == len(items)
        assert statuses["no_evidence"] > len(items) / 2  # a small fixture site: mostly silence
        for item in items:
            c = catalog[item["id"]]
            detail = httpx.get(f"{base}/api/commitments/{c.id}", timeout=30).json()
            counted = [e for e in detail["evidence"]
                       if e["review_state"] in ("auto", "confirmed") and not e["superseded_by"]]  # fmt: skip
            if item["status"] == "no_evidence":
                assert not [e for e in counted if e["stage"] != "planned"], c.id
            if item["status"] == "overdue":
                assert c.kind != "ongoing", c.id
                after = [
                    e for e in counted if date.fromisoformat(e["published_at"][:10]) > c.deadline
                ]
                assert after and all(e["stage"] != "completed" for e in after), c.id
        page = httpx.get(base + "/", timeout=30).text
        assert page.count('data-status="overdue"') == statuses["overdue"]
        # An evidence page of this crawl, served from the crawler's own WARC file.
        with_evidence = next(i for i in items if i["latest_evidence"])
        detail = httpx.get(f"{base}/commitments/{with_evidence['id']}", timeout=30).text
        assert 'class="archive-link"' in detail
        evidence_id = httpx.get(f"{base}/api/commitments/{with_evidence['id']}").json()["evidence"][
            0
        ]["evidence_id"]
        archived = httpx.get(f"{base}/archive/{evidence_id}", timeout=30)
        assert archived.status_code == 200 and "与存档内容一致" in archived.text
    tracker.engine.dispose()


def test_an_unreachable_site_shows_as_a_failed_crawl_not_a_verdict(tmp_path: Path) -> None:
    """The first run on a machine without the site: the banner says the crawl failed."""
    settings = TrackerSettings(database_url=f"sqlite:///{tmp_path / 'tracker.db'}")
    tracker = TrackerService(settings)
    tracker.start()
    with FixtureSite(SITE) as site:
        overrides = dict(fast_overrides(site, tmp_path))
    overrides["site_url"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    queue = HandoffQueue(str(overrides["state_url"]))
    pipeline = EmbeddedPipeline(ExtractorHandler(ExtractorSettings()), tracker, queue)
    pipeline.poll(overrides, threading.Event())  # a failed crawl is reported, not raised
    with serving(tracker_api(tracker)) as base:
        page = httpx.get(base + "/", timeout=30).text
    assert 'data-state="failed"' in page and "最近一次抓取失败" in page
    assert "此前从未成功抓取" in page
    assert 'data-status="overdue"' not in page
    tracker.engine.dispose()
