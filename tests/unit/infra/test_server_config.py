from __future__ import annotations

import base64
from pathlib import Path

from core.settings import KafkaSettings, Neo4jSettings
from infra.kafka_server import new_cluster_id, server_properties
from infra.neo4j_server import neo4j_conf


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_kafka_single_node_kraft_on_loopback() -> None:
    props = _props(server_properties(KafkaSettings(port=29092, controller_port=29093),
                                     Path("/data")))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["log.dirs"] == "/data"
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"


def test_cluster_id_is_kafka_uuid_format() -> None:
    cluster_id = new_cluster_id()
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert cluster_id != new_cluster_id()


def test_neo4j_bolt_on_loopback_with_auth() -> None:
    conf = _props(neo4j_conf(Neo4jSettings(bolt_port=27687), Path("/n")))
    assert conf["server.bolt.listen_address"] == "127.0.0.1:27687"
    assert conf["server.bolt.enabled"] == "true"
    assert conf["dbms.security.auth_enabled"] == "true"
    assert conf["server.directories.data"] == "/n/data"
    assert "password" not in neo4j_conf(Neo4jSettings(), Path("/n")).lower()
