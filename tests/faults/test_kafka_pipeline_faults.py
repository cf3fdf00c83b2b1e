"""The Kafka pipeline under faults: 1,080 articles go through the extractor and the
tracker (each its own `luqiao-monitor serve` process, as deployed) while both are
SIGKILLed twice at different moments, the broker is restarted and PostgreSQL is
stopped for 30 s. Afterwards the ledger holds exactly the evidence a clean offline
extraction of the same articles gives, each once; the dead-letter topic holds only
the poison message put in on purpose; every notification was delivered to the
subscriber's webhook and none of its status changes was queued twice.

The articles are the labelled set, each published under eight URLs so that every
copy is an article of its own. The crawler's part (kills of the crawler, a fixture
site that times out and answers 5xx) belongs with the crawler's fault tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from services.events import ArticleFetched
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from services.offline_articles import article_from_dict
from services.tracker.ledger.models import EvidenceRow, NotificationRow
from tests.infra.kafka_broker import start_broker, stop_broker
from tests.infra.kafka_topics import create_topics, unique_topic_names
from tests.infra.postgres_server import start_server, stop_server
from tests.live_server import free_port
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

LABELLED = Path(__file__).parents[1] / "data" / "labelled" / "articles.jsonl"
COPIES = 8
OUTAGE_S = 30
TOKEN = "faults-token"
POISON = b"\x00 this is not an article"


def articles() -> list[ArticleFetched]:
    base = [json.loads(line) for line in LABELLED.read_text("utf-8").splitlines() if line]
    out = []
    for copy in range(COPIES):
        for item in base:
            url = item["url"].replace(".html", f"_{copy}.html")
            out.append(article_from_dict({**item, "url": url}))
    return out


def expected_evidence(items: list[ArticleFetched]) -> list[set[str]]:
    """What a clean run stores, article by article: the extractor's own handler, offline."""
    handler = ExtractorHandler(ExtractorSettings())
    return [{ev.evidence_id for ev in handler.handle_article(a)} for a in items]


