"""one time convention (UTC) and checked vocabularies

Until 0003 the ledger stamped its rows in China time (`store.now()`, crawl reports
converted to +08:00) while the notification tables were stamped in UTC. PostgreSQL's
`timestamptz` kept the instants either way, but SQLite keeps only the wall time, so
its files hold China wall times in some columns and UTC ones in others. From here on
every column is `services.db_types.UtcDateTime`: UTC is stored everywhere, and on
SQLite the China-time columns below are moved back eight hours once. PostgreSQL
needs no data change.

The stage, status, schedule, review and delivery state columns get CHECK constraints
with the values of their enums, so a bad value cannot be stored even by hand-written SQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:00:00
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CHINA_OFFSET = timedelta(hours=8)

# table -> (primary key, the columns the ledger stamped in China time until 0003)
CHINA_TIME_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "commitments": ("id", ("updated_at",)),
    "evidence": ("evidence_id", ("published_at", "received_at", "reviewed_at")),
    "status_history": ("id", ("decided_at",)),
    "crawl_reports": ("crawl_id", ("started_at", "finished_at", "received_at")),
}

# (table, column) -> the values allowed, as of this revision (the enums may grow later;
# a later revision then replaces the constraint).
VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("evidence", "stage"): ("planned", "started", "in_progress", "completed", "delayed"),
    ("evidence", "review_state"): ("auto", "pending", "confirmed", "rejected"),
    ("status_history", "status"): (
        "no_evidence", "planned_only", "started", "in_progress", "ongoing", "achieved",
        "partially_achieved", "stalled", "overdue", "carried_over", "disputed",
    ),
    ("status_history", "schedule"): ("欠进度", "达进度", "超进度"),
    ("notifications", "delivery_state"): ("pending", "delivered", "failed", "feed_only"),
}  # fmt: skip

# Tables whose rows reference a table rebuilt here (foreign keys).
CHILDREN = {"notifications": ("delivery_log",)}


def _shift_sqlite_wall_times(delta: timedelta) -> None:
    """Move the China-time columns' stored wall times by `delta` (SQLite only)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table_name, (key, columns) in CHINA_TIME_COLUMNS.items():
        table = sa.table(
            table_name, sa.column(key), *(sa.column(c, sa.DateTime()) for c in columns)
        )
        rows = bind.execute(sa.select(table.c[key], *(table.c[c] for c in columns))).all()
        if not rows:
            continue
        moved = []
        for pk, *moments in rows:
            new = {
                f"new_{c}": m + delta if m is not None else None
                for c, m in zip(columns, moments, strict=True)
            }
            moved.append({"pk": pk, **new})
        bind.execute(
            table.update()
            .where(table.c[key] == sa.bindparam("pk"))
            .values({c: sa.bindparam(f"new_{c}") for c in columns}),
            moved,
        )


def _check_name(table: str, column: str) -> str:
    return op.f(f"ck_{table}_{column}")


@contextmanager
def _children_set_aside(table: str) -> Iterator[None]:
    """SQLite adds a CHECK by rebuilding the table, and dropping a parent table with
    foreign keys on fails while child rows point at it (``PRAGMA foreign_keys`` cannot
    change inside the migration's transaction): the children's rows wait outside."""
    bind = op.get_bind()
    children = CHILDREN.get(table, ()) if bind.dialect.name == "sqlite" else ()
    kept = {}
    for child in children:
        reflected = sa.Table(child, sa.MetaData(), autoload_with=bind)
        kept[child] = (reflected, [dict(r) for r in bind.execute(sa.select(reflected)).mappings()])
        bind.execute(reflected.delete())
    yield
    for reflected, rows in kept.values():
        if rows:
            bind.execute(reflected.insert(), rows)


def _vocabularies_of(table: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(column, values) for (t, column), values in VOCABULARIES.items() if t == table]


def upgrade() -> None:
    _shift_sqlite_wall_times(-CHINA_OFFSET)
    for table in sorted({t for t, _ in VOCABULARIES}):
        with _children_set_aside(table), op.batch_alter_table(table) as batch:
            for column, values in _vocabularies_of(table):
                allowed = ", ".join(f"'{v}'" for v in values)
                batch.create_check_constraint(
                    _check_name(table, column), sa.text(f"{column} IN ({allowed})")
                )


def downgrade() -> None:
    for table in sorted({t for t, _ in VOCABULARIES}):
        with _children_set_aside(table), op.batch_alter_table(table) as batch:
            for column, _values in _vocabularies_of(table):
                batch.drop_constraint(_check_name(table, column), type_="check")
    _shift_sqlite_wall_times(CHINA_OFFSET)
