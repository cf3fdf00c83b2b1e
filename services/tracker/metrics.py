"""Per-commitment and per-section metrics, read from the database at scrape time.

A collector (rather than gauges set by handlers) keeps every replica and the
embedded mode truthful: the numbers are the ledger's, not one process's memory.

Labels and cardinality: `commitment_id` (one per catalog entry, 243 today), `report`
(one per plan year), `section` (~16), `status` (11, `status_rules.Status`). Per-commitment status
is one series per (commitment, status): ~2,700 series for 243 commitments.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from services.events import CHINA_TZ
from services.tracker.api.etag import etag_of
from services.tracker.exposition_cache import ExpositionCache
from services.tracker.gzip_parts import DeflatedTail, deflate_tail, gzip_member
from services.tracker.ledger.read_model import (
    CrawlHealth,
    EvidenceTally,
    crawl_health,
    current_status_values,
    evidence_tally_per_commitment,
    live_commitment_labels,
)
from services.tracker.ledger.version_watch import LedgerVersionWatch
from services.tracker.status_rules import Status

log = structlog.get_logger("tracker")


def _china_now() -> datetime:
    """Days to a deadline count in the district's calendar, whatever the host's zone."""
    return datetime.now(CHINA_TZ)


@dataclass(frozen=True)
class RenderedMetrics:
    """The ledger's families in the text format, with a validator for those bytes and
    their raw deflate stream (compressed once per ledger version, on the pool, for the
    scrapes that ask for gzip: see `ScrapeBodies`)."""

    text: bytes
    etag: str
    compressed: DeflatedTail


class LedgerCollector(Collector):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = _china_now,
        *,
        watch: LedgerVersionWatch | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.watch = watch or LedgerVersionWatch(sessions)  # exact unless given one
        self._version: tuple[object, ...] | None = None
        self._families: list[GaugeMetricFamily] = []
        self._rendered: RenderedMetrics | None = None
        self._exposition = ExpositionCache()
        self._kept_families: dict[str, tuple[object, GaugeMetricFamily]] = {}
        self._lock = threading.Lock()
        self._rendering = threading.Lock()

    def describe(self) -> list[Metric]:
        return []  # computed at scrape time; no registration-time query

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The families are rebuilt only when the ledger changed (or the day did):
        a few aggregate queries per scrape instead of reading every row."""
        yield from self._families_at((*self.watch.current(), self.clock().date()))

    def _families_at(self, version: tuple[object, ...]) -> list[GaugeMetricFamily]:
        with self._lock:
            if version != self._version:
                self._families = list(self._build())
                self._rendered = None
                self._version = version
            return self._families

    def exposition(self) -> bytes:
        """The text format of these families (blocking)."""
        return self._render((*self.watch.current(), self.clock().date())).text

    async def rendered(self) -> RenderedMetrics:
        """The text format and its ETag, formatted once per ledger version (formatting
        ~3,500 series is most of a scrape's cost); from memory, on the event loop,
        while the ledger is unchanged."""
        version = (*await self.watch.current_async(), self.clock().date())
        kept = self._rendered
        if kept is not None and version == self._version:
            return kept
        return await run_in_threadpool(self._render, version)

    def _render(self, version: tuple[object, ...]) -> RenderedMetrics:
        """Single-flight: the scrapes that missed the same new version wait for one
        rendering instead of each formatting the same ~3,500 lines on the pool."""
        with self._rendering:
            families = self._families_at(version)
            with self._lock:
                if self._rendered is not None and version == self._version:
                    return self._rendered
            text = self._exposition.text(families)
            rendered = RenderedMetrics(text, etag_of(text), deflate_tail(text))
            with self._lock:
                if version == self._version:
                    self._rendered = rendered
            return rendered

    def _build(self) -> Iterator[GaugeMetricFamily]:
        """The families from four queries; a family whose inputs are what they were at
        the last build is the same object again (`_kept`), so the text format reuses
        its block: after a batch that changed only evidence counts, the ~2,700 status
        lines are neither rebuilt nor formatted (measured: ~15 ms of a ~40 ms rebuild
        at 10,000 evidence, on every scrape after a batch)."""
        with self.sessions() as session:
            health = crawl_health(session)
            commitments = tuple(live_commitment_labels(session))
            current = current_status_values(session)
            tallies = evidence_tally_per_commitment(session)
        today = self.clock().date()
        status_of = {
            c.id: (row.status if (row := current.get(c.id)) else Status.NO_EVIDENCE.value)
            for c in commitments
        }
        progress_of = {
            cid: row.progress_ratio
            for cid, row in current.items()
            if row.progress_ratio is not None
        }
        yield self._kept(
            "status", (commitments, status_of), lambda: _status_family(commitments, status_of)
        )
        yield self._kept(
            "evidence", (commitments, tallies), lambda: _evidence_family(commitments, tallies)
        )
        yield self._kept(
            "last", (commitments, tallies), lambda: _last_evidence_family(commitments, tallies)
        )
        yield self._kept(
            "progress",
            (commitments, progress_of),
            lambda: _progress_family(commitments, progress_of),
        )
        yield self._kept("days", (commitments, today), lambda: _days_family(commitments, today))
        yield self._kept(
            "section", (commitments, status_of), lambda: _section_family(commitments, status_of)
        )
        yield from _crawl_families(health)

    def _kept(
        self, name: str, inputs: object, build: Callable[[], GaugeMetricFamily]
    ) -> GaugeMetricFamily:
        """The family built from `inputs` last time if they are equal, else a new one
        (called under `_lock`, from `_families_at`)."""
        kept = self._kept_families.get(name)
        if kept is not None and kept[0] == inputs:
            return kept[1]
        family = build()
        self._kept_families[name] = (inputs, family)
        return family


