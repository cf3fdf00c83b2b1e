"""The Prometheus text format of the ledger's gauge families, formatted line by line
with a memory of the lines of the previous rendering.

prometheus-client formats each of the ~3,500 per-commitment samples again on every
call (~30 µs each: most of a rebuild of /metrics); after a batch of evidence most
lines are unchanged (the other commitments' statuses, counts, deadlines). Every line
is still prometheus-client's own output: a line not seen in the previous rendering
is formatted by `generate_latest` on that one sample, so the text is byte-identical
to `generate_latest` over the families (tests/tracker/test_exposition_cache.py).
Only gauge families are accepted (what `LedgerCollector` yields); the memory keeps
only the lines the last rendering used, so it does not grow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

LineKey = tuple[str, str, tuple[tuple[str, str], ...], float, object]


class _One(Collector):
    def __init__(self, family: Metric) -> None:
        self.family = family

    def collect(self) -> Iterator[Metric]:
        yield self.family


def _formatted(family: Metric) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_One(family))
    return generate_latest(registry).decode()


class ExpositionCache:
    def __init__(self) -> None:
        self._lines: dict[LineKey, str] = {}
        self._headers: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def text(self, families: Iterable[Metric]) -> bytes:
        with self._lock:
            previous = self._lines
            used: dict[LineKey, str] = {}
            parts: list[str] = []
            for family in families:
                if family.type != "gauge":
                    raise ValueError(f"only gauge families are cached, not {family.type}")
                parts.append(self._header(family))
                for sample in family.samples:
                    key = _key(family, sample)
                    line = previous.get(key) or used.get(key) or self._line(family, sample)
                    used[key] = line
                    parts.append(line)
            self._lines = used
            return "".join(parts).encode()

    def _header(self, family: Metric) -> str:
        key = (family.name, family.documentation)
        if key not in self._headers:
            empty = GaugeMetricFamily(family.name, family.documentation)
            self._headers[key] = _formatted(empty)
        return self._headers[key]

    def _line(self, family: Metric, sample: Sample) -> str:
        one = GaugeMetricFamily(family.name, family.documentation)
        one.samples.append(sample)
        return _formatted(one).removeprefix(self._header(family))


def _key(family: Metric, sample: Sample) -> LineKey:
    return (
        family.name,
        sample.name,
        tuple(sample.labels.items()),
        sample.value,
        sample.timestamp,
    )
