"""Paths of the deployment files, shared by the deployment tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.compose_file import ComposeFile

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
GRAFANA_DIR = DEPLOY / "grafana"
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
COMPOSE_PATH = REPO_ROOT / "docker-compose.yml"


@pytest.fixture(scope="session")
def compose() -> ComposeFile:
    return ComposeFile(COMPOSE_PATH)
