"""A local KRaft cluster: each node's server.properties, the clients' bootstrap list, the
replication every topic gets, and which nodes ``stack`` manages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.kafka_clients import faust_broker
from core.settings import KafkaSettings, Settings
from core.topics import Replication, TopicSpec
from infra.kafka_server import server_properties
from infra.stack import recorded_brokers, with_brokers

CLUSTER = KafkaSettings(port=29092, controller_port=29093, brokers=3)


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_node_1_of_3_listens_on_its_own_ports_and_knows_every_voter() -> None:
    props = _props(server_properties(CLUSTER, Path("/data/kafka-1"), node=1))
    assert props["node.id"] == "2"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == \
        "1@127.0.0.1:29093,2@127.0.0.1:29103,3@127.0.0.1:29113"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29102,CONTROLLER://127.0.0.1:29103"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29102"
    assert props["log.dirs"] == "/data/kafka-1"


def test_three_nodes_replicate_everything_three_times_and_acknowledge_two() -> None:
    props = _props(server_properties(CLUSTER, Path("/d"), node=2))
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor",
                "share.coordinator.state.topic.replication.factor"):
        assert props[key] == "3", key
    for key in ("min.insync.replicas", "transaction.state.log.min.isr",
                "share.coordinator.state.topic.min.isr"):
        assert props[key] == "2", key


def test_one_node_is_configured_as_before() -> None:
    single = KafkaSettings(port=29092, controller_port=29093)
    props = _props(server_properties(single, Path("/d")))
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["default.replication.factor"] == props["min.insync.replicas"] == "1"
    assert single.bootstrap_servers == "127.0.0.1:29092"


def test_clients_bootstrap_from_every_node() -> None:
    assert CLUSTER.bootstrap_servers == "127.0.0.1:29092,127.0.0.1:29102,127.0.0.1:29112"
    assert faust_broker(CLUSTER) == ["kafka://127.0.0.1:29092", "kafka://127.0.0.1:29102",
                                     "kafka://127.0.0.1:29112"]


def test_ports_of_the_nodes_may_not_overlap() -> None:
    with pytest.raises(ValidationError, match="distinct"):
        KafkaSettings(port=29092, controller_port=29102, brokers=3)
    with pytest.raises(ValidationError, match="65535"):
        KafkaSettings(port=65520, controller_port=65521, brokers=3)


def test_replication_policy_per_cluster_size() -> None:
    assert Replication.for_brokers(1) == Replication(1, 1)
    assert Replication.for_brokers(2) == Replication(2, 1)
    assert Replication.for_brokers(3) == Replication(3, 2)
    assert Replication.for_brokers(5) == Replication(3, 2)


def test_a_topic_on_a_cluster_gets_its_replication_and_min_insync_replicas() -> None:
    spec = TopicSpec(name="signals.normalised", partitions=1, retention_ms=1000)
    assert spec.on_cluster(Replication(1, 1)) is spec
    assert "min.insync.replicas" not in spec.configs()
    on_three = spec.on_cluster(Replication(3, 2))
    assert on_three.replication_factor == 3
    assert on_three.configs() == {"cleanup.policy": "delete", "retention.ms": "1000",
                                  "segment.ms": "1000", "min.insync.replicas": "2"}
    # a cluster whose brokers say min.insync.replicas=1 still gets 2 where there are 3 copies
    assert spec.on_cluster(Replication(3, 1)).min_insync_replicas == 2
    # what the spec says itself is kept
    own = TopicSpec(name="x", partitions=1, replication_factor=5, min_insync_replicas=3)
    assert own.on_cluster(Replication(3, 2)) == own


def test_stack_manages_the_nodes_the_last_up_started(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, kafka=KafkaSettings())  # brokers not set explicitly
    assert recorded_brokers(tmp_path) is None
    assert with_brokers(settings).kafka.brokers == 1
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "kafka-brokers").write_text("3\n")
    assert with_brokers(settings).kafka.brokers == 3
    assert with_brokers(settings, 1).kafka.brokers == 1
    explicit = Settings(var_dir=tmp_path, kafka=KafkaSettings(brokers=1))
    assert with_brokers(explicit).kafka.brokers == 1
