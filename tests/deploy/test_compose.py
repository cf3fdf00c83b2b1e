"""docker-compose.yml: valid by the compose specification, and consistent with itself and with
the code it runs (no Docker engine exists on the build machines to try it for real)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from services import events
from services.catalog.settings import CatalogSettings
from services.cli import app
from services.crawler.settings import CrawlerSettings
from services.extractor.settings import ExtractorSettings
from services.tracker.settings import TrackerSettings
from tests.deploy.compose_file import ComposeFile
from tests.deploy.conftest import COMPOSE_PATH
from tests.settings_env import env_names

PRODUCT_SERVICES = ("tracker", "extractor", "crawler")
HEALTHCHECKED = ("kafka", "postgres", "tracker")


def _check_jsonschema() -> str:
    beside_python = Path(sys.executable).parent / "check-jsonschema"
    found = str(beside_python) if beside_python.exists() else shutil.which("check-jsonschema")
    if found is None:
        pytest.fail("check-jsonschema not installed: pip install -e '.[test]'", pytrace=False)
    return found


def test_compose_file_follows_the_compose_specification() -> None:
    result = subprocess.run(
        [_check_jsonschema(), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dependency_is_a_defined_service(compose: ComposeFile) -> None:
    for service in compose.services:
        for dependency in compose.depends_on(service):
            assert dependency in compose.services, f"{service} depends on unknown {dependency}"


def test_dependency_conditions_can_be_met(compose: ComposeFile) -> None:
    """service_healthy on a service without a healthcheck would block `up` forever, and a
    one-shot service awaited with service_completed_successfully must not be restarted."""
    for service in compose.services:
        for dependency, condition in compose.depends_on(service).items():
            spec = compose.services[dependency]
            if condition == "service_healthy":
                assert "healthcheck" in spec, f"{service} waits for {dependency}'s health"
            elif condition == "service_completed_successfully":
                assert spec.get("restart", "no") == "no", f"{dependency} must run once"


@pytest.mark.parametrize("service", PRODUCT_SERVICES)
def test_product_services_wait_for_healthy_infrastructure(
    compose: ComposeFile, service: str
) -> None:
    dependencies = compose.depends_on(service)
    assert dependencies.get("kafka") == "service_healthy"
    assert dependencies.get("kafka-topics") == "service_completed_successfully"


def test_every_bind_mount_exists_and_every_volume_is_declared(compose: ComposeFile) -> None:
    mounts = compose.mounts()
    assert mounts
    for mount in mounts:
        if mount.kind == "bind":
            assert compose.host_path(mount).exists(), f"{mount.service}: {mount.source} missing"
        else:
            assert mount.source in compose.named_volumes, f"undeclared volume {mount.source}"


def test_stateful_services_keep_their_data_in_named_volumes(compose: ComposeFile) -> None:
    kept = {(m.service, m.target) for m in compose.mounts() if m.kind == "volume"}
    for service, data_dir in [
        ("kafka", "/var/lib/kafka/data"),
        ("postgres", "/var/lib/postgresql/data"),
        ("prometheus", "/prometheus"),
        ("grafana", "/var/lib/grafana"),
    ]:
        assert (service, data_dir) in kept


@pytest.mark.parametrize("service", HEALTHCHECKED)
def test_healthcheck_present(compose: ComposeFile, service: str) -> None:
    healthcheck = compose.services[service].get("healthcheck")
    assert healthcheck and healthcheck.get("test"), f"{service} has no healthcheck"
    assert not healthcheck.get("disable", False)


def test_tracker_healthcheck_asks_readyz_on_its_own_port(compose: ComposeFile) -> None:
    probe = " ".join(compose.services["tracker"]["healthcheck"]["test"])
    port = compose.environment("tracker")["LUQIAO_HTTP_PORT"]
    assert f"127.0.0.1:{port}/readyz" in probe


def test_postgres_healthcheck_uses_pg_isready_for_the_app_database(compose: ComposeFile) -> None:
    probe = " ".join(compose.services["postgres"]["healthcheck"]["test"])
    env = compose.environment("postgres")
    assert "pg_isready" in probe
    assert f"-U {env['POSTGRES_USER']}" in probe and f"-d {env['POSTGRES_DB']}" in probe


def test_images_are_the_required_releases(compose: ComposeFile) -> None:
    kafka_image = compose.services["kafka"]["image"]
    repository, tag = kafka_image.split(":")
    assert repository == "apache/kafka"
    assert tuple(int(part) for part in tag.split(".")[:3]) >= (4, 1, 0)
    assert compose.services["postgres"]["image"] == "postgres:15"


def test_kafka_runs_kraft_combined_single_node(compose: ComposeFile) -> None:
    env = compose.environment("kafka")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    for key, value in env.items():
        if key.endswith("REPLICATION_FACTOR"):
            assert value == "1", key


def test_topic_service_creates_exactly_the_event_topics(compose: ComposeFile) -> None:
    script = "\n".join(compose.command("kafka-topics"))
    match = re.search(r"for topic in ([^;]+);", script)
    assert match, "kafka-topics does not loop over the topics"
    created = set(match.group(1).split())
    assert created == {
        events.ARTICLES_TOPIC,
        events.EVIDENCE_TOPIC,
        events.STATUS_TOPIC,
        events.DEADLETTER_TOPIC,
        events.CRAWLS_TOPIC,
    }
    assert "--if-not-exists" in script  # re-running `up` must not fail


@pytest.mark.parametrize("service", PRODUCT_SERVICES)
def test_service_command_is_a_real_cli_command(compose: ComposeFile, service: str) -> None:
    """The image's entrypoint is `luqiao-monitor`; compose supplies the rest of the command."""
    command = compose.command(service)
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, f"luqiao-monitor {' '.join(command)}: {result.output}"


