"""The evaluation itself (scores from known links), and a floor under the
extractor's quality on the labelled set so a regression fails the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.catalog import load_catalog
from services.extractor.evaluation import Scores, evaluate_file, resolve_clause
from tests.catalog_fixtures import mini_catalog

LABELLED = Path(__file__).parents[1] / "data/labelled/articles.jsonl"


def test_scores_arithmetic() -> None:
    s = Scores(tp=8, fp=2, fn=4, stage_right=6)
    assert s.precision == pytest.approx(0.8)
    assert s.recall == pytest.approx(8 / 12)
    assert s.f1 == pytest.approx(2 * 0.8 * (8 / 12) / (0.8 + 8 / 12))
    assert s.stage_accuracy == pytest.approx(0.75)


def test_clause_resolves_to_the_commitment_holding_it() -> None:
    catalog = list(mini_catalog())
    assert resolve_clause(catalog, 2025, "老旧小区4个") == "t25-old-housing"
    assert resolve_clause(catalog, 2024, "中央绿轴公园") == "t24-green-axis"
    assert resolve_clause(catalog, 2025, "不存在的承诺") is None


@pytest.fixture(scope="module")
def reports() -> tuple:
    catalog = load_catalog()
    return (
        evaluate_file(LABELLED, catalog=catalog),
        evaluate_file(LABELLED, catalog=catalog, baseline=True),
    )


def test_every_label_names_a_catalog_commitment(reports: tuple) -> None:
    extractor, _ = reports
    assert extractor.unresolved == []


def test_extractor_quality_floor(reports: tuple) -> None:
    """Floors a little under the figures in the README, on all 135 articles."""
    s = reports[0].by_split["all"]
    assert s.precision >= 0.85 and s.recall >= 0.78 and s.stage_accuracy >= 0.82, (
        s.precision, s.recall, s.stage_accuracy,
    )  # fmt: skip


def test_extractor_beats_the_word_presence_baseline(reports: tuple) -> None:
    ours, baseline = (r.by_split["all"] for r in reports)
    assert ours.precision > 2 * baseline.precision
    assert ours.f1 > baseline.f1 + 0.3
