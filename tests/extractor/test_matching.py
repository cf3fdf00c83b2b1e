"""Whole-article extraction on hand-written articles (data files), against the
small test catalog: what is evidence, what is a plan, what is nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.events import Stage
from services.extractor.matching import ArticleExtractor
from services.offline_articles import article_from_dict
from tests.catalog_fixtures import mini_catalog

ARTICLES = sorted((Path(__file__).parents[1] / "data/extractor/articles").glob("*.json"))


@pytest.fixture(scope="module")
def extractor() -> ArticleExtractor:
    return ArticleExtractor(list(mini_catalog()))


@pytest.mark.parametrize("path", ARTICLES, ids=[p.stem for p in ARTICLES])
def test_article(path: Path, extractor: ArticleExtractor) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    article = article_from_dict(case)
    found = {m.commitment.id: m for m in extractor.extract(article)}
    assert {cid: m.stage.value for cid, m in found.items()} == case["expect"]
    for m in found.values():
        source = article.title if "quote:title" in m.reasons else article.text
        assert source[m.start : m.end].strip() == m.quote, "quote is verbatim at its offsets"
        assert 0.0 <= m.confidence <= 1.0
        assert any(r.startswith(("anchor:", "keyword:")) for r in m.reasons)


def test_progress_figures_are_reported_in_the_target_unit(extractor: ArticleExtractor) -> None:
    case = json.loads(
        (ARTICLES[0].parent / "progress_with_figures.json").read_text(encoding="utf-8")
    )
    [m] = [
        m
        for m in extractor.extract(article_from_dict(case))
        if m.commitment.id == "t25-old-housing"
    ]
    assert m.stage == Stage.IN_PROGRESS
    assert any(f.role == "done" and f.value == 3 and f.unit == "个" for f in m.figures)


def test_evidence_ids_are_deterministic(extractor: ArticleExtractor) -> None:
    case = json.loads((ARTICLES[0].parent / "completed_park.json").read_text(encoding="utf-8"))
    article = article_from_dict(case)
    assert [e.evidence_id for e in extractor.evidence(article)] == [
        e.evidence_id for e in extractor.evidence(article)
    ]


def test_news_before_the_congress_adopted_the_plan_is_not_evidence() -> None:
    """The adoption day comes from the catalog's report (reports/manifest.json)."""
    from datetime import date

    park = next(c for c in mini_catalog() if c.id == "t25-green-axis")
    adopted = park.model_copy(
        update={"report": park.report.model_copy(update={"adopted_on": date(2025, 1, 9)})}
    )
    extractor = ArticleExtractor([adopted])
    case = json.loads((ARTICLES[0].parent / "completed_park.json").read_text(encoding="utf-8"))
    before = article_from_dict({**case, "published_at": "2025-01-08T10:00:00+08:00"})
    after = article_from_dict({**case, "published_at": "2025-01-09T10:00:00+08:00"})
    assert extractor.extract(before) == []
    assert [m.commitment.id for m in extractor.extract(after)] == ["t25-green-axis"]


REAL_CATALOG_CASES = sorted(
    (Path(__file__).parents[1] / "data/extractor/real_catalog").glob("*.json")
)


@pytest.fixture(scope="module")
def real_extractor() -> ArticleExtractor:
    from services.catalog import load_catalog

    return ArticleExtractor(load_catalog())


@pytest.mark.parametrize("path", REAL_CATALOG_CASES, ids=[p.stem for p in REAL_CATALOG_CASES])
def test_rules_that_need_the_real_catalog(path: Path, real_extractor: ArticleExtractor) -> None:
    """One commitment of the real catalog and the stage the text reports on it; the
    control text, when given, differs in what the rule reads and gives no link."""
    case = json.loads(path.read_text(encoding="utf-8"))
    found = {
        m.commitment.id: m.stage.value for m in real_extractor.extract(article_from_dict(case))
    }
    assert found.get(case["commitment"]) == case["expect"], case["why"]
    if "control_text" in case:
        control = article_from_dict({**case, "text": case["control_text"]})
        assert case["commitment"] not in {m.commitment.id for m in real_extractor.extract(control)}


def _lines(name: str) -> list[str]:
    path = Path(__file__).parents[1] / "data/extractor" / name
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


NO_PROGRESS = [("2025-03-10", t) for t in _lines("plan_language.txt")] + [
    ("2025-06-10", t) for t in _lines("no_progress_here.txt")
]


@pytest.mark.parametrize(("day", "text"), NO_PROGRESS, ids=[t[:14] for _, t in NO_PROGRESS])
def test_claims_no_progress(day: str, text: str, real_extractor: ArticleExtractor) -> None:
    """How news and documents restate the plan (tasks set, listed, assigned, defined,
    quoted, conditions), and news that is not this plan's (other places, earlier years,
    tallies over years, notices, wishes, visits): every commitment found is `planned`."""
    article = article_from_dict(
        {"url": "https://www.luqiao.gov.cn/art/2025/1/1/art_1.html", "title": "",
         "published_at": f"{day}T10:00:00+08:00", "text": text}
    )  # fmt: skip
    claims = [
        (m.commitment.text, m.stage.value, m.stage_rule)
        for m in real_extractor.extract(article)
        if m.stage.value != "planned"
    ]
    assert claims == []


PROGRESS_LANGUAGE = [line.split("\t")[:4] for line in _lines("progress_language.tsv")]


@pytest.mark.parametrize(
    ("text", "day", "commitment", "stage"),
    PROGRESS_LANGUAGE,
    ids=[r[0][:14] for r in PROGRESS_LANGUAGE],
)
def test_progress_language(
    text: str, day: str, commitment: str, stage: str, real_extractor: ArticleExtractor
) -> None:
    """How news reports progress (a share of the works, a count against a target, a phase,
    one of several things, a delay): the commitment and the stage it reports."""
    article = article_from_dict(
        {"url": "https://www.luqiao.gov.cn/art/2025/11/10/art_1.html", "title": "",
         "published_at": f"{day}T10:00:00+08:00", "text": text}
    )  # fmt: skip
    found = {m.commitment.id: m.stage.value for m in real_extractor.extract(article)}
    assert found.get(commitment) == stage, found
