"""The labelled evaluation set stays valid and in sync with its sources.

Why: the extractor's reported precision/recall depend on this file; a broken
clause or a JSON-lines file edited by hand (out of step with ``sources/``)
would silently change what is measured.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"labelled_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_articles_pass_validation() -> None:
    assert load("validate").main([str(HERE / "articles.jsonl")]) == 0


def test_articles_match_their_sources() -> None:
    build = load("build_articles")
    articles = build.read_sources(HERE / "sources")
    build.assign_splits(articles)
    written = (HERE / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert [build.serialize(a) for a in articles] == written


def test_validator_rejects_review_clause_and_bad_date(tmp_path: Path) -> None:
    """A clause from the review part, or a link outside its plan year, must fail."""
    import json

    line = (HERE / "articles.jsonl").read_text(encoding="utf-8").splitlines()[0]
    article = json.loads(line)
    review_clause = dict(
        article, links=[{"plan_year": 2025, "clause": "未来康养城封顶", "stage": "completed"}]
    )
    wrong_year = dict(article, published_at="2024-06-01T09:00:00+08:00")
    validate = load("validate")
    for bad in (review_clause, wrong_year):
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
        assert validate.main([str(path), "--partial", "--no-catalog"]) == 1


def test_appending_a_set_keeps_earlier_splits() -> None:
    """The real-shape articles get their split from the rule without moving any v1 article."""
    build = load("build_articles")
    everything = build.read_sources(HERE / "sources")
    build.assign_splits(everything)
    v1_alone = [dict(a) for a in build.read_sources(HERE / "sources") if a["set"] == "v1"]
    build.assign_splits(v1_alone)
    with_all = {a["id"]: a["split"] for a in everything}
    assert v1_alone and all(with_all[a["id"]] == a["split"] for a in v1_alone)
    assert {a["set"] for a in everything} == set(build.SETS)


# Sets that lie in one split whole: the blind ones (written as a test of a tuned
# extractor) held out, the one written apart from the extractor to tune on in dev.
WHOLE_SETS = [
    ("real-shape-2", "heldout"),
    ("real-shape-3", "heldout"),
    ("real-shape-4", "dev"),
    ("real-shape-5", "heldout"),
    ("real-shape-6", "dev"),
    ("real-shape-7", "dev"),
    ("real-shape-8", "heldout"),
    ("real-shape-9", "dev"),
    ("real-shape-10", "heldout"),
]


@pytest.mark.parametrize(("whole_set", "split"), WHOLE_SETS)
def test_a_whole_set_lies_in_its_split_and_moves_nothing(whole_set: str, split: str) -> None:
    """Every article of the set is in its split, its ids are one run after the sets added
    before it (a run reserved for a set written at the same time may lie between), and adding
    it changes no earlier split."""
    build = load("build_articles")
    members = build.HELDOUT_ONLY_SETS if split == "heldout" else build.DEV_ONLY_SETS
    assert whole_set in members
    assert not build.DEV_ONLY_SETS & build.HELDOUT_ONLY_SETS
    before = build.SETS[: build.SETS.index(whole_set)]
    everything = build.read_sources(HERE / "sources")
    build.assign_splits(everything)
    earlier = [dict(a) for a in build.read_sources(HERE / "sources") if a["set"] in before]
    build.assign_splits(earlier)
    with_all = {a["id"]: a["split"] for a in everything}
    assert earlier and all(with_all[a["id"]] == a["split"] for a in earlier)
    own = [a for a in everything if a["set"] == whole_set]
    assert len(own) >= 60 and {a["split"] for a in own} == {split}
    last_earlier = max(int(a["id"][1:]) for a in earlier)
    ids = sorted(int(a["id"][1:]) for a in own)
    assert ids[0] > last_earlier and ids == list(range(ids[0], ids[0] + len(own)))


@pytest.mark.parametrize(("whole_set", "split"), WHOLE_SETS)
def test_validator_rejects_an_article_of_a_whole_set_in_the_other_split(
    tmp_path: Path, whole_set: str, split: str
) -> None:
    import json

    validate = load("validate")
    lines = (HERE / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    article = next(json.loads(ln) for ln in lines if json.loads(ln)["set"] == whole_set)
    other = "dev" if split == "heldout" else "heldout"
    path = tmp_path / "one.jsonl"
    for where, expected in ((split, 0), (other, 1)):
        path.write_text(json.dumps(dict(article, split=where), ensure_ascii=False) + "\n", "utf-8")
        assert validate.main([str(path), "--partial", "--no-catalog"]) == expected


def test_v1_is_the_first_135_articles() -> None:
    """Old and new parts are told apart by the set field, and v1 kept its ids."""
    build = load("build_articles")
    articles = build.read_sources(HERE / "sources")
    v1_ids = [a["id"] for a in articles if a["set"] == "v1"]
    assert v1_ids == [f"L{n:03d}" for n in range(1, 136)]
    new_ids = [int(a["id"][1:]) for a in articles if a["set"] == "real-shape"]
    assert new_ids and min(new_ids) == 136


def test_headline_less_block_gives_null_title() -> None:
    build = load("build_articles")
    block = (
        "L999\nset: real-shape\nurl: https://www.luqiao.gov.cn/art/2025/1/1/art_1_1.html\n"
        "published_at: 2025-03-01T09:00:00+08:00\nsource: 潮新闻\ncolumn: 媒体聚焦\n"
        "category: feature\nnote: n\n\n第一段\n第二段\n"
    )
    article = build.parse_block(block)
    assert article["title"] is None
    assert '"title": null' in build.serialize(dict(article, split="dev"))


def test_validator_title_and_report_rules(tmp_path: Path) -> None:
    """A null title passes, an empty one fails; a report may credit the previous plan."""
    import json

    validate = load("validate")
    lines = (HERE / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    positive = json.loads(lines[0])
    report = next(json.loads(ln) for ln in lines if json.loads(ln)["category"] == "report")

    def check(article: dict[str, object]) -> int:
        path = tmp_path / "one.jsonl"
        path.write_text(json.dumps(article, ensure_ascii=False) + "\n", encoding="utf-8")
        return int(validate.main([str(path), "--partial", "--no-catalog"]))

    assert check(dict(positive, title=None)) == 0
    assert check(dict(positive, title="  ")) == 1
    assert check(dict(positive, set="v2")) == 1
    previous_plan = [
        {"plan_year": 2024, "clause": "投用智慧陆港新区物流基地", "stage": "completed"}
    ]
    day_after = "2025-01-10T09:00:00+08:00"
    assert check(dict(report, published_at=day_after, links=previous_plan)) == 0
    assert check(dict(positive, published_at=day_after, links=previous_plan)) == 1
    assert check(dict(report, links=[], planned_mentions=[])) == 1


def test_validator_rejects_one_commitment_labelled_twice(tmp_path: Path) -> None:
    """Two clauses of one catalog commitment in one article would give it two stages."""
    import json

    validate = load("validate")
    if not validate.DEFAULT_CATALOG.exists():
        import pytest

        pytest.skip("no catalog in this checkout")
    article = json.loads((HERE / "articles.jsonl").read_text(encoding="utf-8").splitlines()[0])
    same_commitment = [
        {"plan_year": 2024, "clause": "千亩新能源汽车零部件基地", "stage": "in_progress"},
        {"plan_year": 2024, "clause": "高端电摩产业园", "stage": "delayed"},
    ]
    bad = dict(article, id="L999", published_at="2024-06-01T09:00:00+08:00", links=same_commitment)
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    assert validate.main([str(path), "--partial"]) == 1
    ok = dict(bad, links=same_commitment[:1])
    path.write_text(json.dumps(ok, ensure_ascii=False) + "\n", encoding="utf-8")
    assert validate.main([str(path), "--partial"]) == 0
