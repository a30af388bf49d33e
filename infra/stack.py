"""``ketenlink stack up | down | status``: the local Kafka broker and Neo4j server as one unit."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import structlog

from infra.kafka_server import KafkaServer
from infra.neo4j_server import Neo4jServer
from infra.process import ManagedProcess
from infra.runtime import Runtime
from infra.tools import find_java
from ketenlink.settings import Settings

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 120.0


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


class Stack:
    """The local Kafka broker and Neo4j server, started and stopped together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        java = find_java()
        var_dir = settings.var_dir.resolve()
        cache_dir = settings.cache_dir.expanduser().resolve()
        self.servers: tuple[Server, ...] = (
            KafkaServer(settings.kafka, java, var_dir, cache_dir),
            Neo4jServer(settings.neo4j, java, var_dir, cache_dir),
        )

    def up(self, timeout: float = READY_TIMEOUT_S) -> list[ServerStatus]:
        """Start whatever is not running yet, then wait until every server is ready.

        Downloads happen before anything starts; running servers are reused.
        """
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
        return [statuses[s.name] for s in self.servers]

    def down(self, names: Collection[str] | None = None) -> list[str]:
        """Stop the servers this stack started (by pid file), or only ``names``; return those
        stopped."""
        stopped = []
        for server in reversed(self.servers):
            if names is not None and server.name not in names:
                continue
            if server.process.stop():
                stopped.append(server.name)
        return stopped

    def status(self) -> list[ServerStatus]:
        return [self._status(server) for server in self.servers]

    def _status(self, server: Server, started_here: bool = False,
                elapsed: float = 0.0) -> ServerStatus:
        pid = server.process.pid()
        return ServerStatus(
            name=server.name, address=server.address, version=server.version,
            pid=pid, healthy=pid is not None and server.check(), started_here=started_here,
            elapsed_s=elapsed,
        )

