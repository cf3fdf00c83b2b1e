"""The documented metric families (tests/deploy/data/metric_names.txt), read once.

Kept as data so that the deployment tests (dashboards, rules) and a live /metrics scrape test
check against one list: a metric renamed in code then fails both, not just one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

METRIC_NAMES_FILE = Path(__file__).parent / "data" / "metric_names.txt"

# Series a histogram family `name` shows up as in PromQL and in the exposition.
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


@dataclass(frozen=True)
class MetricFamily:
    name: str
    type: str
    exposed_by: tuple[str, ...]

    def series_names(self) -> set[str]:
        """Names a query may use for this family."""
        if self.type == "histogram":
            return {self.name + suffix for suffix in HISTOGRAM_SUFFIXES}
        return {self.name}


def documented_metrics(path: Path = METRIC_NAMES_FILE) -> list[MetricFamily]:
    families = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, kind, services = line.split()
        families.append(MetricFamily(name, kind, tuple(services.split(","))))
    return families


def documented_series_names() -> set[str]:
    return {series for family in documented_metrics() for series in family.series_names()}
