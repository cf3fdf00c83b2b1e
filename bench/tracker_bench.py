"""Tracker benchmark: evidence ingested per second, and API latency under load.

Run from the repository root:  .venv/bin/python -m bench.tracker_bench [--json]

1. Ingest in process (``--in-process`` batch sizes): the consumer's handler
   ``handle_raw_batch`` called directly on a fresh database, wall and CPU time.
   Ingest through Kafka: N EvidenceFound events on real catalog ids
   (bench/evidence_corpus.py) are produced to a fresh evidence topic, then the tracker
   (consumer and API in one process, as deployed) is started on a fresh PostgreSQL database and timed until the
   ``evidence`` table holds N rows. Baseline, same run, another fresh database: the same
   events stored by calling ``TrackerService.handle_evidence`` one at a time (no Kafka,
   one transaction and one status decision per event).
2. API latency: with the tracker serving the populated database, a second process
   (wrk, else bench/http_load.py) runs 50 concurrent clients against each endpoint in
   turn (``/metrics`` once plain and once with ``Accept-Encoding: gzip``, as Prometheus
   asks); baseline, same load: ``GET /healthz``, which touches neither the database nor
   Python code beyond the framework. ``--loop`` / ``--http`` choose uvicorn's event loop
   and HTTP parser (``auto``: uvloop and httptools when installed, as deployed).
3. End to end (bench/end_to_end.py): articles produced at ``--e2e-rate`` per second to
   the extractor's app, whose evidence the same tracker consumes; latency until /metrics
   shows each article's evidence.
4. The API again while the consumer ingests ``--busy-events`` new events per endpoint.

``--server process`` (the default) runs the tracker as deployed, ``luqiao-monitor serve
tracker`` in its own process configured through the environment (``--access-log`` sets
its ``LUQIAO_HTTP_ACCESS_LOG``), and the end-to-end extractor as ``serve extractor``;
``--server thread`` runs both on threads of this process, as earlier sessions measured.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.broker_progress import produce_all
from bench.end_to_end import bench_end_to_end
from bench.evidence_corpus import build_evidence
from bench.service_processes import tracker_process
from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.events import EvidenceFound
from services.log_config import configure_logging
from services.tracker.app import build_tracker_api
from services.tracker.service import TrackerService
from services.tracker.settings import TrackerSettings
from services.worker import RawMessage
from tests.infra.kafka_broker import running_kafka_broker
from tests.infra.kafka_topics import create_topics
from tests.infra.postgres_databases import fresh_database
from tests.infra.postgres_server import running_postgres_server
from tests.live_server import serving as live_serving

ROOT = Path(__file__).resolve().parents[1]


def server_choice(loop: str, http: str) -> dict[str, str]:
    """What uvicorn will run: "auto" resolves as uvicorn resolves it."""
    found = {name: importlib.util.find_spec(name) is not None for name in ("uvloop", "httptools")}
    return {
        "loop": loop if loop != "auto" else ("uvloop" if found["uvloop"] else "asyncio"),
        "http": http if http != "auto" else ("httptools" if found["httptools"] else "h11"),
    }


def serving(app: Any, *, loop: str, http: str) -> AbstractContextManager[str]:
    """uvicorn on a thread (tests/live_server.py's), with the loop and parser chosen."""
    return live_serving(app, loop=loop, http=http)


def tracker_env(settings: TrackerSettings, *, access_log: bool) -> dict[str, str]:
    """The environment that points `serve tracker` where `settings` point."""
    return {
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LUQIAO_EVIDENCE_TOPIC": settings.evidence_topic,
        "LUQIAO_STATUS_TOPIC": settings.status_topic,
        "LUQIAO_DEADLETTER_TOPIC": settings.deadletter_topic,
        "LUQIAO_TRACKER_GROUP": settings.tracker_group,
        "LUQIAO_HTTP_ACCESS_LOG": str(access_log).lower(),
    }


def running_tracker(
    args: argparse.Namespace, settings: TrackerSettings, catalog: list[Commitment]
) -> AbstractContextManager[str]:
    """The tracker under test: its own process as deployed (``--server process``), or
    uvicorn on a thread of this process (``--server thread``, the earlier shape)."""
    if args.server == "process":
        return tracker_process(tracker_env(settings, access_log=args.access_log == "on"))
    app = build_tracker_api(settings, TrackerService(settings, catalog=catalog))
    return serving(app, loop=args.loop, http=args.http)


def _count_evidence(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM evidence")).scalar_one())


# How often the evidence rows are counted while the tracker ingests. 10,000 events take
# ~1.5-2 s after start-up: counted every 0.25 s (before 2026-11-28) the rate after
# start-up was only known to ±15 %, part of the run-to-run spread; a count costs the
# database ~1-3 ms at that size.
ROW_POLL_SECONDS = 0.05


def _watch_rows(
    database_url: str, target: int, started: float, timeout: float
) -> list[tuple[float, int]]:
    """(seconds since ``started``, evidence rows) every `ROW_POLL_SECONDS` until ``target`` rows."""
    engine = create_engine(database_url)
    samples: list[tuple[float, int]] = []
    try:
        while time.perf_counter() - started < timeout:
            try:
                rows = _count_evidence(engine)
            except Exception:  # noqa: BLE001 - the table appears with the first migration
                rows = 0
            samples.append((time.perf_counter() - started, rows))
            if rows >= target:
                break
            time.sleep(ROW_POLL_SECONDS)
        return samples
    finally:
        engine.dispose()


def _while_rows_arrive(samples: list[tuple[float, int]]) -> dict[str, float | None]:
    """The rate from the first count that saw rows to the last: the consumer's own,
    whatever start-up cost. "After startup" divides by the time since /healthz first
    answered, but the consumer starts in the lifespan, before uvicorn listens, so rows
    stored during start-up inflated it (seen: 16,857 events/s after startup)."""
    first = next(((t, n) for t, n in samples if n > 0), None)
    (done_s, rows) = samples[-1]
    if first is None or done_s <= first[0]:
        return {
            "first_row_seconds": first[0] if first else None,
            "events_per_second_while_rows_arrive": None,
        }
    return {
        "first_row_seconds": round(first[0], 2),
        "events_per_second_while_rows_arrive": round((rows - first[1]) / (done_s - first[0]), 1),
    }


def _seconds_to(samples: list[tuple[float, int]], rows: int) -> float | None:
    return next((t for t, n in samples if n >= rows), None)


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


def bench_in_process(
    server_url: str, catalog: list[Commitment], events: list[EvidenceFound], batch: int
) -> dict[str, Any]:
    """The consumer's handler without Kafka: `handle_raw_batch` over the events in
    batches of `batch`, on a fresh database. CPU time is this process's (decoding,
    SQL building, the driver, the status rules), not the PostgreSQL server's, so it
    moves less with other sessions' load than the wall clock."""
    raws = [RawMessage(ev.model_dump_json().encode(), ev.commitment_id.encode()) for ev in events]
    with fresh_database(server_url) as database_url:
        service = TrackerService(TrackerSettings(database_url=database_url), catalog=catalog)
        try:
            service.start()
            wall, cpu = time.perf_counter(), time.process_time()
            for i in range(0, len(raws), batch):
                service.handle_raw_batch(raws[i : i + batch])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows = _count_evidence(service.engine)
        finally:
            service.engine.dispose()
    return {
        "batch": batch,
        "rows": rows,
        "events_per_second_wall": round(len(events) / wall, 1),
        "events_per_second_cpu": round(len(events) / cpu, 1),
    }


WRK_SCRIPT = ROOT / "bench" / "wrk_report.lua"


GZIP = {"Accept-Encoding": "gzip"}  # what Prometheus sends with every scrape


def _load(
    base: str,
    paths: list[str],
    concurrency: int,
    seconds: float,
    tool: str,
    headers: dict[str, str] | None = None,
) -> dict:
    """Run the load from a second process: wrk (C, two threads) when installed, else the
    asyncio+httpx script, which tops out near 850 requests/s on this machine even against
    a trivial app (wrk: ~2,000), so it understates the fast endpoints. Without
    `headers` neither asks for a compressed answer (as every run before 2026-11-28)."""
    header_args = [a for name, value in (headers or {}).items() for a in ("-H", f"{name}: {value}")]
    if tool == "wrk":
        cmd = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds:g}s", "--timeout", "30s",
               *header_args, "-s", str(WRK_SCRIPT), base, "--", *paths]  # fmt: skip
    else:
        cmd = [sys.executable, "-m", "bench.http_load", "--concurrency", str(concurrency),
               "--seconds", str(seconds), *header_args, *[base + p for p in paths]]  # fmt: skip
    result = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, timeout=seconds + 120, check=True
    )
    row = dict(json.loads(result.stdout.strip().splitlines()[-1]))
    row.update(tool=tool, concurrency=concurrency)
    return row


