"""Column types shared by the tracker's ledger and the crawler's state store.

One time convention for every stored moment: UTC. SQLite keeps a datetime's wall
time and drops its offset, PostgreSQL's ``timestamptz`` hands values back in the
session's zone; :class:`UtcDateTime` hides both, so code above the database only
ever sees aware UTC datetimes and converts to China time where a person reads
the time (the web page, the Atom feed, the JSON API's ledger times).

Vocabularies (stages, statuses, review and delivery states) are stored through
:func:`enum_column`: a bad value is refused by Python before the statement is
sent and by a CHECK constraint in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Dialect, Enum
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in (any offset, stored as UTC), aware UTC datetimes out.

    A naive datetime is refused: which zone it meant cannot be known, and guessing
    is how the ledger once held China time and UTC side by side."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a UTC offset")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite: the UTC wall time that was stored; PostgreSQL: the session's zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum: type[StrEnum], *, name: str, length: int) -> Enum:
    """A VARCHAR(length) holding one of ``enum``'s values, checked on both sides.

    ``values_callable`` stores the values (``"in_progress"``), not the member names,
    so the rows, the API and the events keep one spelling; ``name`` names the CHECK
    constraint, which the migration that introduced it creates as ``ck_<table>_<name>``.
    """
    return Enum(
        enum,
        name=name,
        length=length,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )
