"""``ketenlink stack up | down | status``: the local Kafka node(s) and Neo4j server as one unit."""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import structlog

from core.private_files import private_dir, write_private_text
from core.settings import KafkaSettings, Settings
from infra.kafka_server import KafkaServer
from infra.neo4j_server import Neo4jServer
from infra.process import ManagedProcess
from infra.runtime import Runtime
from infra.tools import find_java

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 120.0
BROKERS_FILE = Path("run", "kafka-brokers")
"""Under the var directory: the number of Kafka nodes ``up`` started, when more than one."""


class Server(Protocol):
    name: str
    process: ManagedProcess

    @property
    def address(self) -> str: ...

    @property
    def version(self) -> str: ...

    def runtime(self) -> Runtime: ...

    def start(self) -> int: ...

    def wait_ready(self, timeout: float) -> None: ...

    def check(self) -> bool: ...


@dataclass(frozen=True)
class ServerStatus:
    """What ``status`` reports about one server."""

    name: str
    address: str
    version: str
    pid: int | None
    healthy: bool
    started_here: bool = False
    elapsed_s: float = 0.0

    @property
    def state(self) -> str:
        if self.pid is None:
            return "stopped"
        return "healthy" if self.healthy else "unhealthy"


def recorded_brokers(var_dir: Path) -> int | None:
    """How many Kafka nodes the last ``up`` in ``var_dir`` started, if it started a cluster."""
    try:
        return int((var_dir / BROKERS_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def with_brokers(settings: Settings, brokers: int | None = None) -> Settings:
    """``settings`` with the number of Kafka nodes to manage: ``brokers`` when given, else
    ``KETENLINK_KAFKA__BROKERS`` when set, else what the last ``up`` in the var directory
    recorded, else one."""
    if brokers is None and "brokers" in settings.kafka.model_fields_set:
        return settings
    count = brokers or recorded_brokers(settings.var_dir) or settings.kafka.brokers
    kafka = KafkaSettings.model_validate({**settings.kafka.model_dump(), "brokers": count})
    return settings.model_copy(update={"kafka": kafka})


class Stack:
    """The local Kafka node(s) and Neo4j server, started and stopped together; ``kafka_only``
    leaves Neo4j out, and brokers elsewhere (``KafkaSettings.servers``) leave Kafka out."""

    def __init__(self, settings: Settings, kafka_only: bool = False) -> None:
        self.settings = settings
        java = find_java()
        var_dir = settings.var_dir.resolve()
        cache_dir = settings.cache_dir.expanduser().resolve()
        kafka = tuple(KafkaServer(settings.kafka, java, var_dir, cache_dir, node)
                      for node in range(settings.kafka.brokers)) if settings.kafka.local else ()
        neo4j = () if kafka_only else (Neo4jServer(settings.neo4j, java, var_dir, cache_dir),)
        self.servers: tuple[Server, ...] = (*kafka, *neo4j)

    def up(self, timeout: float = READY_TIMEOUT_S) -> list[ServerStatus]:
        """Start whatever is not running yet, then wait until every server is ready.

        Downloads happen before anything starts; running servers are reused. A cluster's size
        is recorded in the var directory (``recorded_brokers``).
        """
        private_dir(self.settings.var_dir)  # everything below holds personal data
        for server in self.servers:
            server.runtime()
        started: list[tuple[Server, float]] = []
        for server in self.servers:
            if server.process.pid() is not None:
                log.info("stack.reuse", service=server.name, pid=server.process.pid())
                continue
            started.append((server, time.monotonic()))
            server.start()
        statuses: dict[str, ServerStatus] = {}
        for server, t0 in started:
            server.wait_ready(timeout)
            elapsed = time.monotonic() - t0
            log.info("stack.ready", service=server.name, address=server.address,
                     seconds=round(elapsed, 1))
            statuses[server.name] = self._status(server, started_here=True, elapsed=elapsed)
        for server in self.servers:
            if server.name not in statuses:
                server.wait_ready(timeout)
                statuses[server.name] = self._status(server)
        self._record_brokers()
        return [statuses[s.name] for s in self.servers]

    def down(self, names: Collection[str] | None = None) -> list[str]:
        """Stop the servers this stack started (by pid file), or only ``names``; return those
        stopped."""
        processes = [p for p in (*self._other_kafka_nodes(),
                                 *(s.process for s in reversed(self.servers)))
                     if names is None or p.name in names]
        # Kafka nodes stop together: the last of a cluster stopped alone would wait for a
        # controller quorum that is gone, until it is killed
        kafka = [p for p in processes if p.name.startswith("kafka")]
        stopped = [p.name for p in processes if p not in kafka and p.stop()]
        with ThreadPoolExecutor(max(len(kafka), 1)) as pool:
            stopped += [p.name for p, done in zip(kafka, pool.map(ManagedProcess.stop, kafka),
                                                  strict=True) if done]
        return stopped

    def _other_kafka_nodes(self) -> list[ManagedProcess]:
        """Kafka nodes of this var directory that are not among ``servers``: a cluster's when
        this stack has one node, and the other way round."""
        var_dir = self.settings.var_dir.resolve()
        mine = {s.name for s in self.servers}
        others = []
        for pid_file in sorted((var_dir / "run").glob("kafka*.pid")):
            name = pid_file.stem
            if name not in mine and re.fullmatch(r"kafka(-\d+)?", name):
                others.append(ManagedProcess(
                    name=name, pid_file=pid_file, log_file=var_dir / "log" / f"{name}.log",
                    marker=str(var_dir / name / "server.properties")))
        return others

    def status(self) -> list[ServerStatus]:
        return [self._status(server) for server in self.servers]

    def _record_brokers(self) -> None:
        path = self.settings.var_dir / BROKERS_FILE
        if self.settings.kafka.brokers == 1:
            path.unlink(missing_ok=True)
            return
        private_dir(path.parent)
        write_private_text(path, f"{self.settings.kafka.brokers}\n")

    def _status(self, server: Server, started_here: bool = False,
                elapsed: float = 0.0) -> ServerStatus:
        pid = server.process.pid()
        return ServerStatus(
            name=server.name, address=server.address, version=server.version,
            pid=pid, healthy=pid is not None and server.check(), started_here=started_here,
            elapsed_s=elapsed,
        )

