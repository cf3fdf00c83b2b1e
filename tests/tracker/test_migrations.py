"""The Alembic history matches the models, and leaves the crawler's tables alone."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from services.tracker.ledger.database import include_object, make_engine, migrate
from services.tracker.ledger.models import Base


def test_migrations_match_the_models_and_ignore_other_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE crawler_pages (url TEXT PRIMARY KEY)")
    migrate(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(ctx, Base.metadata) == []
    assert "crawler_pages" in inspect(engine).get_table_names()
    engine.dispose()
