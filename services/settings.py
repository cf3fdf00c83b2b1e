"""Settings shared by every service: where Kafka and the database are, and the
topic names. Each service adds its own class on top. All are read from the
environment; the README's table lists them with their defaults.

Each shared field names its environment variable itself (``validation_alias``), so
a subclass with another prefix (the crawler's ``LUQIAO_CRAWLER_``) inherits the
field as it is: one variable names a topic for every service, and renaming the
topic in docker-compose's shared block moves the whole pipeline.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services import events


def shared(default: Any, *env: str) -> Any:
    """A field read from exactly these variables, whatever the subclass's prefix."""
    return Field(default, validation_alias=AliasChoices(*env))


class BusSettings(BaseSettings):
    # populate_by_name: code (and the crawl child's JSON) passes fields by name.
    model_config = SettingsConfigDict(env_prefix="LUQIAO_", extra="ignore", populate_by_name=True)

    kafka_bootstrap: str = shared("127.0.0.1:9092", "KAFKA_BOOTSTRAP", "LUQIAO_KAFKA_BOOTSTRAP")
    database_url: str = shared("sqlite:///./luqiao.db", "DATABASE_URL", "LUQIAO_DATABASE_URL")
    articles_topic: str = shared(events.ARTICLES_TOPIC, "LUQIAO_ARTICLES_TOPIC")
    evidence_topic: str = shared(events.EVIDENCE_TOPIC, "LUQIAO_EVIDENCE_TOPIC")
    status_topic: str = shared(events.STATUS_TOPIC, "LUQIAO_STATUS_TOPIC")
    deadletter_topic: str = shared(events.DEADLETTER_TOPIC, "LUQIAO_DEADLETTER_TOPIC")
    # One CrawlReport per poll (crawler → tracker): the crawler's health.
    crawls_topic: str = shared(events.CRAWLS_TOPIC, "LUQIAO_CRAWLS_TOPIC")
    # Where a service's Prometheus port listens: loopback unless a deployment opens it
    # (docker-compose sets 0.0.0.0 so Prometheus can scrape from its container).
    metrics_host: str = shared("127.0.0.1", "LUQIAO_METRICS_HOST")
    log_format: str = shared("console", "LUQIAO_LOG_FORMAT")  # or "json"
    log_level: str = shared("INFO", "LUQIAO_LOG_LEVEL")
