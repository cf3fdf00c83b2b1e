"""Prometheus configuration, recording and alerting rules, their unit tests, and the
Alertmanager configuration, checked by the tools of the same projects (promtool, amtool)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_file import ComposeFile
from tests.deploy.conftest import ALERTMANAGER_CONFIG, PROMETHEUS_DIR
from tests.deploy.system_tools import require_tool
from tests.deploy.yaml_files import load_yaml

PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULES_DIR = PROMETHEUS_DIR / "rules"
RULE_TESTS_DIR = PROMETHEUS_DIR / "tests"


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)


def _rule_files() -> list[Path]:
    files = sorted(RULES_DIR.glob("*.yml"))
    assert files, f"no rule files in {RULES_DIR}"
    return files


def _alerts() -> list[dict[str, Any]]:
    return [
        rule
        for path in _rule_files()
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


@pytest.fixture(scope="module")
def promtool() -> str:
    return require_tool("promtool", "prometheus")


def test_promtool_accepts_the_config(promtool: str) -> None:
    result = _run([promtool, "check", "config", str(PROMETHEUS_CONFIG)])
    assert result.returncode == 0, result.stdout + result.stderr
    # The config's rule_files glob must find the rules, or Prometheus runs without alerts.
    assert f"{len(_rule_files())} rule files found" in result.stdout


def test_promtool_accepts_the_rules(promtool: str) -> None:
    result = _run([promtool, "check", "rules", *map(str, _rule_files())])
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass(promtool: str) -> None:
    tests = sorted(RULE_TESTS_DIR.glob("*.test.yml"))
    assert tests, f"no promtool unit tests in {RULE_TESTS_DIR}"
    result = _run([promtool, "test", "rules", *map(str, tests)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_silent_unit_test() -> None:
    fires: set[str] = set()
    stays_silent: set[str] = set()
    for path in RULE_TESTS_DIR.glob("*.test.yml"):
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else stays_silent).add(check["alertname"])
    names = {alert["alert"] for alert in _alerts()}
    assert names - fires == set(), "alerts never shown firing"
    assert names - stays_silent == set(), "alerts never shown staying silent"


def test_every_alert_has_severity_and_explanations() -> None:
    for alert in _alerts():
        assert alert.get("labels", {}).get("severity") in {"critical", "warning", "info"}, alert
        annotations = alert.get("annotations", {})
        assert annotations.get("summary") and annotations.get("description"), alert["alert"]


def test_rule_unit_tests_load_the_deployed_rules() -> None:
    for path in RULE_TESTS_DIR.glob("*.test.yml"):
        loaded = {(path.parent / name).resolve() for name in load_yaml(path)["rule_files"]}
        assert loaded == {p.resolve() for p in _rule_files()}


def test_scrape_targets_are_the_compose_services_metrics_ports(compose: ComposeFile) -> None:
    """Each luqiao job scrapes a compose service on the port that service serves metrics on:
    LUQIAO_HTTP_PORT for the tracker, its own metrics-port setting for the others."""
    config = load_yaml(PROMETHEUS_CONFIG)
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    for service in ("tracker", "extractor", "crawler"):
        port = compose.metrics_port(service)
        assert targets[service] == [f"{service}:{port}"]


def test_scrape_jobs_add_no_label_the_metrics_carry(compose: ComposeFile) -> None:
    """A target label named like a metric label (e.g. `service`) renames the metric's own to
    exported_service, which the rules and dashboards do not expect."""
    config = load_yaml(PROMETHEUS_CONFIG)
    metric_labels = {
        "service",
        "topic",
        "reason",
        "handler",
        "report",
        "section",
        "status",
        "commitment_id",
        "outcome",
    }
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            assert not metric_labels & set(static.get("labels", {})), job["job_name"]


def test_prometheus_sends_alerts_to_the_compose_alertmanager(compose: ComposeFile) -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    targets = [
        t
        for am in config["alerting"]["alertmanagers"]
        for sc in am["static_configs"]
        for t in sc["targets"]
    ]
    assert targets == ["alertmanager:9093"]
    assert "alertmanager" in compose.services


def test_prometheus_container_sees_config_and_rules_where_the_config_says(
    compose: ComposeFile,
) -> None:
    config_target = compose.mount_target_of(PROMETHEUS_CONFIG)
    rules_target = compose.mount_target_of(RULES_DIR)
    assert config_target == "/etc/prometheus/prometheus.yml"
    config_dir = Path(config_target).parent
    rule_globs = load_yaml(PROMETHEUS_CONFIG)["rule_files"]
    assert rules_target is not None
    assert all(Path(config_dir / g).parent == Path(rules_target) for g in rule_globs)
    assert f"--config.file={config_target}" in compose.command("prometheus")


def test_alertmanager_config_is_valid() -> None:
    # The alertmanager package is optional on a developer's machine and in CI alike.
    amtool = require_tool("amtool", "prometheus-alertmanager", required_in_ci=True)
    result = _run([amtool, "check-config", str(ALERTMANAGER_CONFIG)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_container_reads_the_checked_file(compose: ComposeFile) -> None:
    target = compose.mount_target_of(ALERTMANAGER_CONFIG)
    assert target is not None
    assert f"--config.file={target}" in compose.command("alertmanager")


ROUTES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "alertmanager_routes.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", ROUTES["routes"], ids=lambda c: c["labels"]["alertname"])
def test_alertmanager_routes_each_alert_to_its_receiver(case: dict[str, Any]) -> None:
    amtool = require_tool("amtool", "prometheus-alertmanager", required_in_ci=True)
    labels = [f"{k}={v}" for k, v in case["labels"].items()]
    result = _run([amtool, "config", "routes", "test",
                   f"--config.file={ALERTMANAGER_CONFIG}", *labels])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == case["receiver"]


def test_alertmanager_example_has_email_and_webhook_receivers() -> None:
    receivers = {r["name"]: r for r in load_yaml(ALERTMANAGER_CONFIG)["receivers"]}
    for name in ROUTES["email_receivers"]:
        assert all("@" in c["to"] for c in receivers[name]["email_configs"]), name
    for name in ROUTES["webhook_receivers"]:
        assert all(c["url"].startswith("http") for c in receivers[name]["webhook_configs"]), name