def _scrape_size(base: str, headers: dict[str, str]) -> dict[str, Any]:
    """One scrape with these headers: the bytes on the wire and their encoding, so the
    gzip row shows it was served compressed (wrk does not decode what it reads)."""
    with httpx.Client(timeout=30.0) as client:
        response = client.get(base + "/metrics", headers={"Accept-Encoding": "identity", **headers})
        response.raise_for_status()
        return {
            "content_encoding": response.headers.get("content-encoding", "identity"),
            "bytes_on_the_wire": int(response.headers["content-length"]),
        }


def bench_api(
    base: str, catalog: list[Commitment], concurrency: int, seconds: float, tool: str
) -> dict[str, Any]:
    ids = [c.id for c in catalog[:: max(1, len(catalog) // 25)]]
    targets = {
        "GET /healthz (baseline)": ["/healthz"],
        "GET /api/commitments?limit=50": ["/api/commitments?limit=50"],
        "GET /api/commitments/{id}": [f"/api/commitments/{cid}" for cid in ids],
        "GET /metrics": ["/metrics"],
    }
    results = {
        name: _load(base, paths, concurrency, seconds, tool) for name, paths in targets.items()
    }
    results["GET /metrics"].update(_scrape_size(base, {}))
    gzip_row = "GET /metrics, Accept-Encoding: gzip"
    results[gzip_row] = _load(base, ["/metrics"], concurrency, seconds, tool, GZIP)
    results[gzip_row].update(_scrape_size(base, GZIP))
    base_rate = results["GET /healthz (baseline)"]["requests_per_second"]
    for row in results.values():
        row["ratio_vs_healthz"] = (
            round(row["requests_per_second"] / base_rate, 3) if base_rate else None
        )
    return results


def bench_api_while_ingesting(
    base: str,
    bootstrap: str,
    topic: str,
    database_url: str,
    catalog: list[Commitment],
    *,
    events: int,
    first: int,
    concurrency: int,
    seconds: float,
    tool: str,
) -> dict[str, Any]:
    """The same load while the consumer stores `events` new events (produced just
    before the load starts): the consumer's batches, status decisions and the read
    model's rebuilds then share the process with the HTTP side."""
    engine = create_engine(database_url)
    results: dict[str, Any] = {}
    try:
        for name, path in (
            ("GET /healthz while ingesting", "/healthz"),
            ("GET /api/commitments?limit=50 while ingesting", "/api/commitments?limit=50"),
        ):
            more = build_evidence(catalog, events, seed=first, first=first)
            first += events
            produce_all(bootstrap, topic, [_message(ev) for ev in more])
            before = _count_evidence(engine)
            row = _load(base, [path], concurrency, seconds, tool)
            row["events_stored_during_load"] = _count_evidence(engine) - before
            results[name] = row
    finally:
        engine.dispose()
    return results


def _message(ev: EvidenceFound) -> tuple[bytes, bytes]:
    return ev.commitment_id.encode(), ev.model_dump_json().encode()


def run(args: argparse.Namespace) -> dict[str, Any]:
    catalog = load_catalog()
    events = build_evidence(catalog, args.events)
    messages = [_message(ev) for ev in events]
    tool = (
        args.load_tool if args.load_tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    )
    figures: dict[str, Any] = {
        "events": len(events),
        "commitments": len(catalog),
        "server": (
            {"process": "serve tracker", "access_log": args.access_log}
            if args.server == "process"
            else {"process": "thread of the bench", **server_choice(args.loop, args.http)}
        ),
    }
    with running_postgres_server() as server_url, running_kafka_broker() as bootstrap:
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        topics = {r: f"{prefix}.luqiao.{r}" for r in ("evidence", "status", "deadletter")}
        create_topics(bootstrap, topics.values())
        figures["in_process"] = [
            bench_in_process(server_url, catalog, events, batch) for batch in args.in_process
        ]
        with fresh_database(server_url) as database_url:
            settings = _settings(bootstrap, database_url, topics)
            direct = figures["direct_one_at_a_time"] = bench_direct(
                settings, catalog, events, args.direct_budget
            )
        figures["produce_messages_per_second"] = round(
            produce_all(bootstrap, topics["evidence"], messages), 1
        )
        with fresh_database(server_url) as database_url:
            settings = _settings(bootstrap, database_url, topics)
            started = time.perf_counter()
            with running_tracker(args, settings, catalog) as base:
                startup = time.perf_counter() - started
                samples = _watch_rows(database_url, len(events), started, args.timeout)
                done_s, rows = samples[-1]
                same_s = _seconds_to(samples, direct["events"])
                figures["kafka"] = {
                    "complete": rows >= len(events),
                    "rows": rows,
                    "startup_seconds": round(startup, 2),
                    "seconds": round(done_s, 2),
                    "events_per_second": round(rows / done_s, 1),
                    "events_per_second_after_startup": round(rows / (done_s - startup), 1),
                    **_while_rows_arrive(samples),
                    "first_events": direct["events"],  # rate after startup, as below
                    "events_per_second_first_events": (
                        round(direct["events"] / (same_s - startup), 1) if same_s else None
                    ),
                }
                if not args.no_api:
                    figures["api"] = bench_api(
                        base, catalog, args.concurrency, args.load_seconds, tool
                    )
                if not args.no_e2e:
                    figures["end_to_end"] = bench_end_to_end(
                        bootstrap, base, topics["evidence"], catalog,
                        rate=args.e2e_rate, seconds=args.e2e_seconds,
                        review_threshold=settings.review_threshold,
                        extractor_process=args.server == "process",
                    )  # fmt: skip
                if not args.no_api and args.busy_events:
                    figures["api"].update(
                        bench_api_while_ingesting(
                            base,
                            bootstrap,
                            topics["evidence"],
                            database_url,
                            catalog,
                            events=args.busy_events,
                            first=len(events),
                            concurrency=args.concurrency,
                            seconds=args.load_seconds,
                            tool=tool,
                        )  # fmt: skip
                    )
    same = figures["kafka"]["events_per_second_first_events"]
    figures["ratio_kafka_vs_direct"] = (
        round(same / direct["events_per_second"], 2) if same else None
    )
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
        f"{k['events_per_second_after_startup']} events/s after startup; "
        f"{k['events_per_second_while_rows_arrive']} events/s from the first row seen "
        f"at {k['first_row_seconds']} s)"
    )
    print(
        f"  baseline, handle_evidence one at a time: {d['events_per_second']:,.1f} events/s "
        f"({d['events']} events in {d['seconds']} s{'' if d['complete'] else ', time budget hit'})"
    )
    for r in f["in_process"]:
        print(
            f"  in process, handle_raw_batch in batches of {r['batch']}: "
            f"{r['events_per_second_wall']:,.1f} events/s wall, "
            f"{r['events_per_second_cpu']:,.1f} per CPU second of this process"
        )
    print(
        f"  through Kafka, the same first {k['first_events']} events: "
        f"{k['events_per_second_first_events']} events/s; "
        f"Kafka / baseline: {f['ratio_kafka_vs_direct']}x"
    )
    if "end_to_end" in f:
        e = f["end_to_end"]
        print(
            f"\nEnd to end (extractor: {e['extractor']}), article produced -> its evidence "
            f"in /metrics: {e['articles']} "
            f"articles at {e['rate_sent']}/s ({e['evidence_counting']} counting evidence), "
            f"{e['seen']} seen: p50 {e['p50_ms']} ms, p95 {e['p95_ms']} ms, "
            f"p99 {e['p99_ms']} ms, max {e['max_ms']} ms"
        )
    if "api" not in f:
        return
    first = next(iter(f["api"].values()))
    server = ", ".join(f"{k} {v}" for k, v in f["server"].items())
    print(
        f"\nAPI under load: {first['concurrency']} clients from a second process "
        f"({first['tool']}), {first['seconds']} s per endpoint; tracker: {server}"
    )
    print("| endpoint | requests/s | vs /healthz | p50 ms | p95 ms | p99 ms | errors | stored |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in f["api"].items():
        print(
            f"| {name} | {r['requests_per_second']:,.1f} | {r.get('ratio_vs_healthz', '')} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} | "
            f"{r.get('events_stored_during_load', '')} |"
        )
    for name, r in f["api"].items():
        if "bytes_on_the_wire" in r:
            print(f"  {name}: {r['bytes_on_the_wire']:,} bytes, {r['content_encoding']}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=90.0, help="Kafka ingest, seconds")
    parser.add_argument(
        "--direct-budget", type=float, default=20.0, help="seconds for the baseline at most"
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--load-seconds", type=float, default=8.0, help="per endpoint")
    parser.add_argument("--load-tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--no-api", action="store_true")
    parser.add_argument(
        "--in-process",
        type=lambda v: [int(b) for b in v.split(",") if b],
        default=[500, 2000],
        help="batch sizes for the in-process rows (comma separated; empty: none)",
    )
    parser.add_argument(
        "--server",
        choices=("process", "thread"),
        default="process",
        help="the tracker (and the end-to-end extractor) in their own processes as "
        "deployed, or on threads of this process",
    )
    parser.add_argument(
        "--access-log",
        choices=("on", "off"),
        default="on",
        help="LUQIAO_HTTP_ACCESS_LOG of the tracker process (on: as deployed by default)",
    )
    parser.add_argument(
        "--busy-events",
        type=int,
        default=20_000,
        help="events produced before each 'while ingesting' load (0: no such rows)",
    )
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    parser.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end row")
    parser.add_argument("--e2e-rate", type=float, default=50.0, help="articles per second")
    parser.add_argument("--e2e-seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    configure_logging(level="WARNING")
    figures = run(args)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)
    return figures


if __name__ == "__main__":
    main()
