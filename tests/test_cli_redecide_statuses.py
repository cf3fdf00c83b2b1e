"""`luqiao-monitor redecide-statuses`: an --as-of outside the catalog's years is refused
with the range to use and changes nothing; --dry-run lists exactly the changes a
real run then stores, and stores and notifies nothing itself. On a real SQLite
database, with the real catalog."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select

from services.tracker.ledger.models import NotificationRow, StatusRow, SubscriptionRow
from services.tracker.notifications.outbox import utc_now
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings


def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("status_history"):
            return 0, 0
        with engine.connect() as db:
            statuses = db.scalar(select(func.count()).select_from(StatusRow))
            notes = db.scalar(select(func.count()).select_from(NotificationRow))
        return statuses or 0, notes or 0
    finally:
        engine.dispose()


def invoke(
    url: str, *args: str, command: str = "redecide-statuses"
) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, in its own process (its logging setup too)."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli", command, *args],
        env={**os.environ, "LUQIAO_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_as_of_outside_the_catalogs_years_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    result = invoke(url, "--as-of", "0001-01-01")
    assert result.returncode == 2
    assert "outside the catalog's years" in result.stderr
    assert re.search(r"from 2024-01-01 to \d{4}-12-31", result.stderr), result.stderr
    assert counts(url) == (0, 0)
    assert invoke(url, "--as-of", "yesterday").returncode == 2


def test_the_old_name_still_works_and_says_the_new_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    old = invoke(url, "--as-of", "0001-01-01", command="reevaluate")
    new = invoke(url, "--as-of", "0001-01-01")
    assert old.returncode == new.returncode == 2
    notice, rest = old.stderr.split("\n", 1)
    assert (
        notice
        == "`luqiao-monitor reevaluate` is deprecated: use `luqiao-monitor redecide-statuses`"
    )
    assert rest == new.stderr


def test_dry_run_lists_what_a_real_run_then_stores(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    assert invoke(url, "--as-of", "2024-06-01").returncode == 0
    service = TrackerService(TrackerSettings(database_url=url))
    with service.sessions.begin() as db:  # a subscriber to every change
        db.add(
            SubscriptionRow(
                name="desk",
                scope="all",
                value="",
                secret="k",
                feed_token="f",
                created_at=utc_now(),
            )  # fmt: skip
        )
    service.engine.dispose()
    before = counts(url)

    preview = invoke(url, "--as-of", "2026-03-01", "--dry-run")
    assert preview.returncode == 0, preview.stdout
    assert counts(url) == before  # nothing stored, nothing queued
    listed = [line for line in preview.stdout.splitlines() if " → " in line]
    n = int(re.search(r"(\d+) status changes as of 2026-03-01 \(dry run", preview.stdout)[1])  # type: ignore[index]
    assert n == len(listed) > 0

    real = invoke(url, "--as-of", "2026-03-01")
    assert real.returncode == 0, real.stdout
    assert f"{n} status changes as of 2026-03-01" in real.stdout
    statuses, notes = counts(url)
    assert (statuses - before[0], notes - before[1]) == (n, n)
