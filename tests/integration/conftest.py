"""One real Kafka broker and one real Neo4j server for the whole test session.

The stack is started by the project's own infra (exactly as ``ketenlink stack up``), reused
when it already runs, and stopped at the end only if this session started it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from neo4j import Driver

from core.neo4j_driver import open_driver
from core.settings import Settings
from core.topics import TopicLayout, apply_topics
from infra.bootstrap import bootstrap
from infra.stack import ServerStatus, Stack
from policy.retention import topic_layout


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Iterator[list[ServerStatus]]:
    local = Stack(settings)
    statuses = local.up()
    bootstrap(settings)
    yield statuses
    local.down(names=[s.name for s in statuses if s.started_here])


@pytest.fixture(scope="session")
def admin(stack: list[ServerStatus], settings: Settings) -> Iterator[KafkaAdminClient]:
    client = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers,
                              client_id="ketenlink-tests")
    yield client
    client.close()


@pytest.fixture
def layout(admin: KafkaAdminClient, uid: str) -> TopicLayout:
    """The whole topic spec under this test's own prefix ``<uid>.``."""
    topics = topic_layout(prefix=f"{uid}.")
    apply_topics(admin, topics.topics)
    return topics


@pytest.fixture(autouse=True)
def _delete_test_topics(request: pytest.FixtureRequest, uid: str) -> Iterator[None]:
    """After a test that used the broker, delete the topics named after its ``uid`` (its
    prefixed layout, its faust changelogs): thousands of leftover partitions exhaust the
    broker's heap in a long session."""
    yield
    if "admin" not in request.fixturenames:
        return
    admin: KafkaAdminClient = request.getfixturevalue("admin")
    mine = [t for t in admin.list_topics() if t.startswith((f"{uid}.", f"{uid}-"))]
    if mine:
        admin.delete_topics(mine, timeout_ms=30_000)


@pytest.fixture(scope="session")
def driver(stack: list[ServerStatus], settings: Settings) -> Iterator[Driver]:
    with open_driver(settings.neo4j) as neo4j_driver:
        yield neo4j_driver
