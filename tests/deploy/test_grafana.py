"""Grafana provisioning and dashboards: loadable, wired to the provisioned Prometheus
datasource, every query valid PromQL (by promtool), and mounted where the provider looks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_file import ComposeFile
from tests.deploy.conftest import GRAFANA_DIR
from tests.deploy.grafana_dashboards import (
    is_row,
    iter_panels,
    load_dashboards,
    panel_queries,
    substitute_variables,
    variable_queries,
)
from tests.deploy.promql_names import label_values_selector
from tests.deploy.promtool_expressions import check_expressions
from tests.deploy.system_tools import require_tool
from tests.deploy.yaml_files import load_yaml

DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"
DATASOURCES = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA_DIR / "provisioning" / "dashboards" / "luqiao.yml"
EXPECTED_DASHBOARDS = {"luqiao-commitments.json", "luqiao-commitment.json", "luqiao-pipeline.json"}

DASHBOARDS = load_dashboards(DASHBOARDS_DIR)


def _datasource() -> dict[str, Any]:
    (source,) = load_yaml(DATASOURCES)["datasources"]
    return source


@pytest.fixture(scope="module")
def promtool() -> str:
    return require_tool("promtool", "prometheus")


def test_the_dashboards_are_there() -> None:
    assert set(DASHBOARDS) == EXPECTED_DASHBOARDS


@pytest.mark.parametrize("file_name", sorted(EXPECTED_DASHBOARDS))
def test_dashboard_has_identity_and_panels(file_name: str) -> None:
    dashboard = DASHBOARDS[file_name]
    assert re.fullmatch(r"[a-z0-9-]{1,40}", dashboard["uid"])
    assert dashboard["title"]
    panels = list(iter_panels(dashboard))
    assert panels
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for panel in panels:
        assert panel.get("title"), panel
        assert {"x", "y", "w", "h"} <= set(panel.get("gridPos", {})), panel["title"]


def test_dashboard_uids_and_titles_are_unique() -> None:
    assert len({d["uid"] for d in DASHBOARDS.values()}) == len(DASHBOARDS)
    assert len({d["title"] for d in DASHBOARDS.values()}) == len(DASHBOARDS)


@pytest.mark.parametrize("file_name", sorted(EXPECTED_DASHBOARDS))
def test_every_panel_queries_the_provisioned_datasource(file_name: str) -> None:
    source = _datasource()
    for panel in iter_panels(DASHBOARDS[file_name]):
        if is_row(panel):
            continue
        title = panel["title"]
        assert panel.get("datasource") == {"type": source["type"], "uid": source["uid"]}, title
        targets = panel.get("targets") or []
        assert targets, f"{title}: no targets"
        ref_ids = [target.get("refId") for target in targets]
        assert all(ref_ids) and len(set(ref_ids)) == len(ref_ids), title
        for target in targets:
            assert target.get("expr", "").strip(), f"{title}/{target['refId']}: empty query"
            assert target.get("datasource", panel["datasource"]) == panel["datasource"], title


@pytest.mark.parametrize("file_name", sorted(EXPECTED_DASHBOARDS))
def test_variables_query_the_provisioned_datasource_and_are_used(file_name: str) -> None:
    dashboard = DASHBOARDS[file_name]
    exprs = " ".join(q.expr for q in panel_queries(file_name, dashboard))
    for variable in dashboard.get("templating", {}).get("list", []):
        assert variable["datasource"]["uid"] == _datasource()["uid"]
        assert f"${variable['name']}" in exprs, f"variable {variable['name']} is unused"


def _dashboard_expressions() -> dict[str, str]:
    """Rule name -> PromQL, for every panel query and every variable's series selector."""
    expressions: dict[str, str] = {}
    for file_name, dashboard in DASHBOARDS.items():
        stem = re.sub(r"\W", "_", Path(file_name).stem)
        for n, query in enumerate(panel_queries(file_name, dashboard)):
            expressions[f"{stem}:panel{n}_{query.ref_id}"] = substitute_variables(query.expr)
        for name, variable_query in variable_queries(dashboard):
            selector = label_values_selector(variable_query)
            assert selector is not None, (
                f"{file_name} variable {name}: unknown query {variable_query!r}"
            )
            expressions[f"{stem}:variable_{name}"] = substitute_variables(selector)
    return expressions


def test_every_dashboard_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    expressions = _dashboard_expressions()
    assert len(expressions) >= 15
    report = check_expressions(promtool, expressions, tmp_path)
    assert report is None, report


def test_the_promql_check_rejects_a_broken_query(promtool: str, tmp_path: Path) -> None:
    """Guards the check above: a generated file that promtool silently ignored would pass."""
    report = check_expressions(
        promtool,
        {"ok:query": "sum(up)", "broken:query": 'sum by (le) (rate(x_bucket{a="b"}[5m])'},
        tmp_path,
    )
    assert report is not None and "broken:query" in report


def test_provider_loads_the_directory_compose_mounts(compose: ComposeFile) -> None:
    (provider,) = load_yaml(PROVIDERS)["providers"]
    assert provider["type"] == "file"
    assert compose.mount_target_of(DASHBOARDS_DIR) == provider["options"]["path"]
    provisioning_target = compose.mount_target_of(GRAFANA_DIR / "provisioning")
    assert provisioning_target == "/etc/grafana/provisioning"


def test_datasource_points_at_the_compose_prometheus(compose: ComposeFile) -> None:
    source = _datasource()
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in compose.services
    assert source.get("isDefault") is True


def test_home_dashboard_is_a_mounted_dashboard(compose: ComposeFile) -> None:
    home = compose.environment("grafana")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    mounted_dir = compose.mount_target_of(DASHBOARDS_DIR)
    assert mounted_dir is not None
    assert Path(home).parent == Path(mounted_dir)
    assert Path(home).name in DASHBOARDS


@pytest.mark.parametrize("file_name", sorted(EXPECTED_DASHBOARDS))
def test_panels_fit_the_grid_without_overlapping(file_name: str) -> None:
    """Grafana's grid is 24 columns wide; overlapping panels get pushed around on load."""
    cells: dict[tuple[int, int], str] = {}
    for panel in iter_panels(DASHBOARDS[file_name]):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                other = cells.setdefault((x, y), panel["title"])
                assert other == panel["title"], f"{panel['title']} overlaps {other}"


def test_commitment_drill_down_is_driven_by_its_commitment_variable() -> None:
    dashboard = DASHBOARDS["luqiao-commitment.json"]
    (variable,) = dashboard["templating"]["list"]
    assert variable["name"] == "commitment" and not variable.get("multi")
    assert label_values_selector(variable["query"]["query"]) == "luqiao_commitment_status"
    for query in panel_queries("luqiao-commitment.json", dashboard):
        assert 'commitment_id="$commitment"' in query.expr, query.panel


def test_status_colours_follow_the_pages_red_amber_green() -> None:
    """The dashboards colour a status as the web page does, and name it in Chinese."""
    from services.tracker.status_rules import STATUS_LABELS, STATUS_RAG

    colours = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}
    panel = next(
        p for p in iter_panels(DASHBOARDS["luqiao-commitments.json"])
        if p["title"] == "Commitments by status"
    )  # fmt: skip
    seen = {}
    for override in panel["fieldConfig"]["overrides"]:
        props = {p["id"]: p["value"] for p in override["properties"]}
        seen[override["matcher"]["options"]] = props
    assert set(seen) == set(STATUS_LABELS)
    for status, props in seen.items():
        assert props["color"]["fixedColor"] == colours[STATUS_RAG[status]], status
        assert props["displayName"].startswith(STATUS_LABELS[status]), status
