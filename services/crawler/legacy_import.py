"""One-time move of the seen pages from where they used to live (``crawler_pages`` in the
tracker's database, under the crawler's old Alembic history) into the crawler's own store.

Without it an upgraded installation would forget every article it had delivered and
fetch the whole back-fill from the real site again. It runs once per store (noted in
``crawler_meta``; a database that cannot be reached is tried again at the next crawl)
and leaves the old table alone (the tracker's migrations ignore it; drop it by hand).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, column, create_engine, insert, inspect, select, table
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from .state_db import CrawlerMeta, CrawlerPage

log = logging.getLogger(__name__)
MARKER = "legacy_pages_imported"


def import_legacy_pages(state: Engine, database_url: str) -> int | None:
    """Copy the old rows once; how many, or None when done before or not possible now."""
    if state.url.render_as_string(hide_password=False) == database_url:
        return None
    with state.connect() as connection:
        if connection.scalar(select(CrawlerMeta.value).where(CrawlerMeta.key == MARKER)):
            return None
    try:
        rows = _legacy_rows(database_url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        log.warning(
            "seen pages in the tracker's database not checked (next crawl tries again): %s", exc
        )
        return None
    with state.begin() as connection:
        copied = _insert_new(connection, rows)
        connection.execute(insert(CrawlerMeta).values(key=MARKER, value=str(copied)))
    if copied:
        log.info("moved %d seen pages from the tracker's database into the crawler's store", copied)
    return copied


def _legacy_rows(database_url: str) -> list[dict[str, object]]:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return []  # do not create an empty database file by looking
    source = create_engine(url)
    try:
        found = inspect(source)
        if not found.has_table("crawler_pages"):
            return []
        old = {c["name"] for c in found.get_columns("crawler_pages")}
        ours = CrawlerPage.__table__.columns
        legacy = table("crawler_pages", *(column(c.name, c.type) for c in ours if c.name in old))
        with source.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(select(*legacy.c))]
    finally:
        source.dispose()


def _insert_new(connection: Connection, rows: list[dict[str, object]]) -> int:
    known = set(connection.scalars(select(CrawlerPage.url)))
    fresh = [
        {"failures": 0, "gave_up": False, "fetch_url": None, **row}
        for row in rows
        if row["url"] not in known
    ]
    if fresh:
        connection.execute(insert(CrawlerPage), fresh)
    return len(fresh)