Labels = tuple[Any, ...]  # live_commitment_labels rows: id, report_id, section, deadline


def _status_family(commitments: Labels, status_of: dict[str, str]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "luqiao_commitment_status",
        "1 for the commitment's current status, else 0",
        labels=["commitment_id", "report", "status"],
    )
    for c in commitments:
        now_status = status_of[c.id]
        for s in Status:
            family.add_metric([c.id, c.report_id, s.value], 1.0 if s.value == now_status else 0.0)
    return family


def _per_commitment(
    name: str, documentation: str, commitments: Labels, value_of: Callable[[Any], float | None]
) -> GaugeMetricFamily:
    """A gauge with one sample per commitment (labels commitment_id, report); a commitment
    whose value is None has no sample."""
    family = GaugeMetricFamily(name, documentation, labels=["commitment_id", "report"])
    for c in commitments:
        value = value_of(c)
        if value is not None:
            family.add_metric([c.id, c.report_id], value)
    return family


def _evidence_family(commitments: Labels, tallies: dict[str, EvidenceTally]) -> GaugeMetricFamily:
    def counted(c: Any) -> float:
        tally = tallies.get(c.id)
        return float(tally.counted if tally else 0)

    return _per_commitment(
        "luqiao_commitment_evidence_count",
        "Evidence items that count (not superseded, not rejected)",
        commitments,
        counted,
    )


def _last_evidence_family(
    commitments: Labels, tallies: dict[str, EvidenceTally]
) -> GaugeMetricFamily:
    def newest(c: Any) -> float | None:
        tally = tallies.get(c.id)
        return tally.newest.timestamp() if tally is not None and tally.newest else None

    return _per_commitment(
        "luqiao_commitment_last_evidence_timestamp_seconds",
        "Publication time of the newest evidence",
        commitments,
        newest,
    )


def _progress_family(commitments: Labels, progress_of: dict[str, float]) -> GaugeMetricFamily:
    return _per_commitment(
        "luqiao_commitment_target_progress_ratio",
        "Reported progress against the target (0..1)",
        commitments,
        lambda c: progress_of.get(c.id),
    )


def _days_family(commitments: Labels, today: date) -> GaugeMetricFamily:
    return _per_commitment(
        "luqiao_commitment_days_to_deadline",
        "Days until the deadline (negative when passed)",
        commitments,
        lambda c: float((c.deadline - today).days),
    )


