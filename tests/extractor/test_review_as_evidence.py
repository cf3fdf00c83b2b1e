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