def _settings_env(compose: ComposeFile, service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the process environment exactly the service's compose environment."""
    for key in list(os.environ):
        if key.startswith("LUQIAO_") or key in {"KAFKA_BOOTSTRAP", "DATABASE_URL"}:
            monkeypatch.delenv(key)
    for key, value in compose.environment(service).items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize(
    ("service", "settings_class"),
    [("tracker", TrackerSettings), ("extractor", ExtractorSettings), ("crawler", CrawlerSettings)],
)
def test_services_read_the_compose_environment(
    compose: ComposeFile,
    service: str,
    settings_class: type,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The variable names in compose are the ones the settings classes read, and they point
    at the compose kafka and postgres services with postgres's own credentials."""
    _settings_env(compose, service, monkeypatch)
    settings = settings_class()
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.articles_topic == events.ARTICLES_TOPIC
    url = make_url(settings.database_url)
    pg = compose.environment("postgres")
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port) == ("postgres", 5432)
    assert (url.username, url.password, url.database) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pg["POSTGRES_DB"],
    )


@pytest.mark.parametrize(
    ("service", "settings_class"),
    [("tracker", TrackerSettings), ("extractor", ExtractorSettings), ("crawler", CrawlerSettings)],
)
def test_every_variable_compose_sets_is_one_its_service_reads(
    compose: ComposeFile, service: str, settings_class: type[BaseSettings]
) -> None:
    """A misspelt or second-owner name (say LUQIAO_CRAWLER_ARTICLES_TOPIC) would be
    ignored silently: every product variable in compose must be a setting's name."""
    read = {name for names in env_names(settings_class).values() for name in names}
    read |= {name for names in env_names(CatalogSettings).values() for name in names}
    given = {
        key
        for key in compose.environment(service)
        if key.startswith("LUQIAO_") or key in {"KAFKA_BOOTSTRAP", "DATABASE_URL"}
    }
    assert sorted(given - read) == []


def test_tracker_listens_on_all_interfaces_at_its_published_port(
    compose: ComposeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings_env(compose, "tracker", monkeypatch)
    settings = TrackerSettings()  # type: ignore[call-arg]  # from the environment
    assert settings.http_host == "0.0.0.0"
    published = [str(p).split(":")[-1] for p in compose.services["tracker"]["ports"]]
    assert str(settings.http_port) in published


def test_crawler_archives_into_its_volume(
    compose: ComposeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings_env(compose, "crawler", monkeypatch)
    settings = CrawlerSettings()  # type: ignore[call-arg]  # from the environment
    volume_targets = {m.target for m in compose.mounts() if m.service == "crawler"}
    assert str(settings.warc_dir) in volume_targets
    assert settings.site_url.startswith("https://")
    # Its own store, on a volume of its own: not the tracker's PostgreSQL database.
    state = make_url(settings.resolved_state_url())
    assert state.get_backend_name() == "sqlite"
    assert str(Path(state.database or "").parent) in volume_targets
    assert settings.crawls_topic == events.CRAWLS_TOPIC
