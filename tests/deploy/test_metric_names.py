"""Dashboards and alert rules read only metrics the services expose (tests/deploy/data/
metric_names.txt), and every exposed metric is watched by a dashboard or a rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest

from tests.deploy.conftest import GRAFANA_DIR, PROMETHEUS_DIR
from tests.deploy.documented_metrics import documented_metrics, documented_series_names
from tests.deploy.grafana_dashboards import (
    load_dashboards,
    panel_queries,
    substitute_variables,
    variable_queries,
)
from tests.deploy.promql_names import label_values_selector, metric_names
from tests.deploy.yaml_files import load_yaml

CASES = Path(__file__).parent / "data" / "promql_metric_names.tsv"
# Series Prometheus makes itself: scrape health and the alert state.
PROMETHEUS_SERIES = {"up", "ALERTS"}


def _cases() -> list[tuple[str, set[str]]]:
    rows = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            expr, names = line.split("\t")
            rows.append((expr, set(names.split())))
    return rows


def _rules() -> list[dict[str, str]]:
    return [
        rule
        for path in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
    ]


def _recorded_names() -> set[str]:
    return {rule["record"] for rule in _rules() if "record" in rule}


def _dashboard_reads() -> dict[str, set[str]]:
    """Where (dashboard/panel) -> metric names read."""
    reads: dict[str, set[str]] = {}
    for file_name, dashboard in load_dashboards(GRAFANA_DIR / "dashboards").items():
        for query in panel_queries(file_name, dashboard):
            where = f"{file_name}: {query.panel}/{query.ref_id}"
            reads[where] = metric_names(substitute_variables(query.expr))
        for name, variable_query in variable_queries(dashboard):
            selector = label_values_selector(variable_query) or ""
            reads[f"{file_name}: ${name}"] = metric_names(substitute_variables(selector))
    return reads


def _rule_reads() -> dict[str, set[str]]:
    return {rule.get("record") or rule["alert"]: metric_names(rule["expr"]) for rule in _rules()}


@pytest.mark.parametrize(("expr", "expected"), _cases())
def test_metric_names_of_an_expression(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected


def test_label_values_selector() -> None:
    assert label_values_selector('label_values(m{a=~"$x"}, section)') == 'm{a=~"$x"}'
    assert label_values_selector("label_values(m, report)") == "m"
    assert label_values_selector("query_result(up)") is None


def test_dashboards_read_only_documented_metrics() -> None:
    allowed = documented_series_names() | _recorded_names() | PROMETHEUS_SERIES
    for where, names in _dashboard_reads().items():
        assert names, f"{where}: reads no metric"
        assert names <= allowed, f"{where}: undocumented {sorted(names - allowed)}"


def test_rules_read_only_documented_metrics() -> None:
    allowed = documented_series_names() | _recorded_names() | PROMETHEUS_SERIES
    for where, names in _rule_reads().items():
        assert names, f"{where}: reads no metric"
        assert names <= allowed, f"{where}: undocumented {sorted(names - allowed)}"


def test_every_documented_metric_is_watched() -> None:
    read = set().union(*_dashboard_reads().values(), *_rule_reads().values())
    for family in documented_metrics():
        assert family.series_names() & read, f"{family.name} is on no dashboard and in no rule"


def test_recording_rule_names_follow_the_convention() -> None:
    """level:metric:operations, so recorded series never collide with exposed ones."""
    for name in _recorded_names():
        assert re.fullmatch(r"luqiao:[a-z_]+:[a-z0-9_]+", name), name


def test_module_level_metrics_are_documented_with_their_type() -> None:
    """The counters and histograms the extractor, tracker and crawler register at import
    (the tracker's ledger gauges are computed per scrape and need a database: the live
    /metrics test covers those)."""
    import services.crawler.metrics  # registers the crawler's counters
    import services.pipeline_metrics  # noqa: F401  (registers the consumers' metrics)

    exposition = generate_latest(REGISTRY).decode()
    exposed = dict(re.findall(r"^# TYPE (luqiao_\S+) (\S+)$", exposition, re.MULTILINE))
    documented = {f.name: f.type for f in documented_metrics()}
    for name, kind in exposed.items():
        if name.endswith("_created"):
            continue  # prometheus_client's creation-time companion series
        assert documented.get(name) == kind, f"{name} ({kind}) is not documented as such"
    for family in documented_metrics():
        if "tracker-kafka" in family.exposed_by:
            continue  # registered by the deployed tracker at start (test_crawl_reports)
        if "tracker" not in family.exposed_by or family.type != "gauge":
            assert exposed.get(family.name) == family.type, f"{family.name} not registered"
