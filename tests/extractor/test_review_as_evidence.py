"""The 2025 report's look back at 2024, fed in as an article, is evidence on the
2024 plan's commitments (and on nothing of the 2025 plan)."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.catalog import load_catalog
from services.catalog.builder import REPORTS_DIR
from services.events import CHINA_TZ, Stage
from services.extractor.matching import ArticleExtractor
from services.offline_articles import article_from_dict


@pytest.fixture(scope="module")
def review_matches() -> list:
    text = (REPORTS_DIR / "000_1e31c7665ded58fb.txt").read_text(encoding="utf-8")
    review = text[text.index("回顾2024") : text.index("展望2025")]
    article = article_from_dict(
        {
            "url": "https://www.luqiao.gov.cn/art/2025/1/10/art_1229_review.html",
            "title": "回顾2024 克难攻坚 稳进发展",
            "published_at": datetime(2025, 1, 10, 9, 0, tzinfo=CHINA_TZ).isoformat(),
            "text": review,
        }
    )
    return ArticleExtractor(load_catalog()).extract(article)


def test_review_yields_evidence_on_the_previous_plan(review_matches: list) -> None:
    progress = [m for m in review_matches if m.stage != Stage.PLANNED]
    assert len(progress) >= 5
    assert {m.commitment.report.plan_year for m in review_matches} == {2024}


def test_review_reports_completions(review_matches: list) -> None:
    completed = {m.commitment.text for m in review_matches if m.stage == Stage.COMPLETED}
    assert any("智慧陆港" in t or "医保地图" in t or "巨东" in t for t in completed), completed


# Each report read whole, as the site publishes it: the plan part is a plan, the
# review part is evidence on the year before (what ../shared/checks/report_as_article.py
# measures, kept here so CI holds it).
REPORTS_READ_WHOLE = [
    ("000_1e31c7665ded58fb.txt", "展望2025", 2025, "2025-01-10", 10),
    ("001_2b24b4d1443ff325.txt", "在先行示范中再谱新篇", 2024, "2024-01-11", 0),
]


@pytest.mark.parametrize(("name", "marker", "plan_year", "day", "min_review"), REPORTS_READ_WHOLE)
def test_report_read_whole_claims_nothing_from_its_plan(
    name: str, marker: str, plan_year: int, day: str, min_review: int
) -> None:
    raw = (REPORTS_DIR / name).read_text(encoding="utf-8")
    plan = "".join(raw.split(marker, 1)[1].split())
    title = next(line.lstrip("# ").strip() for line in raw.splitlines() if line.strip())
    article = article_from_dict(
        {
            "url": f"https://www.luqiao.gov.cn/art/{day[:4]}/1/10/art_1683482_{plan_year}.html",
            "title": title,
            "published_at": f"{day}T08:00:00+08:00",
            "text": raw,
        }
    )
    matches = ArticleExtractor(load_catalog()).extract(article)
    in_plan = [m for m in matches if "".join(m.quote.split()) in plan]
    in_review = [m for m in matches if m not in in_plan]
    assert [m.quote for m in in_plan if m.stage != Stage.PLANNED] == []
    assert {m.commitment.report.plan_year for m in in_review} <= {plan_year - 1}
    progress = [m for m in in_review if m.stage != Stage.PLANNED]
    assert len(progress) >= min_review, [m.commitment.text for m in progress]
