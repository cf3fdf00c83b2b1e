"""schemathesis against docs/openapi.json: every operation of the tracker's API,
fed generated and boundary input, answers without a server error (5xx).

The tracker runs as it is served (`tracker_api` under a real uvicorn on loopback,
with its webhook worker and a seeded ledger, on SQLite and on PostgreSQL). Each operation is fuzzed twice:
with the auditors' token, so the write endpoints get past the guard and validate
the body, and without it, so the guard itself sees whatever Authorization header
schemathesis makes up. The number of examples is bounded so the suite stays under
two minutes on a busy machine; LUQIAO_FUZZ_EXAMPLES raises it for a longer hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from services.tracker.app import tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.catalog_fixtures import mini_catalog
from tests.live_server import serving
from tests.tracker.seeded_ledger import seed_ledger

TOKEN = "fuzz-token"
OPENAPI = Path(__file__).parents[2] / "docs" / "openapi.json"
EXAMPLES = int(os.environ.get("LUQIAO_FUZZ_EXAMPLES", "30"))

schema = schemathesis.openapi.from_path(str(OPENAPI))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live_tracker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """On SQLite and on PostgreSQL, which refuses some input SQLite takes (NUL in text)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'tracker.db'}"
    else:
        url = request.getfixturevalue("module_database_url")
    service = TrackerService(
        TrackerSettings(
            database_url=url,
            api_token=TOKEN,
            # Generated webhook URLs name public hosts this machine cannot reach:
            # fail them fast instead of holding the worker.
            webhook_timeout_seconds=0.2,
            webhook_total_seconds=0.5,
        ),
        catalog=list(mini_catalog()),
    )
    seed_ledger(service)
    with serving(tracker_api(service)) as url:
        yield url
    service.engine.dispose()


FUZZ_SETTINGS: Any = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases on every run: a failure here is reproducible
)


@pytest.mark.slow
@schema.parametrize()
@FUZZ_SETTINGS
def test_no_server_error_with_the_token(case: Any, live_tracker: str) -> None:
    case.call_and_validate(
        base_url=live_tracker,
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[not_a_server_error],
        timeout=30,
    )


@pytest.mark.slow
@schema.parametrize()
@FUZZ_SETTINGS
def test_no_server_error_without_the_token(case: Any, live_tracker: str) -> None:
    case.call_and_validate(base_url=live_tracker, checks=[not_a_server_error], timeout=30)
