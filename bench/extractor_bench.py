"""Extractor benchmark: articles per second, in process and through the real broker.

Run from the repository root:  .venv/bin/python -m bench.extractor_bench [--json]

1. In process, on short news (the labelled articles as they are) and on ~2 KB articles
   (bench/article_corpus.py), every row starting from the message bytes:
   ``ArticleExtractor.evidence`` over the full catalog; the naive baseline of
   bench/naive_linker.py (every name and keyword of every commitment searched with
   ``in``); and the one-scan limit, the least any extractor must do (JSON decode plus one
   Aho-Corasick pass with the extractor's own automaton). The corpora repeat their
   articles, so the extractor is also timed "cold": its memo caches (clause readings,
   numbers) cleared before every article, as if no sentence had been seen before.
2. Start-up of ``luqiao-monitor extract`` (a new process reading no article), with the
   term cache warm and empty, and the whole command over 20,000 short articles.
3. The labelled-set figures of ``luqiao-monitor score-extractor`` (speed must not move them).
4. Through Kafka: the articles are produced to a fresh articles topic first; kafka-python
   consumes them all once (the client's own rate); then the extractor's FastStream app
   (``services.extractor.app.build_app``) is started and timed until its consumer group
   has committed every offset, i.e. until every article was handled and its evidence
   confirmed by the broker. Done for a few values of ``batch_max_records``, and once with
   the naive baseline as the app's matcher.

The issue's aims: in process >= 5x the naive scan (>= 0.3 of the one-scan limit);
start-up <= 1 s; >= 5,000 articles/s per process through Kafka on 2 KB articles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from bench.article_corpus import build_corpus, build_short_corpus, message_bytes, offline_lines
from bench.broker_progress import produce_all, wait_for_group
from bench.naive_linker import NaiveExtractor
from services.catalog import load_catalog, units
from services.catalog.model import Commitment
from services.events import ArticleFetched, EvidenceFound
from services.extractor import matching, native, stages
from services.extractor.app import build_app
from services.extractor.evaluation import evaluate_file
from services.extractor.handler import ExtractorHandler
from services.extractor.matching import ArticleExtractor
from services.extractor.settings import ExtractorSettings
from tests.infra.kafka_broker import running_kafka_broker
from tests.infra.kafka_topics import create_topics

AIM_ARTICLES_PER_SECOND = 5000
AIM_TIMES_NAIVE = 5.0
AIM_STARTUP_SECONDS = 1.0
FEW_ARTICLES = 100
ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "luqiao-monitor"
# Memo caches keyed by text: cleared before every article for the "cold" row.
TEXT_CACHES = tuple(
    f
    for f in (stages._read_clause, stages._verb_first, stages._clauses, units.to_number)
    if hasattr(f, "cache_clear")
)


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


def _rate(run: Callable[[bytes], int], messages: list[bytes], rounds: int) -> dict[str, float]:
    """CPU-time rate of `run` over the messages, median of `rounds`."""
    timings, found = [], 0
    for _ in range(rounds):
        started = time.process_time()
        found = sum(run(m) for m in messages)
        timings.append(time.process_time() - started)
    median = statistics.median(timings)
    return {
        "articles_per_second": round(len(messages) / median, 1),
        "us_per_article": round(1e6 * median / len(messages), 1),
        "evidence": found,
    }


def _cold(extractor: ArticleExtractor) -> Callable[[bytes], int]:
    def run(message: bytes) -> int:
        for cache in TEXT_CACHES:
            cache.cache_clear()
        return len(extractor.evidence(ArticleFetched.model_validate_json(message)))

    return run


def bench_in_process_corpus(
    name: str, articles: list[ArticleFetched], extractor: ArticleExtractor, naive: NaiveExtractor,
    rounds: int,
) -> dict[str, Any]:  # fmt: skip
    messages = message_bytes(articles)
    automaton = extractor.automaton

    def one_scan(message: bytes) -> int:
        data = json.loads(message)
        text = f"{data['title']}\n{data['text']}"
        return sum(1 for _ in automaton.find_matches_as_indexes(text, overlapping=True))

    def real(message: bytes) -> int:
        return len(extractor.evidence(ArticleFetched.model_validate_json(message)))

    def baseline(message: bytes) -> int:
        return len(naive.evidence(ArticleFetched.model_validate_json(message)))

    def links_only(message: bytes) -> int:
        article = ArticleFetched.model_validate_json(message)
        return len(naive.linker.links(f"{article.title}\n{article.text}"))

    for m in messages[:50]:  # warm-up
        real(m)
        baseline(m)
    rows = {
        "one_scan_limit": _rate(one_scan, messages, rounds),
        "extractor": _rate(real, messages, rounds),
        "extractor_cold": _rate(_cold(extractor), messages, 1),
        "naive_baseline": _rate(baseline, messages, rounds),
        "naive_links_only": _rate(links_only, messages, rounds),
    }
    rate = {k: v["articles_per_second"] for k, v in rows.items()}
    return {
        "corpus": name,
        "articles": len(articles),
        "median_text_bytes": statistics.median(len(a.text.encode()) for a in articles),
        "median_message_bytes": statistics.median(len(m) for m in messages),
        "rounds": rounds,
        **rows,
        "extractor_vs_naive": round(rate["extractor"] / rate["naive_baseline"], 2),
        "extractor_cold_vs_naive": round(rate["extractor_cold"] / rate["naive_baseline"], 2),
        "extractor_of_one_scan_limit": round(rate["extractor"] / rate["one_scan_limit"], 3),
        "extractor_cold_of_one_scan_limit": round(
            rate["extractor_cold"] / rate["one_scan_limit"], 3
        ),
    }


def bench_in_process(catalog: list[Commitment], count: int, rounds: int) -> dict[str, Any]:
    extractor = ArticleExtractor(catalog)
    naive = NaiveExtractor(catalog)
    return {
        "commitments": len(catalog),
        # The rule modules as mypyc compiled them (services/extractor/native.py), or source.
        "rules_compiled": native.is_compiled(matching),
        "corpora": [
            bench_in_process_corpus("short news", build_short_corpus(count), extractor, naive, rounds),
            bench_in_process_corpus("2 KB", build_corpus(count), extractor, naive, rounds),
        ],
    }  # fmt: skip


def _run(argv: list[str], env: dict[str, str], stdin: Path | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process. CPU time is
    what the machine's other load disturbs least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as fh:
        subprocess.run(argv, stdin=fh, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=env, check=True)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _median_run(
    argv: list[str], env: dict[str, str], runs: int, stdin: Path | None = None
) -> tuple[float, float]:
    timings = [_run(argv, env, stdin) for _ in range(runs)]
    return statistics.median(w for w, _ in timings), statistics.median(c for _, c in timings)


def bench_processes(whole_articles: int, runs: int = 3) -> dict[str, Any]:
    """Start-up and the whole `luqiao-monitor extract` command, as a user runs it."""
    with tempfile.TemporaryDirectory(prefix="luqiao-bench-") as tmp:
        cache = Path(tmp) / "cache"
        env = {**os.environ, "LUQIAO_EXTRACTOR_CACHE_DIR": str(cache)}
        python, _ = _run([sys.executable, "-c", "pass"], env)
        empty = [str(CLI), "extract", "-"]
        cold, cold_cpu = _run(empty, env)  # builds and writes the term cache
        warm, warm_cpu = _median_run(empty, env, runs)
        corpus = Path(tmp) / "short.jsonl"
        corpus.write_text(
            "\n".join(offline_lines(build_short_corpus(whole_articles))) + "\n", encoding="utf-8"
        )
        whole, whole_cpu = _run(empty, env, stdin=corpus)
        # A few articles: start-up plus what the first ones load lazily (jieba's
        # dictionary for task lists, cn2an for Chinese numerals).
        few = Path(tmp) / "few.jsonl"
        few.write_text(
            "\n".join(offline_lines(build_short_corpus(FEW_ARTICLES))) + "\n", encoding="utf-8"
        )
        first, first_cpu = _median_run(empty, env, runs, stdin=few)
    return {
        "first_articles": FEW_ARTICLES,
        "first_articles_seconds": round(first, 3),
        "first_articles_cpu_seconds": round(first_cpu, 3),
        "python_bare_seconds": round(python, 3),
        "startup_empty_cache_seconds": round(cold, 3),
        "startup_empty_cache_cpu_seconds": round(cold_cpu, 3),
        "startup_warm_cache_seconds": round(warm, 3),
        "startup_warm_cache_cpu_seconds": round(warm_cpu, 3),
        "whole_command_articles": whole_articles,
        "whole_command_seconds": round(whole, 2),
        "whole_command_cpu_seconds": round(whole_cpu, 2),
        "whole_command_articles_per_second": round(whole_articles / whole, 1),
        "whole_command_articles_per_cpu_second": round(whole_articles / whole_cpu, 1),
    }


def labelled_figures() -> str:
    """`luqiao-monitor score-extractor --split dev`'s table: the quality the speed work must
    not move. Dev only: the held-out sets are scored by their own command, so a speed run
    never shows them to whoever is tuning the rules."""
    return evaluate_file(
        ROOT / "tests" / "data" / "labelled" / "articles.jsonl", split="dev"
    ).render(show_errors=False)


def kafka_python_consume_rate(bootstrap: str, topic: str, count: int) -> float:
    """kafka-python alone reading every message of the topic: the client's ceiling."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="luqiao-bench-consume",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 << 20,
    )
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        started, seen = time.perf_counter(), 0
        while seen < count:
            for records in consumer.poll(timeout_ms=1000, max_records=2000).values():
                seen += len(records)
        return count / (time.perf_counter() - started)
    finally:
        consumer.close()


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
        consume_rate = kafka_python_consume_rate(bootstrap, articles_topic, count)
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
        "kafka_python_consume_messages_per_second": round(consume_rate, 1),
        "best_of_kafka_python_rate": round(best / consume_rate, 3),
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
    rules = "compiled with mypyc" if ip["rules_compiled"] else "pure Python"
    print(
        f"in process ({ip['commitments']} commitments, rules {rules}), CPU time, "
        "from the message bytes:"
    )
    for c in ip["corpora"]:
        print(
            f"- {c['corpus']}: {c['articles']} articles (median text {c['median_text_bytes']:.0f} B, "
            f"message {c['median_message_bytes']:.0f} B), median of {c['rounds']} rounds"
        )
        for name in (
            "one_scan_limit", "extractor", "extractor_cold", "naive_baseline", "naive_links_only"
        ):  # fmt: skip
            row = c[name]
            print(
                f"    {name:17} {row['articles_per_second']:>9,.1f} articles/s "
                f"({row['us_per_article']} us, {row['evidence']} evidence)"
            )
        print(
            f"    extractor / naive: {c['extractor_vs_naive']}x (cold {c['extractor_cold_vs_naive']}x,"
            f" aim {AIM_TIMES_NAIVE}x); of the one-scan limit: {c['extractor_of_one_scan_limit']}"
            f" (cold {c['extractor_cold_of_one_scan_limit']}, aim 0.3)"
        )
    if "processes" in figures:
        pr = figures["processes"]
        print(
            f"\nstart-up of `luqiao-monitor extract` (no article), wall / CPU: "
            f"{pr['startup_warm_cache_seconds']} / {pr['startup_warm_cache_cpu_seconds']} s with "
            f"the term cache, {pr['startup_empty_cache_seconds']} / "
            f"{pr['startup_empty_cache_cpu_seconds']} s building it "
            f"(bare Python {pr['python_bare_seconds']} s; aim {AIM_STARTUP_SECONDS} s)"
        )
        print(
            f"`luqiao-monitor extract` over the first {pr['first_articles']} short articles: "
            f"{pr['first_articles_seconds']} / {pr['first_articles_cpu_seconds']} s "
            f"(start-up and the lazily loaded jieba and cn2an)"
        )
        print(
            f"whole `luqiao-monitor extract` over {pr['whole_command_articles']:,} short articles: "
            f"{pr['whole_command_seconds']} / {pr['whole_command_cpu_seconds']} s, "
            f"{pr['whole_command_articles_per_second']:,.0f} articles/s "
            f"({pr['whole_command_articles_per_cpu_second']:,.0f} per CPU second)"
        )
    if "labelled" in figures:
        print("\nlabelled set, dev split (`luqiao-monitor score-extractor --split dev`):")
        print(figures["labelled"])
    if "kafka" not in figures:
        return
    k = figures["kafka"]
    print(
        f"\nthrough Kafka: {k['articles']} articles on {k['partitions']} partitions, "
        f"produced first at {k['produce_messages_per_second']:,.0f} msg/s; kafka-python alone "
        f"consumes them at {k['kafka_python_consume_messages_per_second']:,.0f} msg/s"
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
        f"best extractor run {k['best_extractor_articles_per_second']} articles/s "
        f"({k['best_of_kafka_python_rate']:.0%} of kafka-python's own consume rate): "
        f"aim of {k['aim_articles_per_second']}/s {verdict}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000, help="in-process corpus size")
    parser.add_argument("--whole-articles", type=int, default=20000, help="for the whole command")
    parser.add_argument("--no-processes", action="store_true", help="skip start-up and CLI runs")
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
    if not args.no_processes:
        figures["processes"] = bench_processes(args.whole_articles)
    figures["labelled"] = labelled_figures()
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
