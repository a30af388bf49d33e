"""The local KRaft Apache Kafka nodes (broker and controller in one JVM each): one, or a cluster
of ``KafkaSettings.brokers`` on loopback sharing one cluster id and a static controller quorum."""

from __future__ import annotations

import base64
import os
import subprocess
import time
import uuid
from importlib import resources
from pathlib import Path

import structlog
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from core.kafka_clients import ADMIN_USER, client_options
from core.private_files import PRIVATE_UMASK, private_dir, write_private_text
from core.settings import NODE_PORT_STEP, KafkaSettings
from core.topics import Replication
from infra.exceptions import PortInUseError, ServerStartError
from infra.kafka_security import scram_format_arguments, security_properties
from infra.process import ManagedProcess, port_accepts, port_is_free, tail
from infra.runtime import Runtime, ensure_runtime
from infra.tools import JavaTools

log = structlog.get_logger(__name__)

MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


def server_properties(settings: KafkaSettings, data_dir: Path, node: int = 0) -> str:
    """``server.properties`` of node ``node`` (0-based; node id ``node + 1``), a combined
    broker+controller on loopback; every node of the cluster is a voter of the static quorum."""
    host = settings.host
    port, controller_port = settings.node_port(node), settings.node_controller_port(node)
    voters = ",".join(f"{i + 1}@{host}:{settings.node_controller_port(i)}"
                      for i in range(settings.brokers))
    replication = Replication.for_brokers(settings.brokers)
    factor, min_isr = str(replication.factor), str(replication.min_insync_replicas)
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node + 1),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "3",
        "default.replication.factor": factor,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": factor,
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": factor,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": factor,
        "share.coordinator.state.topic.min.isr": min_isr,
        "group.initial.rebalance.delay.ms": "0",
        # Every topic comes from core/topics.yaml or is declared by the faust app itself.
        "auto.create.topics.enable": "false",
        "log.retention.check.interval.ms": "60000",
    }
    props.update(security_properties(settings, port, controller_port))
    return "".join(f"{key}={value}\n" for key, value in props.items())


