"""After the servers are up: the topic spec on Kafka, the graph schema on Neo4j."""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaAdminClient

from core.kafka_clients import ADMIN_USER, client_options
from core.neo4j_driver import open_driver
from core.settings import Settings
from core.topics import apply_topics
from graph.schema import apply_schema
from infra.kafka_security import (
    apply_security,
    await_security,
    ensure_credentials,
    users,
)
from policy.retention import topic_layout


@dataclass(frozen=True)
class BootstrapReport:
    topics_created: int
    topics_changed: int
    topics_unchanged: int
    schema_statements: int


def bootstrap(settings: Settings) -> BootstrapReport:
    """Apply core/topics.yaml and the graph constraints, and under security sasl or sasl_ssl
    the Kafka users and ACLs (infra/kafka_security.py); all idempotent."""
    layout = topic_layout(prefix=settings.topic_prefix)
    admin = KafkaAdminClient(**client_options(settings.kafka, ADMIN_USER),
                             client_id="ketenlink-bootstrap")
    try:
        topics = apply_topics(admin, layout.topics)
        if settings.kafka.security != "plaintext":
            credentials = ensure_credentials(settings.kafka.credentials_file, users(layout))
            security = apply_security(admin, layout, settings.faust_app_id, credentials)
            if security.users_created or security.acls_created or security.acls_deleted:
                await_security(settings.kafka, layout)
    finally:
        admin.close()
    with open_driver(settings.neo4j) as driver:
        statements = apply_schema(driver, settings.neo4j.database)
    return BootstrapReport(
        topics_created=len(topics.created),
        topics_changed=len(set(topics.partitions_added) | set(topics.reconfigured)),
        topics_unchanged=len(topics.unchanged),
        schema_statements=statements,
    )
