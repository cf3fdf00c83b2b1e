"""An upgraded installation keeps what its crawler had delivered: the seen pages of the old
``crawler_pages`` table in the tracker's database move, once, into the crawler's store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from services.crawler.legacy_import import import_legacy_pages
from services.crawler.seen_store import SeenStore

OLD_SCHEMA = """
create table crawler_pages (
  url varchar(1000) primary key, article_id varchar(32) not null, etag varchar(200),
  last_modified varchar(100), html_sha256 varchar(64), text_sha256 varchar(64),
  list_title varchar(500), list_date varchar(10), published_at datetime, http_status integer,
  outcome varchar(20) not null, note varchar(500), duplicate_of varchar(32),
  first_seen datetime not null, last_fetched datetime not null, published boolean not null
)
"""


def test_old_seen_pages_move_once(tmp_path: Path) -> None:
    old_url = f"sqlite:///{tmp_path / 'luqiao.db'}"
    old = create_engine(old_url)
    with old.begin() as connection:
        connection.execute(text(OLD_SCHEMA))
        connection.execute(
            text(
                "insert into crawler_pages values ('https://x/a.html', 'aid', '\"e\"', null, "
                "'h', 't', '标题', '2025-03-01', '2025-03-01 01:30:00.000000', 200, 'new', "
                "null, null, '2025-03-02 00:00:00.000000', '2025-03-02 00:00:00.000000', 1)"
            )
        )
    old.dispose()
    store = SeenStore(f"sqlite:///{tmp_path / 'luqiao-crawler.db'}")
    assert import_legacy_pages(store.engine, old_url) == 1
    page = store.get("https://x/a.html")
    assert page is not None and page.published and page.etag == '"e"'
    assert page.published_at is not None and page.published_at.utcoffset() is not None
    assert import_legacy_pages(store.engine, old_url) is None  # once
    store.close()


def test_no_old_table_is_nothing_to_move(tmp_path: Path) -> None:
    store = SeenStore(f"sqlite:///{tmp_path / 'state.db'}")
    assert import_legacy_pages(store.engine, f"sqlite:///{tmp_path / 'empty.db'}") == 0
    store.close()
