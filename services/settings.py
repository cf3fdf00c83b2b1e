"""Settings shared by every service: where Kafka and the database are, and the
topic names. Each service adds its own class on top. All are read from the
environment; the README's table lists them with their defaults."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services import events


class BusSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LUQIAO_", extra="ignore")

    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP", "LUQIAO_KAFKA_BOOTSTRAP")
    )
    database_url: str = Field(
        "sqlite:///./luqiao.db",
        validation_alias=AliasChoices("DATABASE_URL", "LUQIAO_DATABASE_URL"),
    )
    articles_topic: str = events.ARTICLES_TOPIC
    evidence_topic: str = events.EVIDENCE_TOPIC
    status_topic: str = events.STATUS_TOPIC
    deadletter_topic: str = events.DEADLETTER_TOPIC
    # One CrawlReport per poll (crawler → tracker): the crawler's health.
    crawls_topic: str = events.CRAWLS_TOPIC
    # Where a service's Prometheus port listens: loopback unless a deployment opens it
    # (docker-compose sets 0.0.0.0 so Prometheus can scrape from its container).
    metrics_host: str = "127.0.0.1"
    log_format: str = "console"  # or "json"
    log_level: str = "INFO"
