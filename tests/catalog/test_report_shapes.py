"""Reports of other shapes than the seeds: parts, sections, captions and targets.

The fixtures in data/reports/ are invented reports in the newspaper's Markdown
style (sections by level, no common prefix), its bare-title style (parts opened
by "过去一年" / "新的一年", no years), and a 政府工作报告 (一、 二、, (一), a numbered
民生实事 list, full-width punctuation and indentation, no blank lines). Each is also
read with Windows line ends and with full-width spaces, which must change nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.catalog.builder import (
    REPORTS_DIR,
    ReportSource,
    build_report,
    load_manifest,
    report_path,
)
from services.catalog.overrides import Overrides, load_overrides
from services.catalog.report_text import flatten, parse_report
from services.catalog.targets import parse_targets
from services.catalog.units import comparable, to_base

REPORTS = Path(__file__).parent / "data" / "reports"
LABELLED = Path(__file__).parents[1] / "data" / "labelled" / "articles.jsonl"
EXPECTED: dict[str, Any] = json.loads((REPORTS / "expected.json").read_text(encoding="utf-8"))
FIXTURES = sorted(k for k in EXPECTED if not k.startswith("_"))


def as_is(raw: str) -> str:
    return raw


def windows_line_ends(raw: str) -> str:
    return raw.replace("\n", "\r\n")


def full_width_spaces(raw: str) -> str:
    """Indent every line with two ideographic spaces and fill blank lines with one.

    A line that continues a sentence broken across a blank line is not indented:
    indentation inside a sentence would change its words, not its layout.
    """
    out: list[str] = []
    previous = ""
    for line in raw.split("\n"):
        if not line.strip():
            out.append("\u3000")
            continue
        continues = "," in previous and not previous.endswith(("。", ";", "；", "!", "！"))
        out.append(line if continues else "\u3000\u3000" + line)
        previous = line
    return "\n".join(out)


def drop_blank_lines(raw: str) -> str:
    """As a news article that keeps the report's line breaks but not its blank lines."""
    return "\n".join(line for line in raw.split("\n") if line.strip())


VARIANTS: list[Callable[[str], str]] = [
    as_is,
    windows_line_ends,
    full_width_spaces,
    drop_blank_lines,
]


