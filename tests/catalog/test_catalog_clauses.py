"""Splitting sentences into commitments and parsing their targets, on real clauses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.catalog.clauses import judge, split_clauses
from services.catalog.model import Commitment
from services.catalog.targets import parse_targets

DATA = Path(__file__).parent / "data"


def load_data(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_split_keeps_quotes_and_offsets() -> None:
    paragraph = (
        "建好“商都乡韵”省级示范带,确保60%的行政村建成宜居宜业和美乡村。深化农村人居环境综合整治"
    )
    clauses = split_clauses(paragraph)
    assert [c.text for c in clauses] == [
        "建好“商都乡韵”省级示范带",
        "确保60%的行政村建成宜居宜业和美乡村",
        "深化农村人居环境综合整治",
    ]
    for clause in clauses:
        assert paragraph[clause.start : clause.start + len(clause.text)] == clause.text


def test_commas_inside_quotes_do_not_split() -> None:
    clauses = split_clauses(
        "深入开展“化解矛盾风险、维护社会稳定”专项治理,纵深推进安全生产“六必行动”"
    )
    assert [c.text for c in clauses][0] == "深入开展“化解矛盾风险、维护社会稳定”专项治理"


@pytest.mark.parametrize(
    ("clause", "verdict"),
    [
        ("以“1187”体系为统领", "framing"),
        ("推动民间资本敢投、愿投、会投", "slogan"),
        ("加快释放购力潜力", "slogan"),
        ("开工路北三小新建工程", "commitment"),
        ("实现国家级单项冠军零的突破", "commitment"),
        ("改造老旧小区4个", "commitment"),
    ],
)
def test_judge(clause: str, verdict: str) -> None:
    assert judge(clause) == verdict


@pytest.mark.parametrize("case", load_data("targets.json"), ids=lambda c: c["text"])
def test_targets_parsed_exactly(case: dict[str, Any], built: list[Commitment]) -> None:
    expected = case["targets"]
    parsed = [t.model_dump(exclude_none=True) for t in parse_targets(case["text"])]
    assert parsed == [{**t, "value": float(t["value"])} for t in expected]
    entry = next(c for c in built if c.report.id == case["report"] and c.text == case["text"])
    assert entry.kind == "quantitative"
    assert [t.model_dump(exclude_none=True) for t in entry.targets] == parsed


@pytest.mark.parametrize("clause", load_data("not_targets.json")["clauses"])
def test_numbers_that_name_things_are_not_targets(clause: str) -> None:
    assert parse_targets(clause) == []


@pytest.mark.parametrize("case", load_data("splits.json"), ids=lambda c: c["sentence"][:16])
def test_sentence_yields_its_commitments(case: dict[str, Any], built: list[Commitment]) -> None:
    found = [
        c.text for c in built if c.report.id == case["report"] and c.sentence == case["sentence"]
    ]
    assert found == case["commitments"]
