"""Places from the gazetteer: other districts named in a sentence, Luqiao's own
towns and streets kept as home (data file of sentences)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.extractor.places import (
    article_focus,
    luqiao_markers_in,
    names_luqiao,
    other_places_in,
)


def _cases(name: str) -> list[list[str]]:
    """The rows of a tab-separated data file, comments left out."""
    path = Path(__file__).parents[1] / "data/extractor" / name
    return [
        line.split("\t")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


CASES = _cases("place_cases.tsv")


@pytest.mark.parametrize(("text", "expected", "why"), CASES, ids=[c[0][:10] for c in CASES])
def test_other_places(text: str, expected: str, why: str) -> None:
    want = [] if expected == "-" else expected.split(",")
    assert other_places_in(text) == want, why


def test_an_article_placed_elsewhere_by_its_headline_or_source() -> None:
    assert article_focus("武进:农村公路建设提速", "今年以来,全区新改建农村公路25公里。") == "other"
    assert article_focus("农村公路建设提速", "今年以来,全区新改建农村公路。", "江苏新闻") == "other"
    assert (
        article_focus("农村公路建设提速", "今年以来,路桥新改建农村公路。", "江苏新闻") == "luqiao"
    )
    assert article_focus("农村公路建设提速", "今年以来,全区新改建农村公路。") == "unknown"


LUQIAO_CASES = _cases("luqiao_marker_cases.tsv")


@pytest.mark.parametrize(
    ("text", "expected", "why"), LUQIAO_CASES, ids=[c[0][:10] for c in LUQIAO_CASES]
)
def test_luqiao_names(text: str, expected: str, why: str) -> None:
    want = [] if expected == "-" else expected.split(",")
    assert luqiao_markers_in(text) == want, why
    assert names_luqiao(text) == bool(want), why
