"""Publishing ArticleFetched events to Kafka with kafka-python.

acks="all" and the idempotent producer (on by default in kafka-python 3.x)
with key = article_id, so a replay or a retry cannot reorder or duplicate an
article within its partition. ``publish`` waits for the broker's
acknowledgement: the caller marks the article as seen only after it returns,
so a broker outage loses nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kafka import KafkaProducer
from kafka.errors import KafkaError

from services.events import ArticleFetched, CrawlReport


class PublisherUnavailable(RuntimeError):
    """Kafka could not be reached or refused a message; the crawl must fail loudly."""


class KafkaArticlePublisher:
    def __init__(self, bootstrap: str, topic: str, timeout_seconds: float = 30.0) -> None:
        self.topic = topic
        self.timeout = timeout_seconds
        try:
            self.producer = KafkaProducer(
                bootstrap_servers=bootstrap.split(","),
                acks="all",
                client_id="luqiao-crawler",
                max_block_ms=int(timeout_seconds * 1000),
                bootstrap_timeout_ms=int(timeout_seconds * 1000),
                request_timeout_ms=int(timeout_seconds * 1000),
            )
            # Fail before crawling, not after the first article, when Kafka is down.
            if self.producer.partitions_for(topic) is None:
                raise PublisherUnavailable(f"topic {topic!r} does not exist on {bootstrap}")
        except KafkaError as exc:
            raise PublisherUnavailable(f"Kafka at {bootstrap} unreachable: {exc!r}") from exc

    def publish(self, event: ArticleFetched) -> None:
        try:
            future = self.producer.send(
                self.topic,
                key=event.article_id.encode("utf-8"),
                value=event.model_dump_json().encode("utf-8"),
            )
            future.get(timeout=self.timeout)
        except KafkaError as exc:
            raise PublisherUnavailable(
                f"publishing {event.article_id} to {self.topic} failed: {exc!r}"
            ) from exc

    def close(self) -> None:
        try:
            self.producer.flush(timeout=self.timeout)
        finally:
            self.producer.close(timeout=self.timeout)


def publish_crawl_report(settings: Any, report: CrawlReport) -> None:
    """One poll's CrawlReport to the crawls topic (key: the site's host), acknowledged."""
    timeout = settings.kafka_timeout_seconds
    try:
        producer = KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap.split(","),
            acks="all",
            client_id="luqiao-crawler-reports",
            max_block_ms=int(timeout * 1000),
            request_timeout_ms=int(timeout * 1000),
        )
    except KafkaError as exc:
        raise PublisherUnavailable(
            f"Kafka at {settings.kafka_bootstrap} unreachable: {exc!r}"
        ) from exc
    try:
        key = (urlsplit(report.site_url).hostname or "crawler").encode("utf-8")
        producer.send(
            settings.crawls_topic, key=key, value=report.model_dump_json().encode("utf-8")
        ).get(timeout=timeout)
    except KafkaError as exc:
        raise PublisherUnavailable(
            f"crawl report to {settings.crawls_topic} failed: {exc!r}"
        ) from exc
    finally:
        producer.close(timeout=timeout)
