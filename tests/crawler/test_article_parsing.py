"""article_parsing on the fixture site's pages: meta tags, templates, fallbacks, encodings."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from services.crawler.article_parsing import (
    ArticleParseError,
    decode_html,
    is_attachment_link,
    parse_article,
    parse_china_datetime,
)
from services.events import CHINA_TZ
from tests.fixture_site import Article, SiteData

from .conftest import SITE_DATA

ORIGIN = "https://www.luqiao.gov.cn"


@pytest.fixture(scope="module")
def site() -> SiteData:
    data = SiteData(SITE_DATA)
    data.origin = ORIGIN
    return data


def _page(site: SiteData, template: str) -> tuple[Article, bytes]:
    article = next(a for a in site.articles.values() if a.template == template)
    return article, site.article_page(article, ORIGIN)


@pytest.mark.parametrize(
    ("template", "selector"),
    [
        ("zoom", "#zoom"),
        ("wzzw", ".wzzw-article"),
        ("trs", ".TRS_Editor"),
        ("ivs", "#ivs_content"),
        ("content", ".article-content"),
        ("maintxt", ".main-txt"),
        ("gbk", "#zoom"),
        ("plain", "trafilatura"),
    ],
)
def test_each_template_gives_the_paragraphs(site: SiteData, template: str, selector: str) -> None:
    article, body = _page(site, template)
    parsed = parse_article(body, ORIGIN + article.path)
    assert parsed.body_from == selector
    assert parsed.title == article.title
    assert parsed.text.split("\n")[: len(article.paragraphs)] == article.paragraphs


def test_meta_tags_come_first(site: SiteData) -> None:
    article, body = _page(site, "trs")  # PubDate with seconds, title differs from <title>
    parsed = parse_article(body, ORIGIN + article.path)
    assert parsed.published_at == datetime(2025, 5, 9, 10, 12, tzinfo=CHINA_TZ)
    assert parsed.source == "区科技局"
    assert parsed.column == "今日路桥"
    assert parsed.keywords == ["飞龙湖科创基地", "科技创新"]


def test_page_without_meta_tags_falls_back_to_page_text(site: SiteData) -> None:
    article, body = _page(site, "plain")
    assert b"ArticleTitle" not in body
    parsed = parse_article(body, ORIGIN + article.path)
    assert parsed.published_at == datetime(2025, 2, 20, 19, 10, tzinfo=CHINA_TZ)
    assert parsed.source == "路桥日报"


def test_gbk_page_without_any_declaration_is_decoded(site: SiteData) -> None:
    article, body = _page(site, "gbk")
    undeclared = re.sub(rb"<meta http-equiv[^>]+>", b"", body)
    assert b"charset" not in undeclared
    with pytest.raises(UnicodeDecodeError):
        undeclared.decode("utf-8")
    parsed = parse_article(undeclared, ORIGIN + article.path)
    assert parsed.encoding == "gb18030"
    assert parsed.title == article.title


def test_gb2312_label_with_gbk_only_characters() -> None:
    # 镕 is in GBK but not in GB2312: a page labelled gb2312 must still decode it.
    body = '<meta charset="gb2312"><p>朱镕基</p>'.encode("gbk")
    text, encoding = decode_html(body)
    assert "朱镕基" in text and encoding == "gb18030"


def test_attachments_are_absolute_links(site: SiteData) -> None:
    article = site.articles["/col/col1683490/art/2025/art_2b3c4d5e6f708192a3b4c5d6e7f80912.html"]
    parsed = parse_article(site.article_page(article, ORIGIN), ORIGIN + article.path)
    assert parsed.attachments == [
        ORIGIN + "/module/download/downfile.jsp?classid=0&filename=2509151030.xlsx",
        ORIGIN + "/attach/0/gengxin-shuoming.docx",
    ]
    assert is_attachment_link("https://x/a/b.PDF")
    assert not is_attachment_link("https://x/art/2025/1/1/art_1_2.html")


def test_unusable_page_raises(site: SiteData) -> None:
    article, body = _page(site, "broken")
    with pytest.raises(ArticleParseError):
        parse_article(body, ORIGIN + article.path)
    with pytest.raises(ArticleParseError):
        parse_article(b"", ORIGIN + "/x.html")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-14 09:30", datetime(2025, 3, 14, 9, 30, tzinfo=CHINA_TZ)),
        ("2025-03-14 09:30:15", datetime(2025, 3, 14, 9, 30, 15, tzinfo=CHINA_TZ)),
        ("2025/3/4", datetime(2025, 3, 4, tzinfo=CHINA_TZ)),
        ("发布时间：2025年3月14日", datetime(2025, 3, 14, tzinfo=CHINA_TZ)),
        ("no date here", None),
    ],
)
def test_china_datetimes(raw: str, expected: datetime | None) -> None:
    assert parse_china_datetime(raw) == expected
