"""The public pages in a real browser: headless Chromium (Playwright) against the
tracker served by a real uvicorn, on a ledger seeded with evidence, crawl reports
and archived copies. Reading needs no JavaScript, so the reading tests run with
JavaScript off; the escaping tests run with it on, where an unescaped script
would run and leave its mark.

Every test saves a screenshot under test-output/web-pages/ (ignored by git).
Needs /usr/bin/chromium (deploy/install-system-deps installs it): skipped without
it on a workstation, failed without it in CI, where it must be present.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from services.events import Stage, article_id_for
from services.tracker.app import tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from services.tracker.status_rules import STATUS_LABELS, Status
from tests.catalog_fixtures import mini_catalog
from tests.live_server import serving
from tests.tracker.evidence_factory import make_evidence
from tests.tracker.seeded_ledger import seed_ledger
from tests.tracker.warc_fixture import html_sha256, write_warc

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]  # fmt: skip
SPEC: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "tracker" / "web_page.json").read_text("utf-8")
)
SHOTS = Path(__file__).parents[2] / "test-output" / "web-pages"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: run deploy/install-system-deps", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (deploy/install-system-deps)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _service(tmp: Path, *, seeded: bool) -> TrackerService:
    settings = TrackerSettings(
        database_url=f"sqlite:///{tmp / 'tracker.db'}",
        crawler_warc_dir=str(tmp / "warc"),
        api_token=SPEC["token"],
    )
    service = TrackerService(settings, catalog=list(mini_catalog()))
    if not seeded:
        service.start()
        return service
    seeded_ledger = seed_ledger(service)
    manual = SPEC["manual"]
    service.review(
        manual["commitment"], "set_status", manual["reviewer"], manual["note"],
        evidence_id=None, status=manual["status"], as_of=seeded_ledger.day("review_as_of"),
    )  # fmt: skip
    hostile = SPEC["hostile"]
    service.handle_batch(
        [make_evidence(hostile["commitment"], hostile["url"], hostile["day"],
                       Stage(hostile["stage"]), title=hostile["title"], quote=hostile["quote"],
                       revision=html_sha256(hostile["page"]))],
        as_of=seeded_ledger.day("as_of"),
    )  # fmt: skip
    (tmp / "warc").mkdir()
    write_warc(tmp / "warc" / "luqiao-test.warc.gz",
               {**SPEC["archived"], hostile["url"]: hostile["page"]})  # fmt: skip
    return service


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tracker with the seeded ledger, served over HTTP; its start re-decides every
    status as of today."""
    service = _service(tmp_path_factory.mktemp("web"), seeded=True)
    with serving(tracker_api(service)) as base_url:
        yield base_url
    service.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _tab(browser: Any, *, javascript: bool, width: int = 1280) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN", java_script_enabled=javascript
    )
    return context.new_page()


@pytest.fixture
def reader(browser: Any) -> Iterator[Any]:
    """A reader without JavaScript."""
    tab = _tab(browser, javascript=False)
    yield tab
    tab.context.close()


@pytest.fixture
def scripted(browser: Any) -> Iterator[Any]:
    """A browser with JavaScript on, where injected script would run."""
    tab = _tab(browser, javascript=True)
    yield tab
    tab.context.close()


