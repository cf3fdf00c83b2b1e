"""The ledger of tests/data/tracker/api_ledger.json, loaded into a real tracker.

Shared by the API, web page and metrics tests so that they read one known ledger
and their expectations live beside it in the data file, not in the test bodies.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from services.events import CrawlReport, EvidenceFound, Stage
from services.tracker.service import TrackerService
from tests.tracker.evidence_factory import make_evidence

LEDGER_FILE = Path(__file__).parents[1] / "data" / "tracker" / "api_ledger.json"


def ledger_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(LEDGER_FILE.read_text(encoding="utf-8"))
    return spec


@dataclass(frozen=True)
class SeededLedger:
    spec: dict[str, Any]
    batches: list[list[EvidenceFound]]
    # A moment after batch 1 was stored and before batch 2 was: `/api/evidence?since=`.
    between_batches: datetime

    def evidence_of(self, commitment_id: str) -> list[EvidenceFound]:
        return [ev for batch in self.batches for ev in batch if ev.commitment_id == commitment_id]

    def day(self, key: str) -> date:
        return date.fromisoformat(self.spec[key])


def _evidence(item: dict[str, Any]) -> EvidenceFound:
    return make_evidence(
        item["commitment"],
        item["url"],
        item["day"],
        Stage(item["stage"]),
        confidence=item.get("confidence", 0.9),
        done=item.get("done"),
        unit=item.get("unit", "个"),
    )


def seed_ledger(service: TrackerService) -> SeededLedger:
    """Start the tracker, store both batches (noting the time between them) and the
    crawler's reports."""
    spec = ledger_spec()
    service.start(as_of=date.fromisoformat(spec["start_as_of"]))
    as_of = date.fromisoformat(spec["as_of"])
    batches = [[_evidence(item) for item in batch] for batch in spec["batches"]]
    service.handle_batch(batches[0], as_of=as_of)
    time.sleep(0.01)  # received_at of the two batches must differ on any clock resolution
    between = datetime.now(UTC)
    time.sleep(0.01)
    for batch in batches[1:]:
        service.handle_batch(batch, as_of=as_of)
    for crawl in spec.get("crawls", []):
        service.record_crawl(CrawlReport.model_validate(crawl))
    return SeededLedger(spec, batches, between)
