"""A live scrape of the tracker's /metrics, the way Prometheus does it: over HTTP
from a real uvicorn, parsed with prometheus_client's own parser.

Dashboards and alert rules are checked against tests/deploy/data/metric_names.txt;
this test checks the tracker really exposes each family documented there as its own,
with the documented type, and nothing luqiao_* that the list does not know.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from services.tracker.api.main import create_api
from services.tracker.service import TrackerService
from services.tracker.status_rules import Status
from tests.catalog_fixtures import mini_catalog
from tests.deploy.documented_metrics import documented_metrics
from tests.live_server import serving
from tests.tracker.seeded_ledger import SeededLedger, seed_ledger

TRACKER_FAMILIES = [f for f in documented_metrics() if "tracker" in f.exposed_by]

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def seeded(tracker: TrackerService) -> SeededLedger:
    return seed_ledger(tracker)


@pytest.fixture
def scrape(tracker: TrackerService, seeded: SeededLedger) -> Iterator[httpx.Response]:
    with serving(create_api(tracker)) as base_url:
        yield httpx.get(base_url + "/metrics", timeout=10)


def families(response: httpx.Response) -> dict[str, tuple[str, list[Sample]]]:
    """Family name as on its `# TYPE` line -> (type, samples). The parser drops a
    counter's `_total` from the family name; the exposition and the list keep it."""
    parsed = {}
    for family in text_string_to_metric_families(response.text):
        name = family.name + "_total" if family.type == "counter" else family.name
        parsed[name] = (family.type, family.samples)
    return parsed


def test_every_documented_tracker_metric_is_exposed_with_its_type(
    scrape: httpx.Response,
) -> None:
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    exposed = families(scrape)
    assert TRACKER_FAMILIES, "the list names no tracker metric"
    missing = [f.name for f in TRACKER_FAMILIES if f.name not in exposed]
    assert missing == []
    wrong_type = [(f.name, exposed[f.name][0]) for f in TRACKER_FAMILIES
                  if exposed[f.name][0] != f.type]  # fmt: skip
    assert wrong_type == []


def test_no_undocumented_luqiao_metric_is_exposed(scrape: httpx.Response) -> None:
    documented = {f.name for f in documented_metrics()}
    # prometheus_client adds `<name>_created` beside each counter and histogram (the time it
    # was created); those companions are not metrics of their own.
    documented |= {f.name.removesuffix("_total") + "_created" for f in documented_metrics()
                   if f.type in ("counter", "histogram")}  # fmt: skip
    exposed = families(scrape)
    assert sorted(n for n in exposed if n.startswith("luqiao_") and n not in documented) == []


def test_per_commitment_series_follow_the_ledger(
    scrape: httpx.Response, seeded: SeededLedger, tracker: TrackerService
) -> None:
    exposed = families(scrape)

    def value(family: str, **labels: str) -> float:
        [sample] = [s for s in exposed[family][1]
                    if s.name == family and labels.items() <= s.labels.items()]  # fmt: skip
        return sample.value

    for commitment in mini_catalog():
        counted = [ev for ev in seeded.evidence_of(commitment.id)
                   if ev.confidence >= tracker.settings.review_threshold]  # fmt: skip
        assert value("luqiao_commitment_evidence_count", commitment_id=commitment.id) == len(
            counted
        )
        status = seeded.spec["statuses"][commitment.id]
        assert value("luqiao_commitment_status", commitment_id=commitment.id, status=status) == 1
        statuses = [s for s in exposed["luqiao_commitment_status"][1]
                    if s.labels["commitment_id"] == commitment.id]  # fmt: skip
        assert sum(s.value for s in statuses) == 1 and len(statuses) == len(Status)
    quantitative = seeded.spec["quantitative"]
    assert value(
        "luqiao_commitment_target_progress_ratio", commitment_id=quantitative["commitment"]
    ) == pytest.approx(quantitative["progress_ratio"])
    consumed = value("luqiao_events_consumed_total", service="tracker", topic="evidence")
    assert consumed >= sum(len(b) for b in seeded.batches)