def _section_family(commitments: Labels, status_of: dict[str, str]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "luqiao_section_commitments",
        "Commitments per report, section and status",
        labels=["report", "section", "status"],
    )
    per_section: Counter[tuple[str, str, str]] = Counter()
    for c in commitments:
        top_section = c.section[0] if c.section else ""
        per_section[(c.report_id, top_section, status_of[c.id])] += 1
    for (report, sec, st), n in sorted(per_section.items()):
        family.add_metric([report, sec, st], float(n))
    return family


def _crawl_families(health: CrawlHealth) -> Iterator[GaugeMetricFamily]:
    crawl_success = GaugeMetricFamily(
        "luqiao_crawl_last_success_timestamp_seconds",
        "End of the newest crawl the crawler reported as successful (luqiao.crawls)",
    )
    crawl_report = GaugeMetricFamily(
        "luqiao_crawl_last_report_timestamp_seconds",
        "End of the newest crawl reported, successful or not",
    )
    crawl_ok = GaugeMetricFamily(
        "luqiao_crawl_last_ok", "1 when the newest crawl report says the poll succeeded"
    )
    if health.last_ok is not None:
        crawl_success.add_metric([], health.last_ok.finished_at.timestamp())
    if health.last is not None:
        crawl_report.add_metric([], health.last.finished_at.timestamp())
        crawl_ok.add_metric([], 1.0 if health.last.ok else 0.0)
    yield from (crawl_success, crawl_report, crawl_ok)


