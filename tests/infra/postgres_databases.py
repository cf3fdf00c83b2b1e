"""One empty database per test (or module) on the session's PostgreSQL server.

Why a database each rather than cleaning tables: migrations and schema tests start from
nothing, and a test that fails half-way leaves nothing behind for the next one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

DRIVER = "postgresql+psycopg"


def _libpq_conninfo(url: str) -> str:
    """The SQLAlchemy URL as a plain ``postgresql://`` URL psycopg accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url_for(server_url: str, database: str) -> str:
    """``server_url`` pointed at ``database``, with the psycopg driver SQLAlchemy should use."""
    return (
        make_url(server_url)
        .set(drivername=DRIVER, database=database)
        .render_as_string(hide_password=False)
    )


def create_database(server_url: str) -> str:
    """Create a database with a unique name on the server; return its SQLAlchemy URL."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    # CREATE DATABASE cannot run inside a transaction, hence autocommit.
    with psycopg.connect(_libpq_conninfo(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url_for(server_url, name)


def drop_database(server_url: str, database_url: str) -> None:
    """Drop the database, closing connections a test left open (PostgreSQL 13+ FORCE)."""
    name = make_url(database_url).database
    if not name:
        raise ValueError(f"no database name in {database_url!r}")
    with psycopg.connect(_libpq_conninfo(server_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Yield the URL of a new empty database, dropped afterwards so that a shared,
    long-lived server (``DATABASE_URL``) does not fill up with test databases."""
    url = create_database(server_url)
    try:
        yield url
    finally:
        drop_database(server_url, url)
