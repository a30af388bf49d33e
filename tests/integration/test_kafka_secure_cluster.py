"""``--brokers 3`` under ``security=sasl_ssl``: a 3-node KRaft cluster of the project's own
making whose brokers talk SASL_SSL to each other and to clients, with the users and ACLs
applied, replication factor 3 and min.insync.replicas 2. Neo4j is not needed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from core.kafka_clients import ADMIN_USER, client_options
from core.publisher import Publisher
from core.settings import KafkaSettings, Settings
from core.topics import apply_topics
from infra.kafka_security import (
    apply_security,
    await_security,
    ensure_credentials,
    users,
)
from infra.stack import Stack
from policy.retention import topic_layout
from tests.own_stack import SECURE_CLUSTER_PORT_OFFSET


@pytest.fixture(scope="module")
def cluster(settings: Settings, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[KafkaSettings]:
    folder = tmp_path_factory.mktemp("secure-cluster")
    kafka = KafkaSettings(port=settings.kafka.port + SECURE_CLUSTER_PORT_OFFSET,
                          controller_port=settings.kafka.controller_port
                          + SECURE_CLUSTER_PORT_OFFSET,
                          version=settings.kafka.version, heap="384m", brokers=3,
                          security="sasl_ssl", credentials_file=folder / "credentials.json",
                          tls_dir=folder / "tls")
    stack = Stack(settings.model_copy(update={"kafka": kafka, "var_dir": folder / "var"}),
                  kafka_only=True)
    try:
        stack.up(timeout=180.0)
        yield kafka
    finally:
        stack.down()


def test_three_brokers_under_sasl_ssl(cluster: KafkaSettings, tmp_path: Path) -> None:
    layout = topic_layout(prefix=f"t{uuid.uuid4().hex[:8]}.")
    admin = KafkaAdminClient(**client_options(cluster, ADMIN_USER), client_id="cluster-test")
    try:
        assert {b["broker_id"] for b in admin.describe_cluster()["brokers"]} == {1, 2, 3}
        apply_topics(admin, layout.topics)
        apply_security(admin, layout, "ketenlink",
                       ensure_credentials(cluster.credentials_file, users(layout)))
        await_security(cluster, layout)  # every broker has the users and ACLs
        inbound = layout.inbound_of("kvk")
        [described] = admin.describe_topics([inbound])
        assert {len(p["replica_nodes"]) for p in described["partitions"]} == {3}
        configs = admin.describe_configs([ConfigResource(
            ConfigResourceType.TOPIC, inbound, configs={"min.insync.replicas": None})],
            config_filter="all")
        assert configs["topic"][inbound]["min.insync.replicas"]["value"] == "2"
    finally:
        admin.close()
    kvk = cluster.model_copy(update={"user": "partner-kvk"})
    with Publisher(kvk, client_id="partner-kvk") as publisher:  # acks=all: 2 replicas in sync
        published = publisher.publish(inbound, b"kvk/cluster", b'{"partner": "kvk"}')
    worker = cluster.model_copy(update={"user": "svc-worker"})
    consumer = KafkaConsumer(**client_options(worker), enable_auto_commit=False,
                             consumer_timeout_ms=10_000)
    try:
        partition = TopicPartition(inbound, published.partition)
        consumer.assign([partition])
        consumer.seek(partition, published.offset)
        assert next(iter(consumer)).value == b'{"partner": "kvk"}'
    finally:
        consumer.close()
