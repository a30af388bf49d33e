"""A single-node KRaft Apache Kafka broker (broker and controller in one JVM) for the local stack."""

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

from infra.exceptions import PortInUseError, ServerStartError
from infra.process import ManagedProcess, port_accepts, port_is_free, tail
from infra.runtime import Runtime, ensure_runtime
from infra.tools import JavaTools
from ketenlink.settings import KafkaSettings

log = structlog.get_logger(__name__)

MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


def server_properties(settings: KafkaSettings, data_dir: Path) -> str:
    """The broker's ``server.properties`` for one combined broker+controller node on loopback."""
    host = settings.host
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{settings.controller_port}",
        "listeners": f"PLAINTEXT://{host}:{settings.port},CONTROLLER://{host}:{settings.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{settings.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "3",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Every topic comes from infra/topics.yaml or is declared by the faust app itself.
        "auto.create.topics.enable": "false",
        "log.retention.check.interval.ms": "60000",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


def new_cluster_id() -> str:
    """A random cluster id in Kafka's own format (URL-safe base64 of 16 bytes, no padding)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class KafkaServer:
    """Fetches, formats, starts, checks and stops the local broker."""

    name = "kafka"

    def __init__(self, settings: KafkaSettings, java: JavaTools, var_dir: Path, cache_dir: Path):
        self.settings = settings
        self.java = java
        self.home = var_dir / "kafka"
        self.data_dir = self.home / "data"
        self.config_file = self.home / "server.properties"
        self.cache_dir = cache_dir
        self.process = ManagedProcess(
            name=self.name,
            pid_file=var_dir / "run" / "kafka.pid",
            log_file=var_dir / "log" / "kafka.log",
            marker=str(self.config_file.resolve()),
        )

    @property
    def address(self) -> str:
        return self.settings.bootstrap_servers

    @property
    def version(self) -> str:
        return self.settings.version

    def runtime(self) -> Runtime:
        return ensure_runtime("kafka", self.settings.version, self.cache_dir)

    def start(self) -> int:
        """Start the broker (formatting its storage on first use); the caller waits for readiness."""
        for port, setting in ((self.settings.port, "KETENLINK_KAFKA__PORT"),
                              (self.settings.controller_port, "KETENLINK_KAFKA__CONTROLLER_PORT")):
            if not port_is_free(self.settings.host, port):
                raise PortInUseError(self.name, self.settings.host, port, setting)
        runtime = self.runtime()
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(server_properties(self.settings, self.data_dir.resolve()))
        log4j = self.home / "log4j2.xml"
        log4j.write_bytes(resources.files("infra").joinpath("log4j2.xml").read_bytes())
        jvm = [str(self.java.java), f"-Xms{self.settings.heap}", f"-Xmx{self.settings.heap}",
               "-XX:+UseG1GC", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={log4j.resolve()}", "-cp", runtime.classpath]
        if not (self.data_dir / "meta.properties").is_file():
            self._format(jvm)
        return self.process.start([*jvm, MAIN_CLASS, str(self.config_file.resolve())],
                                  env=_java_env(), cwd=self.home)

    def _format(self, jvm: list[str]) -> None:
        cluster_id = new_cluster_id()
        result = subprocess.run(
            [*jvm, STORAGE_TOOL, "format", "-t", cluster_id, "-c", str(self.config_file.resolve())],
            capture_output=True, text=True, env=_java_env(), check=False,
        )
        if result.returncode != 0:
            out = self.home / "format.log"
            out.write_text(result.stdout + result.stderr)
            raise ServerStartError(self.name, "formatting the KRaft storage failed", out,
                                   tail(out))
        log.info("kafka.formatted", cluster_id=cluster_id, data_dir=str(self.data_dir))

    def wait_ready(self, timeout: float) -> None:
        """Block until the broker answers a metadata request, or raise with the log's tail."""
        deadline = time.monotonic() + timeout
        while True:
            if self.check():
                return
            if self.process.pid() is None:
                raise ServerStartError(self.name, "the broker process exited",
                                       self.process.log_file, tail(self.process.log_file))
            if time.monotonic() > deadline:
                raise ServerStartError(self.name, f"no metadata answer within {timeout:.0f} s",
                                       self.process.log_file, tail(self.process.log_file))
            time.sleep(0.5)

    def check(self) -> bool:
        """True when the broker answers a metadata request (``describe_cluster``)."""
        if not port_accepts(self.settings.host, self.settings.port):
            return False
        try:
            admin = KafkaAdminClient(bootstrap_servers=self.address, client_id="ketenlink-health",
                                     request_timeout_ms=5000)
        except KafkaError:
            return False
        try:
            return bool(admin.describe_cluster().get("brokers"))
        except KafkaError:
            return False
        finally:
            admin.close()


def _java_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KAFKA_OPTS", None)
    return env