class ProcessExposition:
    """The default registry's text (process, pipeline and consumer-lag series: the
    part of /metrics that is this process's own), reused for `max_age` seconds.

    Formatting it costs ~0.3 ms (reading /proc among others) on every scrape, a third
    of a scrape's cost once the ledger's part is served from memory; Prometheus
    scrapes every 15 s, so a second's reuse changes nothing it sees, while a flood of
    scrapes no longer pays it each time. Used from the event loop only."""

    def __init__(self, max_age: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.clock = clock
        self._text = b""
        self._at: float | None = None

    def text(self) -> bytes:
        now = self.clock()
        if self._at is None or now - self._at >= self.max_age:
            self._text, self._at = generate_latest(REGISTRY), now
        return self._text


@dataclass(frozen=True)
class ScrapeBody:
    """One `/metrics` body as sent plainly and as gzip, each with its own ETag (a
    cache must not answer a plain request with the compressed bytes' validator)."""

    plain: bytes
    etag: str
    gzip: bytes
    gzip_etag: str


class ScrapeBodies:
    """The whole `/metrics` body (the process part, then the ledger's) and its ETag,
    joined once per pair of parts: both change at most once a second while the
    ledger is quiet, and joining copies ~310 KB and hashes the process part, which
    a flood of scrapes would otherwise pay every time. The gzip body is joined at the
    same time from the process part, compressed here (~3 KB), and the ledger's deflate
    stream kept with its rendering (`gzip_parts`): ~0.3 ms per pair, never per
    request. Used from the event loop only."""

    def __init__(self) -> None:
        self._last: tuple[bytes, RenderedMetrics, ScrapeBody] | None = None

    def joined(self, own: bytes, ledger: RenderedMetrics) -> ScrapeBody:
        last = self._last
        if last is not None and last[0] is own and last[1] is ledger:
            return last[2]
        etag = etag_of(own + ledger.etag.encode())
        body = ScrapeBody(
            plain=own + ledger.text,
            etag=etag,
            gzip=gzip_member(own, ledger.compressed),
            gzip_etag=etag[:-1] + '-gzip"',
        )
        self._last = (own, ledger, body)
        return body


class ConsumerLagCollector(Collector):
    """`luqiao_consumer_lag_messages{group,topic}`: messages in a topic not yet
    committed by a consumer group (end offsets minus committed offsets, summed over
    partitions), asked from Kafka at scrape time and kept `ttl_seconds` so a busy
    Prometheus does not hammer the broker. A scrape that cannot reach Kafka shows no
    lag series (the up/ready checks tell that story), never a made-up zero.

    The refresh runs on its own thread but holds the GIL while it works, so what it
    costs shows in every request served meanwhile: kafka-python is imported here, at
    start-up, not by the first scrape (measured in the API's p99 under load), and its
    admin client and consumer are kept between refreshes (each new pair connected,
    probed the broker's version and read the cluster's metadata again); a failed
    refresh closes them and the next one connects afresh."""

    def __init__(
        self, bootstrap: str, groups: dict[str, list[str]], ttl_seconds: float = 15.0
    ) -> None:
        import kafka  # noqa: F401 - imported before serving, not on the first scrape

        self.bootstrap = bootstrap
        self.groups = groups  # group -> topics it consumes
        self.ttl_seconds = ttl_seconds
        self._cached: tuple[float, list[tuple[str, str, float]]] | None = None
        self._refreshing = False
        self._lock = threading.Lock()
        self._clients: tuple[Any, Any] | None = None  # (admin, consumer), refresh thread only

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "luqiao_consumer_lag_messages",
            "Messages not yet consumed (committed) by the group, per topic",
            labels=["group", "topic"],
        )
        for group, topic, lag in self._lags():
            family.add_metric([group, topic], lag)
        yield family

    def _lags(self) -> list[tuple[str, str, float]]:
        """The last figures asked; a stale cache starts one refresh in the background,
        so a scrape never waits for Kafka."""
        with self._lock:
            now = time.monotonic()
            stale = self._cached is None or now - self._cached[0] >= self.ttl_seconds
            if stale and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="consumer-lag", daemon=True).start()
            return self._cached[1] if self._cached is not None else []

    def _refresh(self) -> None:
        try:
            lags = self._query()
        except Exception as exc:  # a scrape must not fail on Kafka
            log.warning("consumer lag unavailable", error=str(exc))
            self.close()
            lags = []
        with self._lock:
            self._cached = (time.monotonic(), lags)
            self._refreshing = False

    def _connected(self) -> tuple[Any, Any]:
        if self._clients is None:
            from kafka import KafkaAdminClient, KafkaConsumer

            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap, client_id="luqiao-tracker-lag",
                request_timeout_ms=3000,
            )  # fmt: skip
            try:
                consumer = KafkaConsumer(
                    bootstrap_servers=self.bootstrap, client_id="luqiao-tracker-lag",
                    enable_auto_commit=False,
                )  # fmt: skip
            except Exception:
                admin.close()
                raise
            self._clients = (admin, consumer)
        return self._clients

    def close(self) -> None:
        """Close the kept clients (a failed refresh; the next one connects again)."""
        clients, self._clients = self._clients, None
        for client in clients or ():
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing what already failed
                pass

    def _query(self) -> list[tuple[str, str, float]]:
        from kafka import TopicPartition

        admin, consumer = self._connected()
        out: list[tuple[str, str, float]] = []
        for group, topics in self.groups.items():
            committed = admin.list_group_offsets({group: None}).get(group, {})
            for topic in topics:
                partitions = consumer.partitions_for_topic(topic) or set()
                tps = [TopicPartition(topic, p) for p in sorted(partitions)]
                if not tps:
                    continue
                ends = consumer.end_offsets(tps)
                lag = 0
                for tp in tps:
                    meta = committed.get(tp)
                    done = meta.offset if meta is not None and meta.offset >= 0 else 0
                    lag += max(ends[tp] - done, 0)
                out.append((group, topic, float(lag)))
        return out


_LAG_COLLECTOR: ConsumerLagCollector | None = None


def register_consumer_lag(collector: ConsumerLagCollector) -> None:
    """Expose the lag on the default registry (the tracker's /metrics); a second
    tracker app in one process (tests) replaces the first one's collector."""
    global _LAG_COLLECTOR
    if _LAG_COLLECTOR is not None:
        REGISTRY.unregister(_LAG_COLLECTOR)
        _LAG_COLLECTOR.close()
    REGISTRY.register(collector)
    _LAG_COLLECTOR = collector
