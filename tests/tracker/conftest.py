"""A tracker on a real database: SQLite in a temp dir, and PostgreSQL (the
session's server) for the tests marked to run on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_catalog


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return request.getfixturevalue("fresh_database_url")


@pytest.fixture
def tracker(database_url: str) -> Iterator[TrackerService]:
    settings = TrackerSettings(database_url=database_url, review_threshold=0.6, stall_days=90)
    service = TrackerService(settings, catalog=list(mini_catalog()))
    yield service
    service.engine.dispose()