def read(name: str) -> str:
    return (REPORTS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
@pytest.mark.parametrize("name", FIXTURES)
def test_parts_years_and_paragraphs(name: str, variant: Callable[[str], str]) -> None:
    expected = EXPECTED[name]
    raw = variant(read(name))
    report = parse_report(raw, name)
    assert report.plan_year == expected["plan_year"]
    assert report.review_year == expected["review_year"]
    assert report.has_plan
    review = [p.text for p in report.part_paragraphs("review")]
    assert expected["review_text"] in review
    assert not any(expected["review_text"] in p.text for p in report.part_paragraphs("plan"))
    flat = flatten(raw)
    for paragraph in report.paragraphs:
        assert paragraph.text in flat
        assert paragraph.text == paragraph.text.strip()


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
@pytest.mark.parametrize("name", FIXTURES)
def test_commitments_per_section(name: str, variant: Callable[[str], str]) -> None:
    raw = variant(read(name))
    source = ReportSource(file=name, plan_year=2026, meeting="示例会议")
    commitments = build_report(raw, source, Overrides())
    counts = Counter(" › ".join(c.section) for c in commitments)
    assert dict(counts) == EXPECTED[name]["sections"]


@pytest.mark.parametrize("name", FIXTURES)
def test_captions_and_credits_are_dropped(name: str) -> None:
    report = parse_report(read(name), name)
    assert report.dropped == EXPECTED[name]["dropped"]
    for caption in report.dropped:
        assert not any(caption in p.text for p in report.paragraphs)
        assert caption not in report.headings


@pytest.mark.parametrize("name", [n for n in FIXTURES if EXPECTED[n]["joined"]])
def test_sentences_broken_across_blank_lines_are_joined(name: str) -> None:
    joined = EXPECTED[name]["joined"]
    raw = read(name)
    assert joined not in raw
    report = parse_report(raw, name)
    assert any(joined in p.text for p in report.part_paragraphs("plan"))


def test_numbered_list_items_are_paragraphs_without_their_numbers() -> None:
    report = parse_report(read("gov_2026.txt"), "gov_2026.txt")
    items = [p for p in report.part_paragraphs("plan") if p.section == ("用心办好民生实事",)]
    assert [p.text for p in items][1:3] == ["新改建农村公路25公里；", "新增城镇就业1.2万人；"]
    assert [p.line for p in items][1:3] == [21, 22]


def test_sections_follow_levels_without_a_common_prefix() -> None:
    report = parse_report(read("markdown_2026.md"), "markdown_2026.md")
    sections = {p.section for p in report.part_paragraphs("plan")}
    assert ("推动经济量质齐升", "扩大有效投资") in sections
    assert ("建设宜居品质城市", "厚植生态底色") in sections
    # the part's title ("锚定目标 开局起步") is not a section: its opening stays outside
    opening = report.part_paragraphs("plan")[0]
    assert opening.section == () and opening.text.startswith("新的一年")


def test_a_report_without_recognisable_parts_has_no_plan() -> None:
    report = parse_report(read("no_parts_2026.txt"), "no_parts_2026.txt")
    assert not report.has_plan
    assert "plan 0" in report.summary()
    assert "在开局起步中奋勇争先" in report.summary()  # the headings it did find


def test_plan_starts_at_names_the_plan_part() -> None:
    report = parse_report(
        read("no_parts_2026.txt"), "no_parts_2026.txt", plan_starts_at="在开局起步中奋勇争先"
    )
    plan = report.part_paragraphs("plan")
    assert plan[0].text.startswith("路桥将坚持稳中求进")
    assert not any("改造老旧小区3个" in p.text for p in plan)


def test_plan_starts_at_a_prose_line_keeps_that_paragraph() -> None:
    report = parse_report(
        read("no_parts_2026.txt"), "no_parts_2026.txt", plan_starts_at="路桥将坚持稳中求进"
    )
    plan = report.part_paragraphs("plan")
    assert plan[0].text == "路桥将坚持稳中求进,全力推进各项工作。"
    assert len(plan) == 5


def test_the_plan_year_picks_the_part() -> None:
    raw = read("markdown_2026.md")
    assert parse_report(raw, "x", plan_year=2026).plan_year == 2026


# News about progress, other places, features: never a report. (Whole reports and
# plan documents published as articles are in the labelled set too, and do have parts.)
NEWS_CATEGORIES = {"positive", "other_district", "feature", "pre_plan", "negated"}


def test_news_articles_have_no_plan_part() -> None:
    items = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    news = [i for i in items if i["category"] in NEWS_CATEGORIES]
    assert len(news) > 100
    reports = [parse_report(i["text"], "article") for i in news]
    assert [i["id"] for i, r in zip(news, reports, strict=True) if r.has_plan] == []
    assert all(r.plan_year is None for r in reports)


TARGET_CASES: list[dict[str, Any]] = json.loads(
    (REPORTS / "targets.json").read_text(encoding="utf-8")
)["cases"]


@pytest.mark.parametrize("case", TARGET_CASES, ids=lambda c: c["text"])
def test_targets_parsed_exactly(case: dict[str, Any]) -> None:
    parsed = [t.model_dump(exclude_none=True) for t in parse_targets(case["text"])]
    expected = [
        {**t, "value": float(t["value"]), **({"upper": float(t["upper"])} if "upper" in t else {})}
        for t in case["targets"]
    ]
    assert parsed == expected


def test_units_convert_to_a_common_base() -> None:
    assert to_base(1.2, "万亩") == (12000.0, "亩")
    assert to_base(3, "千米") == to_base(3, "公里") == (3000.0, "米")
    assert to_base(1.5, "亿美元") == (150000000.0, "美元")
    assert comparable("万平方米", "平方米") and comparable("公里", "千米")
    assert not comparable("个", "家") and not comparable("%", "个百分点")


def drop_markdown(raw: str) -> str:
    """The Markdown seed as bare title lines: sections then come from the 聚力 prefix alone."""
    return re.sub(r"(?m)^#+\s+", "", raw)


@pytest.mark.parametrize(
    "variant", [windows_line_ends, full_width_spaces, drop_blank_lines, drop_markdown]
)
def test_the_seeds_read_alike_in_every_layout(variant: Callable[[str], str]) -> None:
    """The seeds as an article keeping only their line breaks, with CRLF, with full-width
    spaces, or without their Markdown marks give the same commitments under the same sections."""
    overrides = load_overrides()
    for source in load_manifest(REPORTS_DIR):
        raw = report_path(source).read_text(encoding="utf-8")
        expected = [(c.text, c.section) for c in build_report(raw, source, overrides)]
        got = [(c.text, c.section) for c in build_report(variant(raw), source, overrides)]
        assert got == expected, source.file
