"""The shared settings (services/settings.py): one environment variable names each
topic, the bootstrap servers and the database for every service, the crawler too."""

from __future__ import annotations

import os

import pytest
from pydantic_settings import BaseSettings

from services.crawler.settings import CrawlerSettings
from services.extractor.settings import ExtractorSettings
from services.settings import BusSettings
from services.tracker.settings import TrackerSettings
from tests.settings_env import env_names

SERVICES: list[type[BusSettings]] = [ExtractorSettings, TrackerSettings, CrawlerSettings]
SHARED = [f for f in BusSettings.model_fields if f != "log_level"]  # the crawler may override
# The service-specific settings documented as overriding a shared one.
OVERRIDES = {(CrawlerSettings, "log_level"): ("LUQIAO_CRAWLER_LOG_LEVEL", "LUQIAO_LOG_LEVEL")}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LUQIAO_") or key in {"KAFKA_BOOTSTRAP", "DATABASE_URL"}:
            monkeypatch.delenv(key)


@pytest.mark.parametrize("cls", SERVICES, ids=lambda c: c.__name__)
def test_every_service_reads_a_shared_setting_from_the_same_variables(
    cls: type[BaseSettings],
) -> None:
    shared = env_names(BusSettings)
    own = env_names(cls)
    for field, names in shared.items():
        assert own[field] == OVERRIDES.get((cls, field), names), field


@pytest.mark.parametrize("field", SHARED)
def test_setting_the_shared_variable_moves_every_service(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renaming a topic in docker-compose's shared block renames it for the crawler
    too; a crawler-prefixed variable of the same name is not a second owner."""
    first = env_names(BusSettings)[field][0]
    monkeypatch.setenv(first, f"renamed-{field}")
    monkeypatch.setenv(f"LUQIAO_CRAWLER_{field}".upper(), "not-read")
    assert {getattr(cls(), field) for cls in SERVICES} == {f"renamed-{field}"}


def test_settings_passed_by_name_survive_the_crawl_childs_json() -> None:
    """The crawl child gets its CrawlerSettings as JSON of field names (not variables)."""
    parent = CrawlerSettings(
        articles_topic="t.articles", kafka_bootstrap="k:1", site_url="http://m"
    )
    child = CrawlerSettings(**parent.model_dump(mode="json"))
    assert child == parent
    assert (child.articles_topic, child.kafka_bootstrap) == ("t.articles", "k:1")
