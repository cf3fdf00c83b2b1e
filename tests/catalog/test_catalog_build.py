"""The built catalog: faithful to the reports, stable ids, not stale, overrides honoured."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from services.catalog import load_catalog
from services.catalog.builder import CATALOG_PATH, build_catalog, catalog_json, commitment_id
from services.catalog.model import Commitment
from services.catalog.overrides import ClauseRef, load_overrides
from services.catalog.report_text import flatten, parse_report

DATA = Path(__file__).parent / "data"


def load_data(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_committed_catalog_is_not_stale(built: list[Commitment]) -> None:
    """Rebuild from reports + overrides: the committed file must be byte-identical."""
    assert CATALOG_PATH.read_text(encoding="utf-8") == catalog_json(built)


def test_every_text_is_verbatim(built: list[Commitment], raw_reports: dict[str, str]) -> None:
    for commitment in built:
        flat = flatten(raw_reports[commitment.report.id])
        assert commitment.text in flat, commitment.id
        assert commitment.text in commitment.sentence, commitment.id
        assert commitment.sentence in flat, commitment.id


def test_only_plan_parts_yield_commitments(
    built: list[Commitment], raw_reports: dict[str, str]
) -> None:
    for report_id, raw in raw_reports.items():
        parsed = parse_report(raw, report_id, int(report_id[-4:]))
        plan = "|".join(p.text for p in parsed.part_paragraphs("plan") if p.section)
        for commitment in (c for c in built if c.report.id == report_id):
            assert commitment.sentence in plan, commitment.text


@pytest.mark.parametrize("report_id", ["luqiao-2024", "luqiao-2025"])
def test_excluded_clauses_are_not_commitments(report_id: str, built: list[Commitment]) -> None:
    texts = {c.text for c in built if c.report.id == report_id}
    for clause in load_data("excluded.json")[report_id]:
        assert clause not in texts


def test_captions_are_not_commitments(built: list[Commitment]) -> None:
    captions = [c for k, v in load_data("captions.json").items() if k != "_about" for c in v]
    for commitment in built:
        assert not any(caption in commitment.text for caption in captions)


def test_counts_are_in_the_expected_range(built: list[Commitment]) -> None:
    per_report = Counter(c.report.id for c in built)
    assert set(per_report) == {"luqiao-2024", "luqiao-2025"}
    assert all(100 <= n <= 200 for n in per_report.values()), per_report


def test_ids_are_derived_from_report_and_text(built: list[Commitment]) -> None:
    ids = [c.id for c in built]
    assert len(ids) == len(set(ids))
    for commitment in built:
        assert commitment.id == commitment_id(commitment.report.id, commitment.text)


def test_ids_never_change_for_unchanged_text(built: list[Commitment]) -> None:
    by_text = {(c.report.id, c.text): c.id for c in built}
    for entry in load_data("ids.json")["ids"]:
        assert by_text[(entry["report"], entry["text"])] == entry["id"]


def test_rebuilding_gives_the_same_ids(built: list[Commitment]) -> None:
    assert [c.id for c in build_catalog()] == [c.id for c in built]


def test_deadlines_default_to_end_of_plan_year(built: list[Commitment]) -> None:
    overridden = {o.text for o in load_overrides().corrections if o.deadline}
    for commitment in built:
        if commitment.text not in overridden:
            assert commitment.deadline.isoformat() == f"{commitment.report.plan_year}-12-31"


def test_restated_commitments_are_linked_both_ways(built: list[Commitment]) -> None:
    by_id = {c.id: c for c in built}
    old = next(c for c in built if c.text == "基本建成中央绿轴公园")
    new = next(c for c in built if c.text == "建成中央绿轴公园")
    assert any(r.id == new.id and r.relation == "restated_in" for r in old.related)
    assert any(r.id == old.id and r.relation == "restates" for r in new.related)
    for commitment in built:
        for related in commitment.related:
            back = "restates" if related.relation == "restated_in" else "restated_in"
            assert any(
                r.id == commitment.id and r.relation == back for r in by_id[related.id].related
            )


def test_curated_aliases_reach_the_catalog(built: list[Commitment]) -> None:
    south = next(c for c in built if c.text == "投用飞龙湖科创基地首建南区")
    assert "科创基地南区" in south.aliases
    assert south.kind == "milestone" and "投用" in south.verbs


def test_an_override_that_matches_nothing_fails_the_build() -> None:
    overrides = load_overrides()
    overrides.exclude.append(ClauseRef(report="luqiao-2025", text="不存在的条目", reason="test"))
    with pytest.raises(ValueError, match="不存在的条目"):
        build_catalog(overrides=overrides)


def test_load_catalog_reads_the_data_file() -> None:
    catalog = load_catalog()
    assert len(catalog) == len(json.loads(CATALOG_PATH.read_text(encoding="utf-8")))
    assert len({c.id for c in catalog}) == len(catalog)  # ids are unique


def test_a_verb_inside_a_quoted_name_does_not_make_a_milestone(built: list[Commitment]) -> None:
    """ "推广工业项目“拿地即开工”模式" spreads a practice: 开工 belongs to its name."""
    spread = next(c for c in built if c.text == "推广工业项目“拿地即开工”模式")
    assert spread.kind == "ongoing"
    opened = next(c for c in built if c.text == "开工路北三小新建工程")
    assert opened.kind == "milestone"


def test_a_commitment_to_encourage_others_is_ongoing(built: list[Commitment]) -> None:
    """ "鼓励有条件的企业建立研究院、研发中心" promises a policy stance: 建立 is the firms'
    act, counted one by one, and the commitment has no finish line."""
    encourage = next(c for c in built if c.text == "鼓励有条件的企业建立研究院、研发中心")
    assert encourage.kind == "ongoing"
