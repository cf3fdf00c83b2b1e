"""End to end: an article produced to luqiao.articles → its evidence in the tracker's
/metrics, at a steady rate (issue 17: p99 < 1 s at 50 articles/s).

The real apps, in this process: the extractor's FastStream app on its own thread
(`extractor_bench.ExtractorOnThread`) and the tracker already serving (the caller's
uvicorn thread, consuming the evidence topic the extractor publishes to). Articles
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
from typing import Any

import httpx
from kafka import KafkaProducer

from bench.article_corpus import build_short_corpus
from bench.extractor_bench import ExtractorOnThread
from services.catalog.model import Commitment
from services.events import ArticleFetched
from services.extractor.handler import ExtractorHandler
from services.extractor.settings import ExtractorSettings
from tests.infra.kafka_topics import create_topics

SCRAPE_SECONDS = 0.05
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


def bench_end_to_end(
    bootstrap: str,
    base: str,
    evidence_topic: str,
    catalog: list[Commitment],
    *,
    rate: float,
    seconds: float,
    review_threshold: float,
    timeout: float = 60.0,
) -> dict[str, Any]:
    articles_topic = f"bench{uuid.uuid4().hex[:8]}.luqiao.articles"
    create_topics(bootstrap, [articles_topic])
    settings = ExtractorSettings(
        kafka_bootstrap=bootstrap,
        articles_topic=articles_topic,
        evidence_topic=evidence_topic,
        extractor_group=f"bench-e2e-{uuid.uuid4().hex[:8]}",
    )
    handler = ExtractorHandler(settings, catalog)
    chosen = _counting_articles(handler, max(1, round(rate * seconds)), review_threshold)
    expected: list[int] = []
    for _, counting in chosen:
        expected.append((expected[-1] if expected else 0) + counting)
    app = ExtractorOnThread(settings, handler)
    app.start()
    client = httpx.Client()
    samples: list[tuple[float, int]] = []
    base_count = evidence_in_metrics(client, base)
    done = threading.Event()

    def watch() -> None:
        deadline = time.perf_counter() + seconds + timeout
        while time.perf_counter() < deadline:
            seen = evidence_in_metrics(client, base) - base_count
            samples.append((time.perf_counter(), seen))
            if seen >= expected[-1]:
                break
            time.sleep(SCRAPE_SECONDS)
        done.set()

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=0)
    watcher = threading.Thread(target=watch, daemon=True)
    sent_at: list[float] = []
    try:
        watcher.start()
        started = time.perf_counter()
        for i, (article, _) in enumerate(chosen):
            pause = started + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent_at.append(time.perf_counter())
            producer.send(
                articles_topic,
                key=article.article_id.encode(),
                value=article.model_dump_json().encode(),
            )
        producer.flush(30)
        send_seconds = time.perf_counter() - started
        done.wait(seconds + timeout)
    finally:
        producer.close()
        app.stop()
        client.close()
    latencies = []
    for sent, need in zip(sent_at, expected, strict=True):
        seen_at = next((t for t, n in samples if n >= need), None)
        if seen_at is not None:
            latencies.append(seen_at - sent)
    return {
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
    }