def shot(tab: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path


def row_ids(tab: Any) -> list[str]:
    rows = tab.locator("#commitments tbody tr")
    return sorted(rows.nth(i).get_attribute("data-id") for i in range(rows.count()))


def test_overview_shows_every_commitment_with_its_status_in_chinese(site: str, reader: Any) -> None:
    reader.goto(site + "/")
    shot(reader, "overview")
    assert row_ids(reader) == sorted(c.id for c in mini_catalog())
    for cid, label in SPEC["row_labels"].items():
        cell = reader.locator(f'#commitments tr[data-id="{cid}"] td.status').inner_text()
        assert cell.startswith(label), (cid, cell)
    manual = reader.locator(f'tr[data-id="{SPEC["manual"]["commitment"]}"] td.status')
    assert SPEC["manual_note"] in manual.inner_text()
    counts = reader.locator("#counts").inner_text()
    assert all(label in counts for label in SPEC["row_labels"].values())
    body = reader.locator("main").inner_text()
    for machine in ("overdue", "no_evidence", "achieved", "deadline_passed"):
        assert machine not in body  # labels, not codes
    # Red/amber/green: one strip segment per status present, coloured by its class.
    assert reader.locator("#strip > .bar span.seg-red").count() == 1  # overdue only
    assert reader.locator("#sections tbody tr").count() >= 2


def test_failed_crawl_is_announced_above_every_page(site: str, reader: Any) -> None:
    for path in ("/", "/methodology", "/commitments/t25-gdp"):
        reader.goto(site + path)
        banner = reader.locator("#crawl-banner")
        assert banner.get_attribute("data-state") == "failed"
        text = banner.inner_text()
        assert "最近一次抓取失败" in text and SPEC["failed_crawl_error"] in text
        assert "上次成功抓取：2025-06-02 08:04" in text and "57篇" in text


def test_no_crawl_yet_is_neutral(browser: Any, tmp_path: Path) -> None:
    service = _service(tmp_path, seeded=False)
    tab = _tab(browser, javascript=False)
    try:
        with serving(tracker_api(service)) as base:
            tab.goto(base + "/")
            shot(tab, "overview-no-crawl-yet")
            banner = tab.locator("#crawl-banner")
            assert banner.get_attribute("data-state") == "none"
            assert "尚未完成抓取" in banner.inner_text()
            # Nothing crawled, nothing known: every commitment says so, none is red.
            labels = tab.locator("#commitments td.status .badge").all_inner_texts()
            assert labels and set(labels) == {STATUS_LABELS[Status.NO_EVIDENCE]}
            assert tab.locator("#commitments .rag-red").count() == 0
    finally:
        tab.context.close()
        service.engine.dispose()


@pytest.mark.parametrize("case", SPEC["status_filters"], ids=lambda c: c["status"])
def test_status_filter_is_a_get_form_whose_url_can_be_shared(
    site: str, reader: Any, case: dict[str, Any]
) -> None:
    reader.goto(site + "/")
    reader.locator("select[name=status]").select_option(case["status"])
    reader.locator("#filters button[type=submit]").click()
    reader.wait_for_load_state()
    assert parse_qs(urlsplit(reader.url).query)["status"] == [case["status"]]
    assert row_ids(reader) == sorted(case["ids"])
    shot(reader, f"filter-status-{case['status']}")
    shared = reader.url
    reader.goto("about:blank")
    reader.goto(shared)  # the same view from the link alone
    assert row_ids(reader) == sorted(case["ids"])
    assert reader.locator("select[name=status]").input_value() == case["status"]


def test_year_and_figures_filters_combine(site: str, reader: Any) -> None:
    reader.goto(site + "/?year=2025&has_figures=1")
    ids = row_ids(reader)
    quantitative = {c.id for c in mini_catalog() if c.report.plan_year == 2025 and c.targets}
    assert quantitative <= set(ids) and "t24-green-axis" not in ids
    reader.goto(site + "/?year=abc&status=nonsense")
    assert row_ids(reader) == sorted(c.id for c in mini_catalog())
    assert "无效，已忽略" in reader.locator("main").inner_text()


@pytest.mark.parametrize("case", SPEC["searches"], ids=lambda c: c["q"])
def test_search_covers_commitments_and_quotes(site: str, reader: Any, case: dict[str, Any]) -> None:
    reader.goto(site + "/")
    reader.locator("input[name=q]").fill(case["q"])
    reader.locator("input[name=q]").press("Enter")
    reader.wait_for_load_state()
    assert parse_qs(urlsplit(reader.url).query)["q"] == [case["q"]]
    assert row_ids(reader) == sorted(case["ids"])
    marks = reader.locator("#commitments mark").all_inner_texts()
    assert all(m == case["q"] for m in marks) and (bool(marks) == bool(case["ids"]))
    if case["in_quote"]:
        assert reader.locator("#commitments ul.quote-hits mark").count() >= 1
    if not case["ids"]:
        assert "没有符合条件的承诺" in reader.locator("#empty").inner_text()
    shot(reader, f"search-{len(case['ids'])}-results")


def test_commitment_page_tells_the_story(site: str, reader: Any) -> None:
    detail = SPEC["detail"]
    reader.goto(site + "/")
    reader.locator(f'#commitments tr[data-id="{detail["commitment"]}"] a.detail').click()
    reader.wait_for_url(f"{site}/commitments/{detail['commitment']}")
    shot(reader, "commitment")
    commitment = next(c for c in mini_catalog() if c.id == detail["commitment"])
    assert reader.locator("#commitment-text").inner_text() == commitment.text
    source = reader.locator("#source").inner_text()
    assert commitment.report.meeting in source and commitment.deadline.isoformat() in source
    assert reader.locator("#status-label").inner_text() == SPEC["row_labels"][commitment.id]
    assert "截止日期2025年12月31日已过" in reader.locator("#reasons").inner_text()
    timeline = reader.locator("#timeline li")
    rules = [timeline.nth(i).get_attribute("data-rule") for i in range(timeline.count())]
    assert rules == detail["timeline_rules"]
    badges = reader.locator("#timeline li .badge").all_inner_texts()
    assert badges == detail["timeline_labels"]
    assert detail["target"] in reader.locator("#target").inner_text()
    assert "截止日期已过，不再计算序时进度" in reader.locator("#schedule-formula").inner_text()
    item = reader.locator("#evidence .evidence-item").first
    assert "阶段：推进中" in item.inner_text() and "3个" in item.inner_text()
    assert item.locator("a.original").get_attribute("href") == detail["archived_url"]
    assert "自动采信" in reader.locator("#evidence").inner_text()
    assert "自动采信 1 条" in reader.locator("#review").inner_text()


def test_archive_link_opens_the_archived_copy_sandboxed(site: str, scripted: Any) -> None:
    detail = SPEC["detail"]
    scripted.goto(f"{site}/commitments/{detail['commitment']}")
    scripted.locator("#evidence a.archive-link").first.click()
    scripted.wait_for_url(re.compile(r".*/archive/[0-9a-f]{32}$"))
    scripted.frame_locator("iframe.archive").locator("body").wait_for()
    shot(scripted, "archive")
    meta = scripted.locator("#archive-meta").inner_text()
    assert detail["archived_url"] in meta
    assert "2025-05-20 10:10（北京时间）" in meta  # captured 02:10 UTC
    assert html_sha256("art_1229_101.html") in meta and "与存档内容一致" in meta
    frame = scripted.locator("iframe.archive")
    assert frame.get_attribute("sandbox") == ""
    inner = scripted.frame_locator("iframe.archive").locator("body").inner_text()
    assert detail["archived_text"] in inner
    assert scripted.evaluate("Object.keys(window).filter(k => k.startsWith('__archived'))") == []
    # The copy's own URL is sandboxed by its header too, for a reader who opens it directly.
    src = frame.get_attribute("src")
    raw = httpx.get(site + src)
    assert raw.headers["content-security-policy"].startswith("sandbox")
    assert "<script" not in raw.text.lower() and "onload" not in raw.text.lower()


def test_archive_of_an_unknown_id_says_so(site: str, reader: Any) -> None:
    reader.goto(site + "/archive/not-an-id")
    assert "没有找到“not-an-id”的存档" in reader.locator("#message").inner_text()


def test_hostile_title_and_quote_are_shown_as_text(site: str, scripted: Any) -> None:
    hostile = SPEC["hostile"]
    for path in (
        f"/commitments/{hostile['commitment']}",
        "/?q=其余正在推进",
        "/changes?since=2000-01-01",
    ):
        scripted.goto(site + path)
        assert scripted.evaluate("window.__pwned") is None, path
        text = scripted.locator("main").inner_text()
        assert "onerror" in text and "<img" in text, path  # shown, literally
        assert scripted.locator("main img").count() == 0, path
    scripted.goto(f"{site}/commitments/{hostile['commitment']}")
    shot(scripted, "commitment-hostile")
    item = scripted.locator("#evidence .evidence-item").first
    assert item.locator("blockquote").inner_text() == hostile["quote"]
    assert item.locator("a.original").inner_text() == hostile["title"]
    assert scripted.locator("#status-label").inner_text() == "逾期未完成"
    scripted.locator("#evidence a.archive-link").first.click()
    scripted.frame_locator("iframe.archive").locator("body").wait_for()
    assert scripted.evaluate("Object.keys(window).filter(k => k.startsWith('__'))") == []


def test_methodology_page_states_the_rules_and_the_formula(site: str, reader: Any) -> None:
    reader.goto(site + "/")
    reader.locator("header nav a", has_text="方法说明").click()
    reader.wait_for_url(site + "/methodology")
    shot(reader, "methodology")
    text = reader.locator("main").inner_text()
    assert "序时进度 = 计划年度内已经过完的月数 ÷ 12" in text
    assert "11 ÷ 12" in text and "未见报道" in text and "不等于没有完成" in text
    for status in Status:
        assert reader.locator(f'#statuses tr[data-status="{status.value}"]').count() == 1
    assert reader.locator("#rules li").count() >= len(Status)
    assert "90 天" in text and "0.6" in text


def test_what_changed_since_a_date(site: str, reader: Any) -> None:
    reader.goto(site + "/changes")
    reader.locator("input[name=since]").fill("2000-01-01")
    reader.locator("form button[type=submit]").click()
    reader.wait_for_load_state()
    assert parse_qs(urlsplit(reader.url).query)["since"] == ["2000-01-01"]
    shot(reader, "changes")
    rows = reader.locator("#status-changes tbody tr")
    assert rows.count() >= len(mini_catalog())
    changed = {rows.nth(i).get_attribute("data-id") for i in range(rows.count())}
    assert changed == {c.id for c in mini_catalog()}
    text = reader.locator("#status-changes").inner_text()
    assert "未见报道 → 部分完成" not in text  # old → new goes through 推进中 first
    assert "推进中 → 部分完成" in text
    assert reader.locator("#new-evidence li").count() >= 6


def test_subscribe_form_needs_the_token_and_returns_the_feed(site: str, reader: Any) -> None:
    cid = SPEC["detail"]["commitment"]
    reader.goto(f"{site}/commitments/{cid}")
    feed = httpx.get(site + reader.locator("#atom-link").get_attribute("href"))
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "部分完成" in feed.text and "urn:luqiao:status:" in feed.text
    form = reader.locator("#subscribe-form")
    form.locator("input[name=name]").fill("编辑部")
    form.locator("input[name=webhook_url]").fill("https://newsroom.example/hook")
    form.locator("input[name=token]").fill("wrong")
    form.locator("button").click()
    reader.wait_for_load_state()
    assert "口令不对" in reader.locator("#subscribe-result").inner_text()
    reader.goto(f"{site}/commitments/{cid}")
    shot(reader, "subscribe-form")
    form = reader.locator("#subscribe-form")
    form.locator("input[name=name]").fill("编辑部")
    form.locator("input[name=webhook_url]").fill("https://newsroom.example/hook")
    form.locator("input[name=token]").fill(SPEC["token"])
    form.locator("button").click()
    reader.wait_for_load_state()
    shot(reader, "subscribed")
    result = reader.locator("#subscribe-result").inner_text()
    assert "订阅“编辑部”已建立" in result and "https://newsroom.example/hook" in result
    feed_url = reader.locator("#subscribe-result a").get_attribute("href")
    assert httpx.get(feed_url).status_code == 200
    assert re.fullmatch(r"[0-9a-f]{64}", reader.locator("#webhook-secret").inner_text())


def test_phone_width_reads_without_sideways_scrolling(browser: Any, site: str) -> None:
    tab = _tab(browser, javascript=True, width=390)
    try:
        for path, name in (
            ("/", "phone-overview"),
            ("/commitments/t25-old-housing", "phone-commitment"),
        ):
            tab.goto(site + path)
            shot(tab, name)
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
            assert "部分完成" in tab.locator("main").inner_text()
    finally:
        tab.context.close()


def test_archive_by_article_id_shows_the_newest_copy(site: str) -> None:
    url = SPEC["detail"]["archived_url"]
    page = httpx.get(f"{site}/archive/{article_id_for(url)}")
    assert page.status_code == 200
    assert url in page.text and html_sha256("art_1229_101.html") in page.text
    raw = httpx.get(f"{site}/archive/{article_id_for(url)}/page")
    assert SPEC["detail"]["archived_text"] in raw.text
    assert raw.headers["x-frame-options"] == "SAMEORIGIN"
