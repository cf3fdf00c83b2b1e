"""Both list engines as the fixture site renders them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.crawler.list_parsing import (
    column_name,
    find_jpaas_unit,
    find_jpage_store,
    parse_jpaas_answer,
    parse_jpage_answer,
)
from tests.fixture_site import SiteData

from .conftest import SITE_DATA

ORIGIN = "https://www.luqiao.gov.cn"


@pytest.fixture(scope="module")
def site() -> SiteData:
    data = SiteData(SITE_DATA)
    data.origin = data.mirror_origin = ORIGIN
    return data


@pytest.mark.parametrize(("column_id", "page_size"), [("1683482", 4), ("1683490", None)])
def test_jpaas_unit_with_json_or_single_quoted_query_data(
    site: SiteData, column_id: str, page_size: int | None
) -> None:
    page = site.column_page(column_id)
    assert page is not None
    unit = find_jpaas_unit(page, f"{ORIGIN}/col/col{column_id}/index.html")
    assert unit is not None
    assert unit.api_url == ORIGIN + "/api-gateway/jpaas-publish-server/front/page/build/unit"
    assert unit.query["pageId"] == column_id and unit.query["webId"] == "3379"
    assert unit.page_size == page_size
    assert column_name(page) == site.columns[column_id].name


def test_jpaas_answer_items_and_paging(site: SiteData) -> None:
    answer = json.dumps(site.jpaas_page("1683482", 2, 4), ensure_ascii=False)
    page = parse_jpaas_answer(answer, ORIGIN + "/")
    assert len(page.items) == 4
    assert page.rows == 4 and page.count == len(site.list_items("1683482"))
    assert page.total_pages() == 3
    first = page.items[0]
    assert first.url.startswith("http") and first.date is not None
    assert [i.date for i in page.items] == sorted((i.date for i in page.items), reverse=True)


def test_jpaas_failure_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_jpaas_answer('{"success": false, "message": "bad"}', ORIGIN)


def test_jpage_inline_store_and_proxy_answer(site: SiteData) -> None:
    page = site.column_page("1683483")
    assert page is not None
    store = find_jpage_store(page, f"{ORIGIN}/col/col1683483/index.html")
    assert store is not None
    assert store.proxy_url == ORIGIN + "/module/jpage/dataproxy.jsp"
    assert store.form["columnid"] == "1683483" and store.form["webid"] == "3379"
    assert store.form["col"] == "1" and store.form["sourceContentType"] == "1"
    assert len(store.items) == 3
    xml = site.jpage_records("1683483", 4, 18, 15)
    assert xml is not None
    items, total = parse_jpage_answer(xml, ORIGIN + "/")
    assert total == len(site.list_items("1683483")) == 3 + len(items)
    assert items[-1].date == date(2023, 12, 20)


def test_web_jpage_proxy_path_is_kept(site: SiteData) -> None:
    page = site.column_page("1683484")
    assert page is not None
    store = find_jpage_store(page, f"{ORIGIN}/col/col1683484/index.html")
    assert store is not None and store.proxy_url.endswith("/module/web/jpage/dataproxy.jsp")
