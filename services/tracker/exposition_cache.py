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

A family given again as the very same object (`LedgerCollector` keeps a family whose
inputs did not change, such as the ~2,700 status lines after a batch that changed
only evidence counts) reuses its whole formatted block: no line is looked up.
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


class _Block:
    """One family's formatted text, with the lines it was made of (keyed by sample)."""

    def __init__(self, family: Metric, text: str, lines: dict[LineKey, str]) -> None:
        self.family = family
        self.text = text
        self.lines = lines


class ExpositionCache:
    def __init__(self) -> None:
        self._blocks: dict[str, _Block] = {}  # per family name, from the last rendering
        self._headers: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def text(self, families: Iterable[Metric]) -> bytes:
        with self._lock:
            previous = self._blocks
            blocks: dict[str, _Block] = {}
            for family in families:
                if family.type != "gauge":
                    raise ValueError(f"only gauge families are cached, not {family.type}")
                if family.name in blocks:
                    raise ValueError(f"family {family.name} given twice")
                kept = previous.get(family.name)
                if kept is None or kept.family is not family:
                    kept = self._block(family, kept.lines if kept is not None else {})
                blocks[family.name] = kept
            self._blocks = blocks
            return "".join(block.text for block in blocks.values()).encode()

    def _block(self, family: Metric, previous: dict[LineKey, str]) -> _Block:
        used: dict[LineKey, str] = {}
        parts = [self._header(family)]
        for sample in family.samples:
            key = _key(family, sample)
            line = previous.get(key) or used.get(key) or self._line(family, sample)
            used[key] = line
            parts.append(line)
        return _Block(family, "".join(parts), used)

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
