"""End to end: an article produced to luqiao.articles → its evidence in the tracker's
/metrics, at a steady rate (issue 17: p99 < 1 s at 50 articles/s).

The real apps: the tracker already serving (consuming the evidence topic the
extractor publishes to), in its own process as deployed or on the caller's uvicorn
thread, and the extractor, as deployed in its own process (`luqiao-monitor serve
extractor`) or its FastStream app on a thread of this process
(`extractor_bench.ExtractorOnThread`). `WARM_UP_SECONDS` of articles go through first
and the clock starts once their evidence shows, so no article waits for a consumer
group to form or a service's first batches (a deployed pipeline is already running
when an article arrives). Articles
are the labelled short news (`article_corpus.build_short_corpus`), each with its own
url, kept only when the extractor finds evidence on them that counts (confidence at
or above the review threshold), so each one moves the ledger's series.

Latency of article i: from just before it is sent to the first scrape of /metrics
(every `SCRAPE_SECONDS`) whose sum of ``luqiao_commitment_evidence_count`` covers
articles 0..i. That is an upper bound (an article counts as seen only once every
earlier one is), and it includes the extractor, both Kafka hops, the tracker's batch
and the read model's rebuild of the ledger's series (rendered with
``luqiao_commitment_status`` in the same pass).
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from kafka import KafkaProducer

from bench.article_corpus import build_short_corpus
from bench.extractor_bench import ExtractorOnThread
from bench.service_processes import extractor_process
from services.catalog.model import Commitment
from services.events import ArticleFetched
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from tests.infra.kafka_topics import create_topics

SCRAPE_SECONDS = 0.05
# Articles sent at the rate before the clock starts, and waited for: the services are
# then past their first batches (lazily built parts, first queries), as a deployed
# pipeline is when an article arrives.
WARM_UP_SECONDS = 2.0
SERIES = "luqiao_commitment_evidence_count{"


def evidence_in_metrics(client: httpx.Client, base: str) -> int:
    """The sum of the ledger's evidence counts, as a scrape shows it."""
    text = client.get(base + "/metrics", timeout=10).text
    return int(
        sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(SERIES))
    )


def _counting_articles(
    handler: ExtractorHandler, count: int, threshold: float
) -> list[tuple[ArticleFetched, int]]:
    """`count` articles with evidence that counts, and how much (this also warms the
    extractor's lazily loaded parts, as a running service would have)."""
    chosen: list[tuple[ArticleFetched, int]] = []
    pool = build_short_corpus(count * 4)
    for article in pool:
        counting = sum(ev.confidence >= threshold for ev in handler.handle_article(article))
        if counting:
            chosen.append((article, counting))
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"only {len(chosen)} of {len(pool)} articles have counting evidence")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def running_extractor(
    settings: ExtractorSettings, handler: ExtractorHandler, *, own_process: bool
) -> Iterator[None]:
    """The extractor consuming `settings.articles_topic`: `serve extractor` configured
    through the environment, or the app on a thread of this process."""
    if own_process:
        env = {
            "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "LUQIAO_ARTICLES_TOPIC": settings.articles_topic,
            "LUQIAO_EVIDENCE_TOPIC": settings.evidence_topic,
            "LUQIAO_DEADLETTER_TOPIC": settings.deadletter_topic,
            "LUQIAO_EXTRACTOR_GROUP": settings.extractor_group,
        }
        with extractor_process(env):
            yield
        return
    app = ExtractorOnThread(settings, handler)
    app.start()
    try:
        yield
    finally:
        app.stop()


def _send(producer: KafkaProducer, topic: str, article: ArticleFetched) -> None:
    producer.send(topic, key=article.article_id.encode(), value=article.model_dump_json().encode())


def bench_end_to_end(
    bootstrap: str,
    base: str,
    evidence_topic: str,
    catalog: list[Commitment],
    *,
    rate: float,
    seconds: float,
    review_threshold: float,
    extractor_process: bool = True,
    timeout: float = 60.0,
) -> dict[str, Any]:
    prefix = f"bench{uuid.uuid4().hex[:8]}.luqiao"
    articles_topic, deadletter_topic = f"{prefix}.articles", f"{prefix}.deadletter"
    create_topics(bootstrap, [articles_topic, deadletter_topic])
    settings = ExtractorSettings(
        kafka_bootstrap=bootstrap,
        articles_topic=articles_topic,
        evidence_topic=evidence_topic,
        deadletter_topic=deadletter_topic,
        extractor_group=f"bench-e2e-{uuid.uuid4().hex[:8]}",
    )
    handler = ExtractorHandler(settings, catalog)
    warm_ups = max(1, round(rate * WARM_UP_SECONDS))
    pool = _counting_articles(handler, warm_ups + max(1, round(rate * seconds)), review_threshold)
    warm_up, chosen = pool[:warm_ups], pool[warm_ups:]
    expected: list[int] = []
    for _, counting in chosen:
        expected.append((expected[-1] if expected else 0) + counting)
    client = httpx.Client()
    samples: list[tuple[float, int]] = []
    done = threading.Event()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=0)
    sent_at: list[float] = []
    try:
        with running_extractor(settings, handler, own_process=extractor_process):
            base_count = evidence_in_metrics(client, base) + sum(n for _, n in warm_up)
            for article, _ in warm_up:
                _send(producer, articles_topic, article)
                time.sleep(1 / rate)
            producer.flush(30)
            deadline = time.perf_counter() + timeout
            while evidence_in_metrics(client, base) < base_count:
                if time.perf_counter() > deadline:
                    raise RuntimeError("the warm-up article never reached /metrics")
                time.sleep(SCRAPE_SECONDS)

            def watch() -> None:
                deadline = time.perf_counter() + seconds + timeout
                while time.perf_counter() < deadline:
                    seen = evidence_in_metrics(client, base) - base_count
                    samples.append((time.perf_counter(), seen))
                    if seen >= expected[-1]:
                        break
                    time.sleep(SCRAPE_SECONDS)
                done.set()

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            started = time.perf_counter()
            for i, (article, _) in enumerate(chosen):
                pause = started + i / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                sent_at.append(time.perf_counter())
                _send(producer, articles_topic, article)
            producer.flush(30)
            send_seconds = time.perf_counter() - started
            done.wait(seconds + timeout)
    finally:
        producer.close()
        client.close()
    latencies = []
    per_second: dict[int, list[float]] = {}
    for sent, need in zip(sent_at, expected, strict=True):
        seen_at = next((t for t, n in samples if n >= need), None)
        if seen_at is not None:
            latencies.append(seen_at - sent)
            per_second.setdefault(int(sent - sent_at[0]), []).append(seen_at - sent)
    return {
        "extractor": "own process" if extractor_process else "thread of the bench",
        "articles": len(chosen),
        "evidence_counting": expected[-1],
        "rate_asked": rate,
        "rate_sent": round(len(chosen) / send_seconds, 1),
        "seen": len(latencies),
        "scrapes": len(samples),
        "p50_ms": round(1000 * statistics.median(latencies)) if latencies else None,
        "p95_ms": round(1000 * _percentile(latencies, 0.95)) if latencies else None,
        "p99_ms": round(1000 * _percentile(latencies, 0.99)) if latencies else None,
        "max_ms": round(1000 * max(latencies)) if latencies else None,
        # Where in the run the slow articles were: the worst latency of each second sent.
        "max_ms_per_second_sent": [round(1000 * max(per_second[s])) for s in sorted(per_second)],
    }
