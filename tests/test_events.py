"""The evidence contract: v2 carries typed facts, v1 messages are upgraded once,
unknown versions are refused, and progress against a target is read one way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.catalog import load_catalog
from services.catalog.model import Target
from services.deadletters import PoisonMessage, decode_event
from services.events import (
    EVIDENCE_SCHEMA_VERSION,
    EvidenceFound,
    Figure,
    Progress,
    upgrade_evidence_v1,
)
from services.extractor.evaluation import load_labelled
from services.extractor.matching import ArticleExtractor
from services.offline_articles import article_from_dict
from tests.catalog_fixtures import mini_by_id

DATA = Path(__file__).parent / "data"
V2_ONLY = ("anchors", "keywords", "stage_rule", "regression", "progress")


def _target(commitment_id: str) -> Target | None:
    c = mini_by_id()[commitment_id]
    return c.targets[0] if c.targets else None


def _decode_as_tracker(raw: bytes) -> EvidenceFound:
    def upgrade(data: dict[str, Any]) -> dict[str, Any]:
        return upgrade_evidence_v1(data, _target(data["commitment_id"]))

    return decode_event(raw, EvidenceFound, upgrades={1: upgrade})


def test_a_v1_message_is_upgraded_with_its_reason_strings_read_once() -> None:
    raw = (DATA / "events/evidence_v1.json").read_bytes()
    ev = _decode_as_tracker(raw)
    assert ev.schema_version == EVIDENCE_SCHEMA_VERSION == 2
    assert ev.anchors == ["老旧小区改造"]
    assert ev.keywords == ["小区", "改造"]
    assert ev.stage_rule == "cue:完成"
    assert ev.regression is None
    # 3 of a target of 4个 done; the "4个" that is itself a target is not progress.
    assert ev.progress == Progress(target=4.0, unit="个", done=3.0, percent=None, ratio=0.75)
    assert ev.reasons == json.loads(raw)["reasons"], "the reasons stay as text"


def test_a_v1_delay_keeps_its_regression_code_typed() -> None:
    ev = _decode_as_tracker((DATA / "events/evidence_v1_delayed.json").read_bytes())
    assert (ev.stage, ev.regression, ev.progress) == ("delayed", "暂缓", None)
    assert ev.anchors == ["中央绿轴公园"] and ev.keywords == []


@pytest.mark.parametrize("version", [0, 3, 7, "2", None])
def test_unknown_versions_are_poison(version: object) -> None:
    data = json.loads((DATA / "events/evidence_v1.json").read_bytes())
    data["schema_version"] = version
    with pytest.raises(PoisonMessage, match="unsupported_schema_version"):
        _decode_as_tracker(json.dumps(data).encode())


def test_a_v1_message_is_poison_to_a_consumer_without_the_upgrade() -> None:
    with pytest.raises(PoisonMessage, match="unsupported_schema_version: 1"):
        decode_event((DATA / "events/evidence_v1.json").read_bytes(), EvidenceFound)


def test_a_v1_message_with_broken_figures_is_wrong_schema_not_a_crash() -> None:
    data = json.loads((DATA / "events/evidence_v1.json").read_bytes())
    data["figures"] = [{"value": "many", "unit": "个"}]
    with pytest.raises(PoisonMessage, match="wrong_schema"):
        _decode_as_tracker(json.dumps(data).encode())


def _fig(value: float, unit: str, role: str) -> Figure:
    return Figure(value=value, unit=unit, text=f"{value:g}{unit}", role=role)  # type: ignore[arg-type]


def test_progress_reads_done_figures_in_the_targets_unit() -> None:
    mu = Target(metric="种植", comparator=">=", value=20000, unit="亩", text="2万亩")
    p = Progress.toward(mu, [_fig(1.2, "万亩", "done"), _fig(3, "个", "done")])
    assert p is not None and p.done == pytest.approx(12000) and p.ratio == pytest.approx(0.6)
    assert Progress.toward(mu, [_fig(5, "万亩", "target"), _fig(3, "个", "other")]) is None


def test_an_other_figure_in_the_targets_unit_is_the_measures_level_not_a_ratio() -> None:
    """ "总数达到1.5万亩": where the measure stands; the stage reads it, the ratio does not."""
    mu = Target(metric="种植", comparator=">=", value=20000, unit="亩", text="2万亩")
    p = Progress.toward(mu, [_fig(5, "万亩", "target"), _fig(1.5, "万亩", "other")])
    assert p is not None and p.level == pytest.approx(15000)
    assert (p.done, p.percent, p.ratio) == (None, None, None)


def test_a_reported_percentage_wins_over_a_count_and_needs_no_target() -> None:
    four = _target("t25-old-housing")
    p = Progress.toward(four, [_fig(1, "个", "done"), _fig(60, "%", "percent_done")])
    assert p is not None and (p.done, p.percent, p.ratio) == (1.0, 60.0, 0.6)
    alone = Progress.toward(None, [_fig(80, "%", "percent_done"), _fig(2, "个", "done")])
    assert alone == Progress(percent=80.0, ratio=0.8)


def test_the_upgrade_of_the_extractors_v1_rendering_equals_its_v2() -> None:
    """On every labelled article: what a v1 consumer would have had to parse out of
    `reasons` is what v2 now sends typed, so old and new messages mean the same."""
    catalog = load_catalog()
    targets = {c.id: (c.targets[0] if c.targets else None) for c in catalog}
    extractor = ArticleExtractor(catalog)
    compared = with_regression = with_progress = 0
    for item in load_labelled(DATA / "labelled/articles.jsonl"):
        for ev in extractor.evidence(article_from_dict(item)):
            native = json.loads(ev.model_dump_json())
            v1 = {k: v for k, v in native.items() if k not in V2_ONLY} | {"schema_version": 1}
            upgraded = upgrade_evidence_v1(v1, targets[ev.commitment_id])
            assert EvidenceFound.model_validate(upgraded) == ev
            compared += 1
            with_regression += ev.regression is not None
            with_progress += ev.progress is not None
    assert compared > 200 and with_regression > 0 and with_progress > 0
