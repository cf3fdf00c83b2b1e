"""The overview's filters (read from the URL, bad values dropped with a notice), the
red/amber/green strip and the search highlighting: pure functions, no server."""

from __future__ import annotations

from typing import Any

import pytest

from services.tracker.api.web_page import OverviewFilter, highlight, strip_rows


def item(cid: str, status: str, year: int = 2025, section: str = "城乡品质", **kw: Any) -> dict:
    return {"id": cid, "status": status, "plan_year": year, "report": f"luqiao-{year}",
            "section": [section, "子节"], "section_top": section, "text": kw.get("text", cid),
            "aliases": [], "has_figures": kw.get("figures", False)}  # fmt: skip


ITEMS = [
    item("a", "achieved", text="建成中央绿轴公园"),
    item("b", "overdue", figures=True, text="改造老旧小区4个"),
    item("c", "no_evidence", 2024, "产业", text="加快中央绿轴公园建设"),
    item("d", "stalled", section="产业", figures=True),
]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ({}, ["a", "b", "c", "d"]),
        ({"year": "2024"}, ["c"]),
        ({"status": "overdue"}, ["b"]),
        ({"section": "产业"}, ["c", "d"]),
        ({"has_figures": "1"}, ["b", "d"]),
        ({"q": "绿轴"}, ["a", "c"]),
        ({"q": "子节"}, ["a", "b", "c", "d"]),  # the section path counts as text
        ({"year": "2025", "has_figures": "1", "section": "产业"}, ["d"]),
    ],
)
def test_filters_combine(query: dict[str, str], ids: list[str]) -> None:
    chosen = OverviewFilter.from_query(query)
    assert [i["id"] for i in ITEMS if chosen.keeps(i, {})] == ids
    assert chosen.notices == ()


def test_a_quote_hit_keeps_a_commitment_whose_text_does_not_match() -> None:
    chosen = OverviewFilter.from_query({"q": "其余正在推进"})
    assert [i["id"] for i in ITEMS if chosen.keeps(i, {"d": [object()]})] == ["d"]


def test_bad_values_are_dropped_with_a_notice() -> None:
    chosen = OverviewFilter.from_query({"year": "20x5", "status": "<b>", "q": "字" * 150})
    assert (chosen.year, chosen.status, len(chosen.q)) == (None, "", 100)
    assert len(chosen.notices) == 3 and all("忽略" in n or "过长" in n for n in chosen.notices)


def test_the_url_of_a_view_round_trips() -> None:
    chosen = OverviewFilter.from_query({"year": "2025", "status": "stalled", "q": "绿轴 公园"})
    again = OverviewFilter.from_query(
        dict(p.split("=") for p in chosen.query_string().replace("+", " ").split("&"))
        | {"q": "绿轴 公园"}
    )
    assert (again.year, again.status) == (2025, "stalled")
    assert "status=overdue" in chosen.query_string(status="overdue")


def test_strip_counts_per_status_and_per_report_section() -> None:
    total, rows = strip_rows(ITEMS)
    assert total.total == 4
    assert dict(total.rag()) == {"green": 1, "amber": 0, "red": 2, "none": 1}
    assert {(r.year, r.section): r.total for r in rows} == {
        (2025, "城乡品质"): 2, (2024, "产业"): 1, (2025, "产业"): 1,
    }  # fmt: skip
    widths = [w for _s, _n, w in total.segments()]
    assert sum(widths) == pytest.approx(100.0)


def test_highlight_cuts_text_around_every_match() -> None:
    assert highlight("绿轴公园和绿轴", "绿轴") == [
        ("绿轴", True),
        ("公园和", False),
        ("绿轴", True),
    ]
    assert highlight("公园", "") == [("公园", False)]