class Service:
    """One `luqiao-monitor serve …` process that the test may SIGKILL and restart."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.env, self.log_dir = name, env, log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"{self.name}-{self.starts}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", self.name],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} is not running"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (SQLAlchemyError, httpx.HTTPError):
            pass  # a service or the database on its way back up
        time.sleep(0.5)
    raise AssertionError(f"not in {timeout:.0f}s: {what}")


@pytest.fixture
def run_dirs() -> Iterator[dict[str, Path]]:
    dirs = {
        name: Path(tempfile.mkdtemp(prefix=f"luqiao-faults-{name}-", dir="/tmp"))
        for name in ("kafka", "postgres", "logs")
    }
    try:
        yield dirs
    finally:
        stop_broker(dirs["kafka"])
        stop_server(dirs["postgres"])
        for path in dirs.values():
            shutil.rmtree(path, ignore_errors=True)


def test_nothing_lost_nothing_doubled_under_kills_and_outages(
    run_dirs: dict[str, Path],
) -> None:
    items = articles()
    per_article = expected_evidence(items)
    expected: set[str] = set().union(*per_article)
    assert len(items) >= 1000 and len(expected) > 100

    bootstrap = start_broker(run_dirs["kafka"])
    db_url = start_server(run_dirs["postgres"])
    topics = unique_topic_names()
    create_topics(bootstrap, topics.values())
    port = free_port()
    common = {
        "KAFKA_BOOTSTRAP": bootstrap,
        "LUQIAO_KAFKA_BOOTSTRAP": bootstrap,
        "DATABASE_URL": db_url,
        "LUQIAO_DATABASE_URL": db_url,
        "LUQIAO_LOG_FORMAT": "json",
        **{f"LUQIAO_{role.upper()}_TOPIC": name for role, name in topics.items()},
    }
    prefix = topics["articles"].split(".")[0]
    extractor = Service(
        "extractor",
        {**common, "LUQIAO_EXTRACTOR_GROUP": f"{prefix}-ex", "LUQIAO_METRICS_PORT": "0"},
        run_dirs["logs"],
    )
    tracker = Service(
        "tracker",
        {
            **common,
            "LUQIAO_TRACKER_GROUP": f"{prefix}-tr",
            "LUQIAO_HTTP_PORT": str(port),
            "LUQIAO_API_TOKEN": TOKEN,
            "LUQIAO_WEBHOOK_ALLOW_HOSTS": "127.0.0.1/32",  # the subscriber is on loopback
            "LUQIAO_WEBHOOK_BACKOFF_SECONDS": "0.5",
            # A killed tracker's claimed deliveries wait out their lease (a batch's worth
            # of total time caps) before another pass takes them: keep it short here.
            "LUQIAO_WEBHOOK_TIMEOUT_SECONDS": "1",
            "LUQIAO_WEBHOOK_TOTAL_SECONDS": "1",
        },
        run_dirs["logs"],
    )
    base = f"http://127.0.0.1:{port}"
    engine = create_engine(db_url, pool_pre_ping=True)

    def stored() -> int:
        with engine.connect() as db:
            return db.scalar(select(func.count()).select_from(EvidenceRow)) or 0

    def ready() -> bool:
        return httpx.get(base + "/readyz", timeout=5).status_code == 200

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=10)

    def publish(batch: list[ArticleFetched], *, poison: bool = False) -> None:
        for a in batch:
            producer.send(
                topics["articles"], key=a.article_id.encode(), value=a.model_dump_json().encode()
            )
        if poison:
            producer.send(topics["articles"], key=b"poison", value=POISON)
        producer.flush(60)

    def at_least(share: float, of_first: int) -> Callable[[], bool]:
        """A share of what the articles published so far give (articles differ widely in
        how much evidence they carry, so a share of the whole run would be a guess)."""
        goal = share * len(set().union(*per_article[:of_first]))
        return lambda: stored() >= goal

    events: list[str] = []
    started = time.monotonic()

    def note(event: str) -> None:
        events.append(f"{time.monotonic() - started:6.1f}s {event} (stored {safe_stored()})")

    def safe_stored() -> int | str:
        try:
            return stored()
        except SQLAlchemyError:
            return "?"

    with running_receiver() as receiver:
        try:
            tracker.start()
            wait_for("tracker ready", ready, 120)
            made = httpx.post(
                base + "/api/subscriptions",
                json={"name": "desk", "scope": "all", "webhook_url": receiver.url},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert made.status_code == 201, made.text
            extractor.start()

            publish(items[:400], poison=True)
            wait_for("a quarter of the first batch stored", at_least(0.25, 400), 180)
            extractor.kill()
            note("SIGKILL extractor #1")
            extractor.start()
            wait_for("half of the first batch stored", at_least(0.5, 400), 180)
            tracker.kill()
            note("SIGKILL tracker #1")
            tracker.start()
            wait_for("tracker ready again", ready, 120)

            publish(items[400:700])
            stop_broker(run_dirs["kafka"])
            note("broker stopped")
            time.sleep(3)
            assert start_broker(run_dirs["kafka"]) == bootstrap
            note("broker started")
            wait_for("70 % of two batches stored", at_least(0.7, 700), 240)

            stop_server(run_dirs["postgres"])
            note("PostgreSQL stopped")
            publish(items[700:])
            time.sleep(OUTAGE_S / 2)
            extractor.kill()  # while the tracker cannot write
            note("SIGKILL extractor #2")
            extractor.start()
            time.sleep(OUTAGE_S / 2)
            start_server(run_dirs["postgres"])
            note("PostgreSQL started")
            wait_for("75 % of everything stored", at_least(0.75, len(items)), 240)
            tracker.kill()
            note("SIGKILL tracker #2")
            tracker.start()
            wait_for("tracker ready after the last kill", ready, 120)

            wait_for("every expected evidence stored", lambda: stored() >= len(expected), 300)
            time.sleep(5)  # anything still in flight would land now

            def all_delivered() -> bool:
                with engine.connect() as db:
                    pending = db.scalar(
                        select(func.count())
                        .select_from(NotificationRow)
                        .where(NotificationRow.delivery_state != "delivered")
                    )
                return pending == 0

            wait_for("every notification delivered", all_delivered, 180)
            note("settled")
        except AssertionError as exc:
            # A stuck run says why: the timeline and the tail of every service's log.
            logs = "\n".join(
                f"--- {path.name}\n{path.read_bytes()[-2000:].decode(errors='replace')}"
                for path in sorted(run_dirs["logs"].glob("*.log"))
            )
            raise AssertionError(f"{exc}\n" + "\n".join(events) + f"\n{logs}") from exc
        finally:
            extractor.stop()
            tracker.stop()
            producer.close()
        report(engine, expected, receiver, topics["deadletter"], bootstrap, events)
    engine.dispose()


def report(
    engine: Any,
    expected: set[str],
    receiver: Receiver,
    deadletter_topic: str,
    bootstrap: str,
    events: list[str],
) -> None:
    with engine.connect() as db:
        ids = list(db.scalars(select(EvidenceRow.evidence_id)))
        notes = list(
            db.execute(select(NotificationRow.status_event_id, NotificationRow.subscription_id))
        )
    stored = set(ids)
    lost, extra = expected - stored, stored - expected
    duplicates = len(ids) - len(stored)
    received = Counter(headers["x-luqiao-event-id"] for headers, _ in receiver.received)
    sent_twice = sum(1 for n in received.values() if n > 1)
    letters = dead_letters(bootstrap, deadletter_topic)
    print("\n".join(events))
    print(
        f"evidence: expected {len(expected)}, stored {len(stored)}, lost {len(lost)}, "
        f"extra {len(extra)}, duplicates {duplicates}; notifications {len(notes)}, "
        f"webhook posts {sum(received.values())}, events sent twice {sent_twice}; "
        f"dead letters {len(letters)}"
    )
    assert not lost and not extra and duplicates == 0
    assert len(notes) == len(set(notes))  # one notification per status change
    assert set(received) == {event for event, _ in notes}  # every one reached the receiver
    # Webhooks are at-least-once (receivers dedupe on X-Luqiao-Event-Id): only a kill
    # between a POST and its record could send one twice, and there were two.
    assert sent_twice <= 2
    assert [(d["source_topic"], d["service"]) for d in letters] == [
        (deadletter_topic.replace("deadletter", "articles"), "extractor")
    ]


def dead_letters(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        return [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()
