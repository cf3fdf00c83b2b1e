"""A throwaway PostgreSQL server for a test session, started by deploy/postgres/local-postgres.

Why PostgreSQL and not only SQLite: the tracker runs on PostgreSQL in production, and
constraints, upserts and transaction isolation differ between the two.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_POSTGRES = REPO_ROOT / "deploy" / "postgres" / "local-postgres"
DATABASE_URL_ENV = "DATABASE_URL"
# Covers installing the postgresql apt package on a fresh machine.
START_TIMEOUT_S = 600


class ServerStartError(RuntimeError):
    """local-postgres could not bring the server up; the message carries its log tail."""


def parse_database_url(script_output: str) -> str:
    """The value of the ``DATABASE_URL=...`` line local-postgres prints."""
    for line in script_output.splitlines():
        if line.startswith(f"{DATABASE_URL_ENV}="):
            return line.split("=", 1)[1].strip()
    raise ServerStartError(f"no {DATABASE_URL_ENV}= line in output: {script_output!r}")


def start_server(run_dir: Path) -> str:
    """Create and start a cluster in ``run_dir``; return its SQLAlchemy URL."""
    result = subprocess.run(
        [str(LOCAL_POSTGRES), "start", "--dir", str(run_dir), "--owner-pid", str(os.getpid())],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise ServerStartError(
            f"local-postgres start failed ({result.returncode}); logs in {run_dir}:\n"
            f"{result.stderr}"
        )
    return parse_database_url(result.stdout)


def stop_server(run_dir: Path) -> None:
    """Stop at once: the cluster is thrown away, so a clean shutdown would only cost time."""
    subprocess.run(
        [str(LOCAL_POSTGRES), "stop", "--dir", str(run_dir), "--mode", "immediate"],
        capture_output=True,
        timeout=120,
        check=False,
    )


def external_postgres_url() -> str | None:
    """``DATABASE_URL`` when it names a PostgreSQL server (a SQLite URL there is ignored)."""
    url = os.environ.get(DATABASE_URL_ENV, "")
    return url if url.startswith("postgresql") else None


@contextmanager
def running_postgres_server() -> Iterator[str]:
    """Yield the URL of the ``postgres`` database of a server running during the block.

    If ``DATABASE_URL`` names a PostgreSQL server, that one is used and nothing is started.
    The run directory is made with ``mkdtemp`` under /tmp because, as root, it is handed to
    the ``postgres`` user, who cannot enter pytest's 0700 ``/tmp/pytest-of-root``.
    """
    existing = external_postgres_url()
    if existing:
        yield existing
        return
    run_dir = Path(tempfile.mkdtemp(prefix="luqiao-postgres-", dir="/tmp"))
    url = start_server(run_dir)
    try:
        yield url
    finally:
        stop_server(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
