"""The extractor's tables on disk: read back exactly as built, rebuilt whenever the
file is stale, corrupt or tampered with, and never needed for extraction to work."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from services.extractor import term_cache
from services.extractor.matching import ArticleExtractor
from services.offline_articles import article_from_dict
from tests.catalog_fixtures import mini_catalog

ARTICLES = sorted((Path(__file__).parents[1] / "data/extractor/articles").glob("*.json"))


def _profiles(tables: term_cache.Tables) -> list[tuple[object, ...]]:
    return [
        (
            p.commitment.id,
            p.anchors,
            p.keywords,
            list(p.weights.items()),
            p.keyword_weight,
            p.split_name.pattern if p.split_name else None,
        )
        for p in tables.profiles
    ]


def _one_file(cache_dir: Path) -> Path:
    [path] = cache_dir.glob("tables-*.json")
    return path


def test_cached_tables_are_the_built_tables(tmp_path: Path) -> None:
    catalog = list(mini_catalog())
    built = term_cache.build_tables(catalog)
    first = term_cache.load_tables(catalog, tmp_path)  # builds and writes
    again = term_cache.load_tables(catalog, tmp_path)  # reads
    assert _profiles(again) == _profiles(first) == _profiles(built)
    assert again.keyword_idf == built.keyword_idf
    assert again.other_places == built.other_places and again.dateline_names
    assert again.profiles[0].commitment is catalog[0], "profiles point at the live catalog"


def test_extraction_is_the_same_with_and_without_the_cache(tmp_path: Path) -> None:
    catalog = list(mini_catalog())
    plain = ArticleExtractor(catalog)
    ArticleExtractor(catalog, tmp_path)  # writes the cache
    cached = ArticleExtractor(catalog, tmp_path)
    for path in ARTICLES:
        article = article_from_dict(json.loads(path.read_text(encoding="utf-8")))
        assert [e.model_dump() for e in cached.evidence(article)] == [
            e.model_dump() for e in plain.evidence(article)
        ], path.name


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: b"\x00\xff not json",
        lambda raw: raw.replace(b'"anchors": [', b'"anchors": ["\\u5047\\u540d", ', 1),  # edited
        lambda raw: raw.replace(b'"key": "', b'"key": "0', 1),  # another key
    ],
    ids=["truncated", "garbage", "tampered", "wrong-key"],
)
def test_a_damaged_cache_is_rebuilt_not_trusted(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    catalog = list(mini_catalog())
    expected = _profiles(term_cache.load_tables(catalog, tmp_path))
    path = _one_file(tmp_path)
    original = path.read_bytes()
    damaged = damage(original)
    assert damaged != original
    path.write_bytes(damaged)
    assert _profiles(term_cache.load_tables(catalog, tmp_path)) == expected
    assert _profiles(term_cache.load_tables(catalog, tmp_path)) == expected  # rewritten whole
    json.loads(path.read_bytes())


def test_another_catalog_gets_another_file(tmp_path: Path) -> None:
    catalog = list(mini_catalog())
    term_cache.load_tables(catalog, tmp_path)
    changed = [catalog[0].model_copy(update={"text": catalog[0].text + "。"}), *catalog[1:]]
    assert term_cache.cache_key(changed) != term_cache.cache_key(catalog)
    term_cache.load_tables(changed, tmp_path)
    assert len(list(tmp_path.glob("tables-*.json"))) == 2


def test_an_unwritable_cache_directory_only_costs_the_rebuild(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the directory should be")
    catalog = list(mini_catalog())
    tables = term_cache.load_tables(catalog, blocker / "cache")
    assert _profiles(tables) == _profiles(term_cache.build_tables(catalog))
