"""Extractor benchmark: articles per second, in process and through the real broker.

Run from the repository root:  .venv/bin/python -m bench.extractor_bench [--json]

1. In process: ``ArticleExtractor.evidence(article)`` over the full catalog on ~2 KB
   articles (bench/article_corpus.py), against the naive baseline of bench/naive_linker.py
   (every name and keyword of every commitment searched with ``in``), same corpus, same run.
2. Through Kafka: the articles are produced to a fresh articles topic first, then the
   extractor's FastStream app (``services.extractor.app.build_app``) is started and timed
   until its consumer group has committed every offset, i.e. until every article was
   handled and its evidence confirmed by the broker. Done for a few values of
   ``batch_max_records``, and once with the naive baseline as the app's matcher.

The issue's aim: >= 1,000 articles/s per process through Kafka on 2 KB articles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import threading
import time
import uuid
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from bench.article_corpus import build_corpus, message_bytes
from bench.broker_progress import produce_all, wait_for_group
from bench.naive_linker import NaiveExtractor
from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.events import ArticleFetched, EvidenceFound
from services.extractor.app import build_app
from services.extractor.handler import ExtractorHandler
from services.extractor.matching import ArticleExtractor
from services.extractor.settings import ExtractorSettings
from tests.infra.kafka_broker import running_kafka_broker
from tests.infra.kafka_topics import create_topics

AIM_ARTICLES_PER_SECOND = 1000


class NaiveHandler(ExtractorHandler):
    """The extractor service with the naive baseline as its matcher (bench only)."""

    def __init__(self, settings: ExtractorSettings, catalog: list[Commitment]) -> None:
        super().__init__(settings, catalog)
        self.naive = NaiveExtractor(catalog)

    def handle_article(self, article: ArticleFetched) -> list[EvidenceFound]:
        return self.naive.evidence(article)


class ExtractorOnThread:
    """The FastStream app on its own event loop and thread, as tests/extractor run it."""

    def __init__(self, settings: ExtractorSettings, handler: ExtractorHandler) -> None:
        broker = build_app(settings, handler).broker
        if broker is None:
            raise RuntimeError("build_app returned an app without a broker")
        self.broker = broker
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.broker.start(), self.loop).result(60)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.broker.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _rate(run: Any, articles: list[ArticleFetched], rounds: int) -> dict[str, float]:
    timings, found = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        found = sum(len(run(a)) for a in articles)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    return {
        "articles_per_second": round(len(articles) / median, 1),
        "ms_per_article": round(1000 * median / len(articles), 3),
        "evidence": found,
    }


def bench_in_process(catalog: list[Commitment], count: int, rounds: int) -> dict[str, Any]:
    articles = build_corpus(count)
    real = ArticleExtractor(catalog)
    naive = NaiveExtractor(catalog)
    for a in articles[:50]:  # warm-up: jieba's and the regexes' caches
        real.evidence(a)
        naive.evidence(a)
    figures: dict[str, Any] = {
        "articles": len(articles),
        "commitments": len(catalog),
        "median_text_bytes": statistics.median(len(a.text.encode()) for a in articles),
        "median_message_bytes": statistics.median(len(m) for m in message_bytes(articles)),
        "rounds": rounds,
        "extractor": _rate(real.evidence, articles, rounds),
        "naive_baseline": _rate(naive.evidence, articles, rounds),
        "naive_links_only": _rate(lambda a: naive.linker.links(a.text), articles, rounds),
    }
    figures["ratio_vs_naive"] = round(
        figures["extractor"]["articles_per_second"]
        / figures["naive_baseline"]["articles_per_second"],
        2,
    )
    return figures


def _published(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="luqiao-bench-count")
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def _kafka_run(
    bootstrap: str,
    articles_topic: str,
    count: int,
    catalog: list[Commitment],
    batch_max_records: int,
    naive: bool,
    timeout: float,
) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    topics = {
        "evidence": f"bench{run_id}.luqiao.evidence",
        "deadletter": f"bench{run_id}.luqiao.deadletter",
    }
    create_topics(bootstrap, topics.values())
    group = f"bench-extractor-{run_id}"
    settings = ExtractorSettings(
        kafka_bootstrap=bootstrap,
        articles_topic=articles_topic,
        evidence_topic=topics["evidence"],
        deadletter_topic=topics["deadletter"],
        extractor_group=group,
        batch_max_records=batch_max_records,
    )
    handler = NaiveHandler(settings, catalog) if naive else ExtractorHandler(settings, catalog)
    service = ExtractorOnThread(settings, handler)
    started = time.perf_counter()
    service.start()
    try:
        progress = wait_for_group(bootstrap, group, articles_topic, count, started, timeout)
    finally:
        service.stop()
    done = progress.done_at is not None
    return {
        "matcher": "naive_baseline" if naive else "extractor",
        "batch_max_records": batch_max_records,
        "completed": done,
        "seconds": round(progress.total_seconds, 2),
        "articles_per_second": round(count / progress.total_seconds, 1) if done else None,
        "steady_articles_per_second": (round(r, 1) if (r := progress.steady_rate(count)) else None),
        "seconds_to_first_commit": (
            round(progress.first_commit_at - started, 2) if progress.first_commit_at else None
        ),
        "evidence_published": _published(bootstrap, topics["evidence"]),
        "dead_letters": _published(bootstrap, topics["deadletter"]),
    }


def bench_kafka(
    catalog: list[Commitment], count: int, batch_sizes: list[int], timeout: float
) -> dict[str, Any]:
    articles = build_corpus(count)
    messages = [
        (a.article_id.encode(), m) for a, m in zip(articles, message_bytes(articles), strict=True)
    ]
    runs = []
    with running_kafka_broker() as bootstrap:
        articles_topic = f"bench{uuid.uuid4().hex[:8]}.luqiao.articles"
        create_topics(bootstrap, [articles_topic])
        produce_rate = produce_all(bootstrap, articles_topic, messages)
        for size in batch_sizes:
            runs.append(_kafka_run(bootstrap, articles_topic, count, catalog, size, False, timeout))
        runs.append(
            _kafka_run(bootstrap, articles_topic, count, catalog, batch_sizes[0], True, timeout)
        )
    best = max((r["articles_per_second"] or 0.0) for r in runs if r["matcher"] == "extractor")
    same_batch, naive_run = runs[0], runs[-1]  # both at batch_sizes[0]
    return {
        "articles": count,
        "partitions": 3,
        "produce_messages_per_second": round(produce_rate, 1),
        "runs": runs,
        "best_extractor_articles_per_second": best,
        "ratio_vs_naive_same_batch": (
            round(same_batch["articles_per_second"] / naive_run["articles_per_second"], 2)
            if same_batch["articles_per_second"] and naive_run["articles_per_second"]
            else None
        ),
        "aim_articles_per_second": AIM_ARTICLES_PER_SECOND,
        "aim_met": best >= AIM_ARTICLES_PER_SECOND,
    }


def _print(figures: dict[str, Any]) -> None:
    ip = figures["in_process"]
    print(
        f"in process: {ip['articles']} articles (median text {ip['median_text_bytes']:.0f} B, "
        f"message {ip['median_message_bytes']:.0f} B), {ip['commitments']} commitments, "
        f"median of {ip['rounds']} rounds"
    )
    for name in ("extractor", "naive_baseline", "naive_links_only"):
        row = ip[name]
        print(
            f"  {name:17} {row['articles_per_second']:>9,.1f} articles/s "
            f"({row['ms_per_article']} ms, {row['evidence']} evidence)"
        )
    print(f"  extractor / naive baseline: {ip['ratio_vs_naive']}x")
    if "kafka" not in figures:
        return
    k = figures["kafka"]
    print(
        f"\nthrough Kafka: {k['articles']} articles on {k['partitions']} partitions, "
        f"produced first at {k['produce_messages_per_second']:,.0f} msg/s"
    )
    print("| matcher | batch_max_records | articles/s (incl. join) | steady articles/s | "
          "s to first commit | evidence | dead letters |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for r in k["runs"]:
        print(
            f"| {r['matcher']} | {r['batch_max_records']} | {r['articles_per_second']} | "
            f"{r['steady_articles_per_second']} | {r['seconds_to_first_commit']} | "
            f"{r['evidence_published']} | {r['dead_letters']} |"
        )
    verdict = "met" if k["aim_met"] else "NOT met"
    print(
        f"extractor / naive baseline at the same batch size: {k['ratio_vs_naive_same_batch']}x; "
        f"best extractor run {k['best_extractor_articles_per_second']} articles/s: "
        f"aim of {k['aim_articles_per_second']}/s {verdict}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000, help="in-process corpus size")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kafka-articles", type=int, default=6000)
    parser.add_argument("--batch-sizes", default="500,100,2000", help="batch_max_records values")
    parser.add_argument("--timeout", type=float, default=60.0, help="per Kafka run, seconds")
    parser.add_argument("--no-kafka", action="store_true")
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    args = parser.parse_args(argv)
    # FastStream logs every batch at INFO on stdout; the figures must stay readable.
    logging.disable(logging.INFO)
    catalog = load_catalog()
    figures: dict[str, Any] = {"in_process": bench_in_process(catalog, args.articles, args.rounds)}
    if not args.no_kafka:
        sizes = [int(s) for s in args.batch_sizes.split(",") if s.strip()]
        figures["kafka"] = bench_kafka(catalog, args.kafka_articles, sizes, args.timeout)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)
    return figures


if __name__ == "__main__":
    main()
