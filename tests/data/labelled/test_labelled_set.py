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
