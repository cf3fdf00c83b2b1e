"""Reading the reports: headings of both styles, lead paragraphs, captions, broken sentences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.catalog.builder import REPORTS_DIR, seeds_dir
from services.catalog.report_text import flatten, read_report

DATA = Path(__file__).parent / "data"


def load_data(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


REPORT_2025 = REPORTS_DIR / "000_1e31c7665ded58fb.txt"
REPORT_2024 = REPORTS_DIR / "001_2b24b4d1443ff325.txt"


def test_markdown_headings_give_section_paths() -> None:
    report = read_report(REPORT_2025)
    sections = {p.section for p in report.part_paragraphs("plan")}
    assert ("聚力焕新城乡品质", "推进城乡风貌提质焕新") in sections
    assert ("聚力升级社会治理", "提档升级法治能力") in sections
    assert all(len(s) <= 2 for s in sections)


def test_bare_titles_and_lead_phrases_give_section_paths() -> None:
    report = read_report(REPORT_2024)
    paragraph = next(p for p in report.paragraphs if "完成国际科学家创业基地南区" in p.text)
    assert paragraph.part == "plan"
    assert paragraph.section == ("聚力科创新动能 构建强引擎", "推动平台提能")
    assert not paragraph.text.startswith(("> ", "推动平台提能"))


def test_review_lead_on_its_own_line() -> None:
    report = read_report(REPORT_2024)
    paragraph = next(p for p in report.paragraphs if p.text.startswith("突出走前列"))
    assert paragraph.part == "review"
    assert paragraph.section[-1] == "主题教育铸忠诚"


@pytest.mark.parametrize("path", [REPORT_2025, REPORT_2024])
def test_parts_are_told_apart(path: Path) -> None:
    report = read_report(path)
    plan = " ".join(p.text for p in report.part_paragraphs("plan"))
    review = " ".join(p.text for p in report.part_paragraphs("review"))
    assert plan and review
    assert "出让工业用地1346亩" not in plan
    assert "新增市厅级以上试点28个" not in plan


@pytest.mark.parametrize("case", load_data("broken_sentences.json"), ids=lambda c: c["joined"][:12])
def test_broken_sentences_are_joined(case: dict[str, str]) -> None:
    report = read_report(REPORTS_DIR / case["file"])
    assert case["joined"] not in report.raw  # really broken in the source
    assert any(case["joined"] in p.text for p in report.paragraphs)


def test_photo_captions_are_dropped() -> None:
    for file, captions in load_data("captions.json").items():
        if file.startswith("_"):
            continue
        report = read_report(REPORTS_DIR / file)
        for caption in captions:
            assert caption in report.dropped
            assert not any(caption in p.text for p in report.paragraphs)


@pytest.mark.parametrize("path", [REPORT_2025, REPORT_2024, DATA / "report_2026.txt"])
def test_paragraphs_are_verbatim(path: Path) -> None:
    report = read_report(path)
    flat = flatten(report.raw)
    assert report.paragraphs
    for paragraph in report.paragraphs:
        assert paragraph.text in flat


def test_packaged_copies_match_the_seeds() -> None:
    seeds = seeds_dir()
    if not seeds.is_dir():
        pytest.skip(f"no seeds directory at {seeds}")
    for path in (REPORT_2025, REPORT_2024):
        assert path.read_bytes() == (seeds / path.name).read_bytes()
