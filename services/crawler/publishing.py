"""Publishing ArticleFetched events to Kafka with kafka-python.

acks="all" and the idempotent producer (on by default in kafka-python 3.x)
with key = article_id, so a replay or a retry cannot reorder or duplicate an
article within its partition. ``publish`` waits for the broker's
acknowledgement: the caller marks the article as seen only after it returns,
so a broker outage loses nothing.
"""

from __future__ import annotations

from kafka import KafkaProducer
from kafka.errors import KafkaError

from services.events import ArticleFetched


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
