"""The Alembic history matches the models, and leaves the crawler's tables alone."""

from __future__ import annotations

import importlib.util
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, Table, inspect, select, table, update
from sqlalchemy import column as column_
from sqlalchemy.exc import IntegrityError, StatementError

from services.events import Stage
from services.tracker.ledger.database import (
    MIGRATIONS_DIR,
    alembic_config,
    include_object,
    make_engine,
    migrate,
)
from services.tracker.ledger.models import Base, DeliveryState, ReviewState
from services.tracker.status_rules import Schedule, Status


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


# --- 0004: one time convention (UTC) and checked vocabularies -------------------------

ROWS_0003 = json.loads((Path(__file__).parent / "data" / "ledger_rows_0003.json").read_text())
TABLES = [t for t in ROWS_0003 if not t.startswith("_")]  # parents before children


def _typed(column: str, value: object) -> object:
    if isinstance(value, str) and column.endswith("_at"):
        return datetime.fromisoformat(value)
    if isinstance(value, str) and column in ("deadline", "as_of"):
        return date.fromisoformat(value)
    return value


def _alembic(engine: Engine, action: str, revision: str) -> None:
    """Upgrade or downgrade to a revision, on one connection as `migrate()` does."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        getattr(command, action)(cfg, revision)


def _store_as_before_0004(engine: Engine) -> None:
    """Insert the rows through the 0003 schema as reflected: SQLite keeps each value's
    wall time (China or UTC, as the old code wrote it), PostgreSQL the instant."""
    _alembic(engine, "upgrade", "0003")
    meta = MetaData()
    with engine.begin() as conn:
        for name in TABLES:
            table = Table(name, meta, autoload_with=conn)
            rows = [{k: _typed(k, v) for k, v in row.items()} for row in ROWS_0003[name]]
            conn.execute(table.insert(), rows)


def test_0004_stores_every_time_as_utc_and_reads_back_the_instants_written(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    _store_as_before_0004(engine)
    migrate(engine)
    with engine.connect() as conn:
        for name in TABLES:
            table = Base.metadata.tables[name]
            stored = conn.execute(select(table)).mappings().all()
            assert len(stored) == len(ROWS_0003[name]), name  # the rebuilt tables kept them
            for original, row in zip(ROWS_0003[name], stored, strict=True):
                for column, value in original.items():
                    if column.endswith("_at") and value is not None:
                        got = row[column]
                        assert got.utcoffset() == timedelta(0), (name, column, got)
                        assert got == datetime.fromisoformat(value), (name, column, got)
    engine.dispose()


def test_0004_downgrade_gives_the_old_code_its_wall_times_back(database_url: str) -> None:
    engine = make_engine(database_url)
    _store_as_before_0004(engine)
    migrate(engine)
    _alembic(engine, "downgrade", "0003")
    meta = MetaData()
    with engine.connect() as conn:
        for name in TABLES:
            table = Table(name, meta, autoload_with=conn)
            for original, row in zip(
                ROWS_0003[name], conn.execute(select(table)).mappings().all(), strict=True
            ):
                for column, value in original.items():
                    if column.endswith("_at") and value is not None:
                        was = datetime.fromisoformat(value)
                        got = row[column]
                        # SQLite: the wall time the old code wrote; PostgreSQL: the instant.
                        assert got == (was.replace(tzinfo=None) if got.tzinfo is None else was)
    engine.dispose()


BAD_VALUES = [
    ("evidence", "stage", "finished"),
    ("evidence", "review_state", "maybe"),
    ("status_history", "status", "done"),
    ("status_history", "schedule", "ahead"),
    ("notifications", "delivery_state", "sent"),
]


@pytest.mark.parametrize(("table_name", "column", "bad"), BAD_VALUES)
def test_a_value_outside_its_vocabulary_cannot_be_stored(
    database_url: str, table_name: str, column: str, bad: str
) -> None:
    engine = make_engine(database_url)
    _store_as_before_0004(engine)
    migrate(engine)
    changed = update(table(table_name, column_(column))).values({column: bad})
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the database's CHECK
        conn.execute(changed)
    model = Base.metadata.tables[table_name]
    with pytest.raises(StatementError, match="is not among the defined enum values"):
        with engine.begin() as conn:  # and the column type, before anything is sent
            conn.execute(update(model).values({column: bad}))
    engine.dispose()


def test_the_checked_vocabularies_are_the_enums() -> None:
    """0004 froze the enums' values into CHECK constraints: an enum that grows needs a
    migration that widens its constraint (else its new value is refused on write)."""
    spec = importlib.util.spec_from_file_location(
        "m0004",
        MIGRATIONS_DIR / "versions" / "0004_utc_times_and_checked_vocabularies.py",
    )
    assert spec and spec.loader
    m0004 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0004)
    enums = {
        ("evidence", "stage"): Stage,
        ("evidence", "review_state"): ReviewState,
        ("status_history", "status"): Status,
        ("status_history", "schedule"): Schedule,
        ("notifications", "delivery_state"): DeliveryState,
    }
    assert {k: tuple(v) for k, v in enums.items()} == {
        k: tuple(e(v) for v in m0004.VOCABULARIES[k]) for k, e in enums.items()
    }
    assert set(m0004.VOCABULARIES) == set(enums)
