"""The seen-store's own migrations, on SQLite and on PostgreSQL, beside other tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from services.crawler.seen_store import VERSION_TABLE, SeenStore


def _exercise(url: str) -> None:
    store = SeenStore(url)
    SeenStore(url).close()  # migrating twice is a no-op
    store.record("https://www.luqiao.gov.cn/a.html", "aid1", outcome="new", text_sha256="t1")
    assert store.published_with_text("t1", other_than="x") is None  # not published yet
    store.record("https://www.luqiao.gov.cn/a.html", "aid1", outcome="new", published=True)
    store.record("https://www.luqiao.gov.cn/a.html", "aid1", outcome="unchanged", published=False)
    row = store.get("https://www.luqiao.gov.cn/a.html")
    assert row is not None and row.published and row.outcome == "unchanged"
    assert store.published_with_text("t1", other_than="x") == "aid1"
    assert set(store.get_many(["https://www.luqiao.gov.cn/a.html", "nope"])) == {
        "https://www.luqiao.gov.cn/a.html"
    }
    store.close()
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"crawler_pages", VERSION_TABLE} <= tables
    with engine.connect() as connection:
        version = connection.execute(text(f"select version_num from {VERSION_TABLE}")).scalar()
    assert version == "crawler_0001"
    engine.dispose()


def test_sqlite(tmp_path: Path) -> None:
    _exercise(f"sqlite:///{tmp_path / 'luqiao.db'}")


@pytest.mark.postgres
def test_postgresql(fresh_database_url: str) -> None:
    _exercise(fresh_database_url)
