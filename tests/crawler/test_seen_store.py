"""The crawler's own store: seen pages and retries, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from services.crawler.seen_store import SeenStore
from services.crawler.settings import CrawlerSettings
from services.crawler.state_db import SCHEMA_VERSION

URL = "https://www.luqiao.gov.cn/a.html"


def _exercise(url: str) -> None:
    store = SeenStore(url)
    SeenStore(url).close()  # opening twice is a no-op
    store.record(URL, "aid1", outcome="new", text_sha256="t1")
    assert store.published_with_text("t1", other_than="x") is None  # not published yet
    store.record(URL, "aid1", outcome="new", published=True)
    store.record(URL, "aid1", outcome="unchanged", published=False)
    row = store.get(URL)
    assert row is not None and row.published and row.outcome == "unchanged"
    assert store.published_with_text("t1", other_than="x") == "aid1"
    assert set(store.get_many([URL, "nope"])) == {URL}
    store.close()
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"crawler_pages", "crawler_columns", "crawler_handoff", "crawler_meta"} <= tables
    assert not any(t.startswith("alembic") for t in tables)  # no second migration history
    with engine.connect() as connection:
        version = connection.execute(
            text("select value from crawler_meta where key = 'schema'")
        ).scalar()
    assert version == str(SCHEMA_VERSION)
    engine.dispose()


def test_sqlite(tmp_path: Path) -> None:
    _exercise(f"sqlite:///{tmp_path / 'state.db'}")


@pytest.mark.postgres
def test_postgresql(fresh_database_url: str) -> None:
    _exercise(fresh_database_url)


def test_failed_page_is_retried_with_backoff_then_given_up(tmp_path: Path) -> None:
    store = SeenStore(f"sqlite:///{tmp_path / 'state.db'}")
    page = "https://www.luqiao.gov.cn/b.html"
    first = store.record_failure(
        page, "aid2", note="HTTP 503", retry_after=timedelta(minutes=10), give_up_after=3
    )
    assert (first.failures, first.gave_up) == (1, False)
    row = store.get(page)
    assert row is not None and row.next_attempt_at is not None
    assert store.due_retries() == []  # not before its time
    assert [p.url for p in store.due_retries(row.next_attempt_at)] == [page]
    second = store.record_failure(
        page, "aid2", note="HTTP 503", retry_after=timedelta(minutes=10), give_up_after=3
    )
    row2 = store.get(page)
    assert row2 is not None and row2.next_attempt_at is not None
    waits = row2.next_attempt_at - datetime.now(UTC)
    assert timedelta(minutes=19) < waits <= timedelta(minutes=20)  # doubled
    assert second.failures == 2
    third = store.record_failure(
        page, "aid2", note="HTTP 503", retry_after=timedelta(minutes=10), give_up_after=3
    )
    assert third.gave_up and store.count_given_up() == 1
    assert store.due_retries(row2.next_attempt_at + timedelta(days=1)) == []
    # A later success ends it.
    store.record(page, "aid2", outcome="new", published=True)
    assert store.count_given_up() == 0
    store.close()


def test_state_lives_beside_the_sqlite_database_by_default() -> None:
    settings = CrawlerSettings(database_url="sqlite:////var/lib/luqiao/luqiao.db")
    assert settings.resolved_state_url() == "sqlite:////var/lib/luqiao/luqiao-crawler.db"
    assert (
        CrawlerSettings(database_url="sqlite:///./luqiao.db").resolved_state_url()
        == "sqlite:///luqiao-crawler.db"
    )
    explicit = CrawlerSettings(state_url="sqlite:////tmp/x.db")
    assert explicit.resolved_state_url() == "sqlite:////tmp/x.db"
