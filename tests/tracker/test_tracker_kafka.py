"""The deployed tracker end to end on real Kafka and PostgreSQL: evidence in, status
and metrics out, a webhook subscriber notified exactly once, even on replay, and a
poison message diverted to the dead-letter topic instead of stopping the consumer.

The tracker runs as in production (`build_tracker_api` under a real uvicorn, the
real catalog) on this test's own topics, consumer group and database; the webhook
receiver is a plain http.server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.events import EvidenceFound, Stage
from services.tracker.app import build_tracker_api
from services.tracker.settings import TrackerSettings
from tests.infra.kafka_topics import bus_settings_overrides
from tests.live_server import serving
from tests.tracker.evidence_factory import make_evidence
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

RUN: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "tracker" / "kafka_run.json").read_text("utf-8")
)
TOKEN = "integration-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The delivery loop polls every 5 s; waiting two rounds more shows a duplicate if any.
QUIET_SECONDS = 11.0
EVIDENCE_COUNT = "luqiao_commitment_evidence_count"
T = TypeVar("T")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rec:
        yield rec


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:  # None or empty: not yet
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class TopicReader:
    """Reads a topic from its start, keeping everything it has seen."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        self.seen: list[tuple[bytes | None, dict[str, Any]]] = []

    def poll(self) -> list[tuple[bytes | None, dict[str, Any]]]:
        for records in self.consumer.poll(timeout_ms=500).values():
            self.seen.extend((r.key, json.loads(r.value)) for r in records)
        return self.seen

    def close(self) -> None:
        self.consumer.close()


def evidence_for(commitment: Commitment, spec: dict[str, Any]) -> EvidenceFound:
    return make_evidence(commitment.id, spec["url"], spec["day"], Stage(spec["stage"]))


def metric_value(base_url: str, family: str, **labels: str) -> float | None:
    text = httpx.get(base_url + "/metrics", timeout=10).text
    for fam in text_string_to_metric_families(text):
        for sample in fam.samples:
            if sample.name == family and labels.items() <= sample.labels.items():
                return sample.value
    return None


def test_evidence_in_status_metrics_and_one_notification_out(
    kafka_bootstrap: str,
    kafka_topics: dict[str, str],
    fresh_database_url: str,
    receiver: Receiver,
) -> None:
    watched, sentinel = [c for c in load_catalog() if c.kind == "milestone"][:2]
    topics: dict[str, Any] = bus_settings_overrides(kafka_topics)
    settings = TrackerSettings(
        kafka_bootstrap=kafka_bootstrap,
        database_url=fresh_database_url,
        tracker_group=f"tracker-{uuid.uuid4().hex[:8]}",
        api_token=TOKEN,
        webhook_backoff_seconds=0.2,
        webhook_allow_hosts="127.0.0.1/32",  # the receiver listens on loopback
        **topics,
    )
    app = build_tracker_api(settings)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    statuses = TopicReader(kafka_bootstrap, kafka_topics["status"])
    letters = TopicReader(kafka_bootstrap, kafka_topics["deadletter"])
    started = time.monotonic()
    try:
        with serving(app) as base_url:
            timings = {"startup_s": time.monotonic() - started}
            api = httpx.Client(base_url=base_url, timeout=15)
            assert api.get("/readyz").json() == {"ready": True, "database": True, "broker": True}
            before = api.get(f"/api/commitments/{watched.id}").json()
            assert before["status"] != RUN["expected_status"] and before["evidence"] == []

            made = api.post(
                "/api/subscriptions",
                json={
                    "name": "desk",
                    "scope": "commitment",
                    "value": watched.id,
                    "webhook_url": receiver.url,
                },
                headers=AUTH,
            )
            assert made.status_code == 201, made.text
            secret = made.json()["secret"]

            # 1. Evidence in: the ledger, the status topic, the metrics and the webhook.
            evidence = evidence_for(watched, RUN["watched"])
            producer.send(
                settings.evidence_topic,
                key=watched.id.encode(),
                value=evidence.model_dump_json().encode(),
                partition=0,
            )
            producer.flush(30)
            sent = time.monotonic()
            detail = wait_for(
                "the evidence in the API",
                lambda: (d := api.get(f"/api/commitments/{watched.id}").json())["evidence"] and d,
            )
            timings["evidence_to_api_s"] = time.monotonic() - sent
            assert [e["evidence_id"] for e in detail["evidence"]] == [evidence.evidence_id]
            assert detail["status"] == RUN["expected_status"]

            def achieved_events() -> list[dict[str, Any]]:
                return [
                    event
                    for key, event in statuses.poll()
                    if key == watched.id.encode() and event["new_status"] == RUN["expected_status"]
                ]

            [event] = wait_for("the status change on Kafka", lambda: achieved_events() or None)
            assert event["old_status"] == before["status"]
            assert any(reason.startswith("rule:") for reason in event["reasons"])

            assert metric_value(base_url, EVIDENCE_COUNT, commitment_id=watched.id) == 1.0
            assert metric_value(
                base_url, "luqiao_commitment_status",
                commitment_id=watched.id, status=RUN["expected_status"],
            ) == 1.0  # fmt: skip

            wait_for("the webhook POST", lambda: receiver.received or None, timeout=30)
            timings["evidence_to_webhook_s"] = time.monotonic() - sent
            [(headers, body)] = receiver.received
            assert headers["x-luqiao-event-id"] == event["status_event_id"]
            expected_sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            assert headers["x-luqiao-signature"] == f"sha256={expected_sig}"
            assert json.loads(body)["commitment_id"] == watched.id

            # 2. Replay the same evidence, then a poison message, then new evidence for
            # another commitment, all on one partition: once the last is in the ledger,
            # the tracker has handled the two before it.
            later = evidence_for(sentinel, RUN["sentinel"])
            for value, key in (
                (evidence.model_dump_json().encode(), watched.id.encode()),
                (RUN["poison"].encode(), None),
                (later.model_dump_json().encode(), sentinel.id.encode()),
            ):
                producer.send(settings.evidence_topic, key=key, value=value, partition=0)
            producer.flush(30)
            wait_for(
                "the evidence after the poison message",
                lambda: api.get(f"/api/commitments/{sentinel.id}").json()["evidence"] or None,
            )
            [letter] = wait_for("the dead letter", lambda: [e for _, e in letters.poll()] or None)
            assert letter["reason"].startswith(RUN["poison_reason_code"])
            assert letter["source_topic"] == settings.evidence_topic
            assert letter["service"] == "tracker"
            assert base64.b64decode(letter["original_b64"]) == RUN["poison"].encode()

            time.sleep(QUIET_SECONDS)
            assert metric_value(base_url, EVIDENCE_COUNT, commitment_id=watched.id) == 1.0
            assert len(api.get(f"/api/commitments/{watched.id}").json()["evidence"]) == 1
            assert len(receiver.received) == 1, "a replay must not notify the subscriber again"
            assert len(achieved_events()) == 1, "a replay must not publish the change again"
            assert len(letters.poll()) == 1
            log = api.get(f"/api/subscriptions/{made.json()['id']}/deliveries", headers=AUTH)
            assert log.json()["notifications_by_state"] == {"delivered": 1}
            api.close()
    finally:
        producer.close()
        statuses.close()
        letters.close()
        app.state.service.engine.dispose()
    print("timings:", {k: round(v, 2) for k, v in timings.items()})
