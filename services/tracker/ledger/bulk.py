"""Set-based statements of the ledger's write path, one per batch whatever its size,
in the session's dialect: PostgreSQL (the deployed tracker) or SQLite (the embedded
mode, ≥ 3.35 for RETURNING).

On PostgreSQL a batch travels as one array per column: ``INSERT … SELECT * FROM
unnest(…) ON CONFLICT DO NOTHING RETURNING`` and ``= ANY(array)``. The SQL text is
the same for every batch, so the driver prepares it once; a multi-row ``VALUES``
list of 500 rows × 24 columns would be a new 12,000-placeholder statement for the
driver to parse and the server to plan on every batch (most of the ingest's time
when measured). On SQLite, whose statements are parsed in C, SQLAlchemy's own
multi-row forms are used.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Insert,
    Table,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import Text

SQLITE_NEEDED = (3, 35)  # RETURNING


def dialect_of(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"the ledger runs on PostgreSQL or SQLite, not {name}")
    if name == "sqlite" and sqlite3.sqlite_version_info < SQLITE_NEEDED:
        raise RuntimeError(
            f"the embedded ledger needs SQLite {'.'.join(map(str, SQLITE_NEEDED))} or newer "
            f"(INSERT … RETURNING); this Python has SQLite {sqlite3.sqlite_version}"
        )
    return name


def insert_ignoring_duplicates(session: Session, table: Table, keys: list[str]) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO NOTHING``, to execute with a list of rows."""
    module = postgresql if dialect_of(session) == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=keys)


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], key: str
) -> set[Any]:
    """Insert the rows whose `key` is not stored yet, in one statement; returns the
    keys inserted. A row whose key exists (a replay, another replica's) is skipped by
    the database's unique index, so the index stays the exactly-once guard."""
    if not rows:
        return set()
    if dialect_of(session) == "sqlite":
        stmt = insert_ignoring_duplicates(session, table, [key]).returning(table.c[key])
        return set(session.execute(stmt, list(rows)).scalars())
    if len(rows) >= COPY_FROM_ROWS:
        return _copy_then_insert(session, table, rows, key)
    names = list(rows[0])
    columns = [_column_array(table, name, [row[name] for row in rows]) for name in names]
    source = func.unnest(*columns).table_valued(*names).render_derived()
    stmt = (
        postgresql.insert(table)
        .from_select(names, select(*(source.c[name] for name in names)))
        .on_conflict_do_nothing(index_elements=[key])
        .returning(table.c[key])
    )
    return set(session.execute(stmt).scalars())


# From this many rows on, PostgreSQL gets the batch by COPY (rows formatted by the
# driver's C code) into a temporary table, then one INSERT … SELECT; fewer go as arrays.
COPY_FROM_ROWS = 50


def _copy_then_insert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], key: str
) -> set[Any]:
    """COPY into ``<table>_batch`` (this connection's temporary table with the
    table's column types and no constraints, emptied at commit), then ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``.
    Rows already in the twin from an earlier call of the same transaction are
    inserted already, so they conflict and change nothing."""
    names = list(rows[0])
    batch = f"{table.name}_batch"
    column_list = ", ".join(names)
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {batch} ON COMMIT DELETE ROWS "
            f"AS SELECT {column_list} FROM {table.name} WITH NO DATA"
        )
    )
    serialisers = [_copy_value(table, name) for name in names]
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f"COPY {batch} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([to_db(row[n]) for to_db, n in zip(serialisers, names, strict=True)])
    inserted = session.execute(
        text(
            f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} FROM {batch} "
            f"ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
        )
    )
    session.execute(text(f"TRUNCATE {batch}"))
    return set(inserted.scalars())


def _copy_value(table: Table, name: str) -> Callable[[Any], Any]:
    """How a value of this column goes into COPY: JSON as its text, the rest as is."""
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        return partial(_json_text, none_as_null=column_type.none_as_null)
    return _as_is


def _as_is(value: Any) -> Any:
    return value


def _json_text(value: Any, *, none_as_null: bool) -> str | None:
    """As the JSON type stores it: None as JSON ``null`` unless ``none_as_null``."""
    return None if value is None and none_as_null else json.dumps(value)


def one_of(
    session: Session, column: InstrumentedAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``, one parameter."""
    if dialect_of(session) == "postgresql":
        return column == any_(_array(f"any_{column.key}", list(values), column.type))
    return column.in_(list(values))


def _array(name: str, values: list[Any], item_type: Any) -> ColumnElement[Any]:
    array_type = postgresql.ARRAY(item_type)
    return cast(bindparam(name, values, type_=array_type), array_type)


def _column_array(table: Table, name: str, values: list[Any]) -> ColumnElement[Any]:
    """One column of the batch as an array of the column's type. JSON values travel
    as their text (a list would be read as a nested array), serialised as the JSON
    type itself does: None as JSON ``null`` unless the type says ``none_as_null``."""
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        texts = [None if v is None and column_type.none_as_null else json.dumps(v) for v in values]
        return cast(
            bindparam(f"bulk_{name}", texts, type_=postgresql.ARRAY(Text)),
            postgresql.ARRAY(column_type),
        )
    return _array(f"bulk_{name}", values, column_type)
