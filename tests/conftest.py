"""Session-wide real infrastructure. Each server starts lazily, the first time a test asks for
it, so a run that selects no Kafka or PostgreSQL test starts neither. The logic lives in
tests/infra/; this file only wires it into pytest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.infra.kafka_broker import running_kafka_broker
from tests.infra.kafka_topics import create_topics, unique_topic_names
from tests.infra.postgres_databases import fresh_database
from tests.infra.postgres_server import running_postgres_server

# A test that uses one of these fixtures needs that server, marked or not; marking it here
# keeps `-m "not kafka"` / `-m "not postgres"` truthful.
_FIXTURE_MARKS = {
    "kafka_bootstrap": "kafka",
    "postgres_url": "postgres",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixturenames = getattr(item, "fixturenames", ())
        for fixture, mark in _FIXTURE_MARKS.items():
            if fixture in fixturenames and item.get_closest_marker(mark) is None:
                item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``host:port`` of the session's Kafka broker (KAFKA_BOOTSTRAP if set)."""
    with running_kafka_broker() as bootstrap:
        yield bootstrap


@pytest.fixture
def kafka_topics(kafka_bootstrap: str) -> dict[str, str]:
    """This test's own topics, created with 3 partitions: role -> name, e.g.
    ``{"articles": "t1a2b3c4d5e.luqiao.articles", "evidence": ..., "status": ...,
    "deadletter": ...}``. ``tests.infra.kafka_topics.bus_settings_overrides`` turns it into
    settings keyword arguments."""
    topics = unique_topic_names()
    create_topics(kafka_bootstrap, topics.values())
    return topics


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of the session server's ``postgres`` database (DATABASE_URL if it is a
    PostgreSQL URL). Tests should not create tables here; use ``fresh_database_url``."""
    with running_postgres_server() as url:
        yield url


@pytest.fixture
def fresh_database_url(postgres_url: str) -> Iterator[str]:
    """A new empty database for this test, dropped after it."""
    with fresh_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="module")
def module_database_url(postgres_url: str) -> Iterator[str]:
    """A new empty database shared by the tests of one module, dropped after them."""
    with fresh_database(postgres_url) as url:
        yield url
