"""The memoised text format of the ledger's gauges (services/tracker/exposition_cache.py)
is byte for byte prometheus-client's own, on the first rendering and on a later one
that reuses lines, with label values that need escaping and values that need care."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.tracker.exposition_cache import ExpositionCache

AWKWARD = ["t25-gdp", '引号"与\\反斜杠', "换行\n之后", "", "路桥 › 城建"]
VALUES = [0.0, 1.0, -3.0, 0.25, 1e-7, 12345678901.0, math.inf, -math.inf]


class Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def reference(families: list[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Families(families))
    return generate_latest(registry)


def families(shift: int) -> list[Metric]:
    status = GaugeMetricFamily(
        "luqiao_commitment_status", "1 for the current status\\n, else 0",
        labels=["commitment_id", "report", "status"],
    )  # fmt: skip
    for i, cid in enumerate(AWKWARD):
        for j in range(len(VALUES)):
            status.add_metric([cid, f"luqiao-{2024 + i % 2}", f"s{j}"], VALUES[(j + shift) % 8])
    crawl = GaugeMetricFamily("luqiao_crawl_last_ok", "1 when the newest crawl succeeded")
    crawl.add_metric([], float(shift % 2))
    empty = GaugeMetricFamily("luqiao_commitment_target_progress_ratio", "no samples", labels=["a"])
    return [status, crawl, empty]


def test_the_text_is_prometheus_clients_own_first_and_after_changes() -> None:
    cache = ExpositionCache()
    for shift in (0, 0, 1, 3, 0):
        current = families(shift)
        assert cache.text(current) == reference(current)


def test_nan_is_formatted_as_prometheus_client_does() -> None:
    family = GaugeMetricFamily("luqiao_x", "nan", labels=["a"])
    family.add_metric(["b"], math.nan)
    cache = ExpositionCache()
    assert cache.text([family]) == reference([family]) == cache.text([family])


def test_other_family_types_are_refused() -> None:
    from prometheus_client.core import CounterMetricFamily

    with pytest.raises(ValueError, match="only gauge"):
        ExpositionCache().text([CounterMetricFamily("luqiao_c", "a counter", value=1)])


def test_a_family_given_again_reuses_its_block_and_a_new_one_is_formatted() -> None:
    cache = ExpositionCache()
    first = families(0)
    assert cache.text(first) == reference(first)
    status, _, empty = first
    crawl = GaugeMetricFamily("luqiao_crawl_last_ok", "1 when the newest crawl succeeded")
    crawl.add_metric([], 1.0)
    assert cache.text([status, crawl, empty]) == reference([status, crawl, empty])
    changed = families(3)  # new objects, other values: formatted, not reused
    assert cache.text(changed) == reference(changed)
    assert cache.text([changed[0], crawl, empty]) == reference([changed[0], crawl, empty])


def test_a_family_named_twice_is_refused() -> None:
    status = families(0)[0]
    with pytest.raises(ValueError, match="twice"):
        ExpositionCache().text([status, status])
