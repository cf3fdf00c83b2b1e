"""Stage reading on single sentences, including negation and modality."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.events import Stage
from services.extractor.stages import read_stage

DATA = Path(__file__).parents[1] / "data/extractor"


def _cases(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(("sentence", "expected"), _cases("stage_cases.tsv"))
def test_stage_of_sentence(sentence: str, expected: str) -> None:
    reading = read_stage(sentence)
    got = reading.stage.value if reading.stage else "none"
    assert got == expected, reading


def test_delay_carries_its_regression_code() -> None:
    assert read_stage("受资金影响,项目暂缓实施。").regression_code == "暂缓"
    assert read_stage("项目因规划调整延期至明年。").regression_code == "延期"


@pytest.mark.parametrize(
    ("sentence", "thing", "expected", "why"), _cases("stage_rules.tsv"), ids=lambda v: v[:12]
)
def test_stage_of_the_thing_in_its_sentence(
    sentence: str, thing: str, expected: str, why: str
) -> None:
    reading = read_stage(sentence, sentence.index(thing))
    got = reading.stage.value if reading.stage else "none"
    assert got == expected, f"{why}: {reading}"


def test_a_record_reads_continuing_work_as_under_way() -> None:
    """In a report's review part, "持续迭代" states work under way; in news it says nothing."""
    sentence = "“1187”体系持续迭代,全国率先探索综合监管质效提升工作。"
    assert read_stage(sentence, 0, record=True).stage == Stage.IN_PROGRESS
    assert read_stage(sentence, 0).stage is None


def test_a_task_list_in_a_record_is_what_was_done() -> None:
    sentence = "开工路北三小新建工程,启动完小撤并工作,推进区职教中心与高职院校合作办学。"
    assert read_stage(sentence, 2).stage == Stage.PLANNED
    assert read_stage(sentence, 2, record=True).stage == Stage.STARTED
