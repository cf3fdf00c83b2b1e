"""Archived copies: the WARC index finds a page by URL, article id and revision,
picks up files written later, and the copy shown has nothing that runs or loads."""

from __future__ import annotations

from pathlib import Path

from services.events import article_id_for
from services.tracker.api.warc_archive import (
    WarcIndex,
    page_text,
    read_body,
    sanitised_html,
    sha256_of,
)
from tests.tracker.warc_fixture import html_sha256, page_bytes, write_warc

URL = "https://www.luqiao.gov.cn/art/2025/5/20/art_1229_101.html"
HOSTILE_URL = "https://www.luqiao.gov.cn/art/2025/6/1/art_1229_666.html"


def test_index_finds_a_page_by_url_article_id_and_revision(tmp_path: Path) -> None:
    write_warc(tmp_path / "a.warc.gz", {URL: "art_1229_101.html"})
    index = WarcIndex(tmp_path)
    by_url = index.find(url=URL.replace("https://", "http://"))  # canonical: same page
    by_id = index.find(article_id=article_id_for(URL))
    assert by_url is not None and by_url == by_id
    assert by_url.html_sha256 == html_sha256("art_1229_101.html")
    assert by_url.captured_at.isoformat() == "2025-05-20T02:10:00+00:00"
    body = read_body(by_url)
    assert body == page_bytes("art_1229_101.html") and sha256_of(body) == by_url.html_sha256
    assert index.find(url="https://www.luqiao.gov.cn/art/none.html") is None


def test_exact_revision_wins_over_a_newer_copy(tmp_path: Path) -> None:
    write_warc(tmp_path / "old.warc.gz", {URL: "art_1229_101.html"}, "2025-05-20T02:10:00Z")
    write_warc(tmp_path / "new.warc.gz", {URL: "art_hostile.html"}, "2025-06-20T02:10:00Z")
    index = WarcIndex(tmp_path)
    newest = index.find(url=URL)
    assert newest is not None and newest.html_sha256 == html_sha256("art_hostile.html")
    exact = index.find(url=URL, html_sha256=html_sha256("art_1229_101.html"))
    assert exact is not None and exact.warc_file.name == "old.warc.gz"


def test_a_file_written_after_the_first_lookup_is_found(tmp_path: Path) -> None:
    index = WarcIndex(tmp_path / "warc")
    assert index.find(url=URL) is None  # no directory yet: nothing, no error
    (tmp_path / "warc").mkdir()
    write_warc(tmp_path / "warc" / "a.warc.gz", {URL: "art_1229_101.html"})
    assert index.find(url=URL) is not None
    write_warc(tmp_path / "warc" / "b.warc.gz", {HOSTILE_URL: "art_hostile.html"})
    assert index.find(url=HOSTILE_URL) is not None
    assert len(index.copies()) == 2


def test_the_shown_copy_has_nothing_that_runs_or_loads() -> None:
    for name in ("art_1229_101.html", "art_hostile.html"):
        cleaned = sanitised_html(page_bytes(name), "text/html; charset=utf-8").lower()
        for forbidden in ("<script", "onload", "onerror", "javascript:", "<iframe", "<form",
                          "<link", "jquery"):  # fmt: skip
            assert forbidden not in cleaned, (name, forbidden)
    kept = sanitised_html(page_bytes("art_1229_101.html"))
    assert "全区已完成老旧小区改造3个" in kept and "中央绿轴公园已全面建成" in kept


def test_page_text_is_the_visible_text_only() -> None:
    text = page_text(page_bytes("art_1229_101.html"))
    assert "全区已完成老旧小区改造3个" in text
    assert "__archived" not in text and "脚本运行了" not in text


def test_a_page_in_another_charset_is_decoded_by_its_header() -> None:
    body = "<html><body><p>路桥区老旧小区改造</p></body></html>".encode("gb18030")
    assert "路桥区老旧小区改造" in sanitised_html(body, "text/html; charset=GB18030")
    assert "路桥区老旧小区改造" in page_text(body.replace(b"<html>", b'<html><meta charset="gbk">'))
