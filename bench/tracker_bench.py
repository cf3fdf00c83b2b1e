"""Tracker benchmark: evidence ingested per second, and API latency under load.

Run from the repository root:  .venv/bin/python -m bench.tracker_bench [--json]

1. Ingest through Kafka: N EvidenceFound events on real catalog ids
   (bench/evidence_corpus.py) are produced to a fresh evidence topic, then the tracker
   (``services.tracker.app.build_tracker_api`` under uvicorn, consumer and API in one
   process, as deployed) is started on a fresh PostgreSQL database and timed until the
   ``evidence`` table holds N rows. Baseline, same run, another fresh database: the same
   events stored by calling ``TrackerService.handle_evidence`` one at a time (no Kafka,
   one transaction and one status decision per event).
2. API latency: with the tracker serving the populated database, a second process
   (bench/http_load.py) runs 50 concurrent clients against each endpoint in turn;
   baseline, same load: ``GET /healthz``, which touches neither the database nor Python
   code beyond the framework.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.broker_progress import produce_all
from bench.evidence_corpus import build_evidence
from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.events import EvidenceFound
from services.tracker.app import build_tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from tests.infra.kafka_broker import running_kafka_broker
from tests.infra.kafka_topics import create_topics
from tests.infra.postgres_databases import fresh_database
from tests.infra.postgres_server import running_postgres_server
from tests.live_server import serving

ROOT = Path(__file__).resolve().parents[1]


def _count_evidence(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM evidence")).scalar_one())


def _wait_for_rows(database_url: str, target: int, timeout: float) -> tuple[float | None, int]:
    """perf_counter time at which the evidence table reached ``target`` rows (or None)."""
    engine = create_engine(database_url)
    try:
        deadline = time.perf_counter() + timeout
        rows = 0
        while time.perf_counter() < deadline:
            try:
                rows = _count_evidence(engine)
            except Exception:  # noqa: BLE001 - the table appears with the first migration
                rows = 0
            if rows >= target:
                return time.perf_counter(), rows
            time.sleep(0.25)
        return None, rows
    finally:
        engine.dispose()


def _settings(bootstrap: str, database_url: str, topics: dict[str, str]) -> TrackerSettings:
    return TrackerSettings(
        kafka_bootstrap=bootstrap,
        database_url=database_url,
        evidence_topic=topics["evidence"],
        status_topic=topics["status"],
        deadletter_topic=topics["deadletter"],
        tracker_group=f"bench-tracker-{uuid.uuid4().hex[:8]}",
    )


def bench_direct(
    settings: TrackerSettings, catalog: list[Commitment], events: list[EvidenceFound], budget: float
) -> dict[str, Any]:
    """The baseline: handle_evidence once per event, until done or the time budget is spent."""
    service = TrackerService(settings, catalog=catalog)
    try:
        service.start()
        started = time.perf_counter()
        done = 0
        for ev in events:
            service.handle_evidence(ev)
            done += 1
            if time.perf_counter() - started > budget:
                break
        elapsed = time.perf_counter() - started
        rows = _count_evidence(service.engine)
    finally:
        service.engine.dispose()
    return {
        "events": done,
        "complete": done == len(events),
        "rows": rows,
        "seconds": round(elapsed, 2),
        "events_per_second": round(done / elapsed, 1),
    }


def _load(urls: list[str], concurrency: int, seconds: float) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.http_load", "--concurrency", str(concurrency),
         "--seconds", str(seconds), *urls],
        capture_output=True, text=True, cwd=ROOT, timeout=seconds + 120, check=True,
    )  # fmt: skip
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def bench_api(
    base: str, catalog: list[Commitment], concurrency: int, seconds: float
) -> dict[str, Any]:
    ids = [c.id for c in catalog[:: max(1, len(catalog) // 25)]]
    targets = {
        "GET /healthz (baseline)": [f"{base}/healthz"],
        "GET /api/commitments?limit=50": [f"{base}/api/commitments?limit=50"],
        "GET /api/commitments/{id}": [f"{base}/api/commitments/{cid}" for cid in ids],
        "GET /metrics": [f"{base}/metrics"],
    }
    results = {name: _load(urls, concurrency, seconds) for name, urls in targets.items()}
    base_rate = results["GET /healthz (baseline)"]["requests_per_second"]
    for row in results.values():
        row["ratio_vs_healthz"] = (
            round(row["requests_per_second"] / base_rate, 3) if base_rate else None
        )
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    catalog = load_catalog()
    events = build_evidence(catalog, args.events)
    messages = [(ev.commitment_id.encode(), ev.model_dump_json().encode()) for ev in events]
    figures: dict[str, Any] = {"events": len(events), "commitments": len(catalog)}
    with running_postgres_server() as server_url, running_kafka_broker() as bootstrap:
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        topics = {r: f"{prefix}.luqiao.{r}" for r in ("evidence", "status", "deadletter")}
        create_topics(bootstrap, topics.values())
        figures["produce_messages_per_second"] = round(
            produce_all(bootstrap, topics["evidence"], messages), 1
        )
        with fresh_database(server_url) as database_url:
            settings = _settings(bootstrap, database_url, topics)
            app = build_tracker_api(settings, TrackerService(settings, catalog=catalog))
            started = time.perf_counter()
            with serving(app) as base:
                ready = time.perf_counter()
                done_at, rows = _wait_for_rows(database_url, len(events), args.timeout)
                kafka_seconds = (done_at or time.perf_counter()) - started
                figures["kafka"] = {
                    "complete": done_at is not None,
                    "rows": rows,
                    "startup_seconds": round(ready - started, 2),
                    "seconds": round(kafka_seconds, 2),
                    "events_per_second": round(rows / kafka_seconds, 1),
                    "events_per_second_after_startup": (
                        round(rows / (done_at - ready), 1) if done_at else None
                    ),
                }
                if not args.no_api:
                    figures["api"] = bench_api(base, catalog, args.concurrency, args.load_seconds)
        with fresh_database(server_url) as database_url:
            settings = _settings(bootstrap, database_url, topics)
            figures["direct_one_at_a_time"] = bench_direct(
                settings, catalog, events, args.direct_budget
            )
    direct = figures["direct_one_at_a_time"]["events_per_second"]
    figures["ratio_kafka_vs_direct"] = round(figures["kafka"]["events_per_second"] / direct, 2)
    return figures


def _print(f: dict[str, Any]) -> None:
    k, d = f["kafka"], f["direct_one_at_a_time"]
    print(
        f"{f['events']} evidence events on {f['commitments']} commitments "
        f"(produced first at {f['produce_messages_per_second']:,.0f} msg/s)"
    )
    print(
        f"  through Kafka into PostgreSQL: {k['events_per_second']:,.1f} events/s "
        f"({k['rows']} rows in {k['seconds']} s incl. {k['startup_seconds']} s startup; "
        f"{k['events_per_second_after_startup']} events/s after startup)"
    )
    print(
        f"  baseline, handle_evidence one at a time: {d['events_per_second']:,.1f} events/s "
        f"({d['events']} events in {d['seconds']} s{'' if d['complete'] else ', time budget hit'})"
    )
    print(f"  Kafka / baseline: {f['ratio_kafka_vs_direct']}x")
    if "api" not in f:
        return
    first = next(iter(f["api"].values()))
    print(f"\nAPI under load: {first['concurrency']} clients from a second process")
    print("| endpoint | requests/s | vs /healthz | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for name, r in f["api"].items():
        print(
            f"| {name} | {r['requests_per_second']:,.1f} | {r['ratio_vs_healthz']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} |"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--timeout", type=float, default=90.0, help="Kafka ingest, seconds")
    parser.add_argument(
        "--direct-budget", type=float, default=40.0, help="seconds for the baseline at most"
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--load-seconds", type=float, default=8.0, help="per endpoint")
    parser.add_argument("--no-api", action="store_true")
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    figures = run(args)
    print(json.dumps(figures, indent=2)) if args.json else _print(figures)
    return figures


if __name__ == "__main__":
    main()