def new_cluster_id() -> str:
    """A random cluster id in Kafka's own format (URL-safe base64 of 16 bytes, no padding)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class KafkaServer:
    """Fetches, formats, starts, checks and stops one local Kafka node.

    A single node is ``kafka`` (``var/kafka``, ``run/kafka.pid``, ``log/kafka.log``); node i of a
    cluster is ``kafka-<i>`` with a directory, pid file and log of its own, and every node is
    formatted with the cluster id kept in ``var/kafka-cluster.id``.
    """

    def __init__(self, settings: KafkaSettings, java: JavaTools, var_dir: Path, cache_dir: Path,
                 node: int = 0):
        self.settings = settings
        self.java = java
        self.node = node
        self.node_id = node + 1
        self.name = "kafka" if settings.brokers == 1 else f"kafka-{node}"
        self.home = var_dir / self.name
        self.data_dir = self.home / "data"
        self.config_file = self.home / "server.properties"
        self.cluster_id_file = var_dir / "kafka-cluster.id" if settings.brokers > 1 else None
        self.cache_dir = cache_dir
        self.process = ManagedProcess(
            name=self.name,
            pid_file=var_dir / "run" / f"{self.name}.pid",
            log_file=var_dir / "log" / f"{self.name}.log",
            marker=str(self.config_file.resolve()),
        )

    @property
    def address(self) -> str:
        """This node's client address."""
        return f"{self.settings.host}:{self.settings.node_port(self.node)}"

    @property
    def version(self) -> str:
        return self.settings.version

    def runtime(self) -> Runtime:
        return ensure_runtime("kafka", self.settings.version, self.cache_dir)

    def start(self) -> int:
        """Start the node (formatting its storage on first use); the caller waits for readiness."""
        offset = f" (node {self.node} uses it + {self.node * NODE_PORT_STEP})" if self.node else ""
        for port, setting in (
                (self.settings.node_port(self.node), "KETENLINK_KAFKA__PORT" + offset),
                (self.settings.node_controller_port(self.node),
                 "KETENLINK_KAFKA__CONTROLLER_PORT" + offset)):
            if not port_is_free(self.settings.host, port):
                raise PortInUseError(self.name, self.settings.host, port, setting)
        runtime = self.runtime()
        private_dir(self.home)
        private_dir(self.data_dir)
        # under sasl it holds the admin's login
        write_private_text(self.config_file, server_properties(
            self.settings, self.data_dir.resolve(), self.node))
        log4j = self.home / "log4j2.xml"
        write_private_text(log4j, resources.files("infra").joinpath("log4j2.xml").read_text())
        jvm = [str(self.java.java), f"-Xms{self.settings.heap}", f"-Xmx{self.settings.heap}",
               "-XX:+UseG1GC", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={log4j.resolve()}", "-cp", runtime.classpath]
        if not (self.data_dir / "meta.properties").is_file():
            self._format(jvm)
        return self.process.start([*jvm, MAIN_CLASS, str(self.config_file.resolve())],
                                  env=_java_env(), cwd=self.home)

    def _format(self, jvm: list[str]) -> None:
        cluster_id = self._cluster_id()
        result = subprocess.run(
            # "--cluster-id=<id>": an id starting with "-" (1 in 64) is not taken for an option
            [*jvm, STORAGE_TOOL, "format", f"--cluster-id={cluster_id}",
             "-c", str(self.config_file.resolve()),
             *scram_format_arguments(self.settings)],
            capture_output=True, text=True, env=_java_env(), check=False,
            umask=PRIVATE_UMASK,  # it writes meta.properties and the bootstrap checkpoint
        )
        if result.returncode != 0:
            out = self.home / "format.log"
            write_private_text(out, result.stdout + result.stderr)
            raise ServerStartError(self.name, "formatting the KRaft storage failed", out,
                                   tail(out))
        log.info("kafka.formatted", cluster_id=cluster_id, data_dir=str(self.data_dir))

    def _cluster_id(self) -> str:
        """A new id for a single node; the cluster's (made by the first node formatted) for a
        node of a cluster."""
        if self.cluster_id_file is None:
            return new_cluster_id()
        if not self.cluster_id_file.is_file():
            write_private_text(self.cluster_id_file, new_cluster_id() + "\n")
        return self.cluster_id_file.read_text().strip()

    def wait_ready(self, timeout: float) -> None:
        """Block until a metadata request answered by this node lists every node of the cluster
        as a live broker, or raise with the log's tail."""
        deadline = time.monotonic() + timeout
        while True:
            live = self.live_brokers()
            if self.node_id in live and len(live) >= self.settings.brokers:
                return
            if self.process.pid() is None:
                raise ServerStartError(self.name, "the broker process exited",
                                       self.process.log_file, tail(self.process.log_file))
            if time.monotonic() > deadline:
                raise ServerStartError(
                    self.name, f"no metadata answer listing all {self.settings.brokers} brokers "
                    f"within {timeout:.0f} s (live: {sorted(live)})",
                    self.process.log_file, tail(self.process.log_file))
            time.sleep(0.5)

    def check(self) -> bool:
        """True when the cluster lists this node as a live broker (``describe_cluster``)."""
        return self.node_id in self.live_brokers()

    def live_brokers(self) -> set[int]:
        """The ids of the unfenced brokers, as a metadata request through this node lists them;
        empty when it does not answer."""
        if not port_accepts(self.settings.host, self.settings.node_port(self.node)):
            return set()
        try:
            admin = KafkaAdminClient(**{**client_options(self.settings, ADMIN_USER),
                                        "bootstrap_servers": self.address},
                                     client_id="ketenlink-health", request_timeout_ms=5000)
        except KafkaError:
            return set()
        try:
            return {b["broker_id"] for b in admin.describe_cluster().get("brokers", [])
                    if not b.get("is_fenced")}
        except KafkaError:
            return set()
        finally:
            admin.close()


def _java_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KAFKA_OPTS", None)
    return env
