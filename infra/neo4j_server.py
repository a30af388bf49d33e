"""Neo4j Community with the Bolt connector on loopback, run from the embedded artifact."""

from __future__ import annotations

import os
import subprocess
import time
from importlib import resources
from pathlib import Path

import structlog
from neo4j import GraphDatabase
from neo4j.exceptions import DriverError, Neo4jError

from core.private_files import private_dir, write_private_text
from core.settings import Neo4jSettings
from infra.exceptions import PortInUseError, ServerStartError
from infra.process import ManagedProcess, port_accepts, port_is_free, tail
from infra.runtime import Runtime, ensure_runtime
from infra.tools import JavaTools

log = structlog.get_logger(__name__)

LAUNCHER = "KetenlinkNeo4j"
# Neo4j 5 on Java 17 needs these to reach JDK internals (netty, page cache).
JVM_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
)


def neo4j_conf(settings: Neo4jSettings, home: Path) -> str:
    """The ``neo4j.conf`` for one Community server with Bolt on loopback and auth enabled."""
    props = {
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"{settings.host}:{settings.bolt_port}",
        "server.bolt.tls_level": "DISABLED",
        "dbms.security.auth_enabled": "true",
        "initial.dbms.default_database": settings.database,
        "server.memory.pagecache.size": settings.pagecache,
        "server.directories.data": str(home / "data"),
        "server.directories.logs": str(home / "logs"),
        "db.tx_log.rotation.retention_policy": "2 files",
        # a growing graph moves the statistics enough to re-plan every sink query each 10 s (the
        # default); their plans are unique-index seeks whatever the counts, and re-planning was
        # a fifth of the sink's Neo4j CPU (`bench graph`, debug.log "Discarded stale query")
        "dbms.cypher.min_replan_interval": "5m",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


class Neo4jServer:
    """Fetches, compiles the launcher for, starts, checks and stops the local Neo4j."""

    name = "neo4j"

    def __init__(self, settings: Neo4jSettings, java: JavaTools, var_dir: Path, cache_dir: Path):
        self.settings = settings
        self.java = java
        self.home = var_dir / "neo4j"
        self.config_file = self.home / "neo4j.conf"
        self.cache_dir = cache_dir
        self.process = ManagedProcess(
            name=self.name,
            pid_file=var_dir / "run" / "neo4j.pid",
            log_file=var_dir / "log" / "neo4j.log",
            marker=str(self.config_file.resolve()),
        )

    @property
    def address(self) -> str:
        return self.settings.uri

    @property
    def version(self) -> str:
        return self.settings.version

    def runtime(self) -> Runtime:
        return ensure_runtime("neo4j", self.settings.version, self.cache_dir)

    def start(self) -> int:
        """Start Neo4j in the background; the caller waits for readiness."""
        if not port_is_free(self.settings.host, self.settings.bolt_port):
            raise PortInUseError(self.name, self.settings.host, self.settings.bolt_port,
                                 "KETENLINK_NEO4J__BOLT_PORT")
        runtime = self.runtime()
        classes = self._compile_launcher(runtime)
        private_dir(self.home)
        write_private_text(self.config_file, neo4j_conf(self.settings, self.home.resolve()))
        env = dict(os.environ)
        env["KETENLINK_NEO4J_INITIAL_PASSWORD"] = self.settings.password.get_secret_value()
        argv = [str(self.java.java), f"-Xms{self.settings.heap}", f"-Xmx{self.settings.heap}",
                "-XX:+UseG1GC", "-Djava.awt.headless=true", *JVM_OPENS,
                "-cp", f"{classes}{os.pathsep}{runtime.classpath}",
                LAUNCHER, str(self.home.resolve()), str(self.config_file.resolve())]
        return self.process.start(argv, env=env, cwd=self.home)

    def _compile_launcher(self, runtime: Runtime) -> Path:
        """Compile infra/java/KetenlinkNeo4j.java against the runtime once; reuse it after."""
        source = resources.files("infra").joinpath("java", f"{LAUNCHER}.java").read_bytes()
        classes = runtime.lib_dir / "launcher"
        compiled_source = classes / f"{LAUNCHER}.java"
        if (classes / f"{LAUNCHER}.class").is_file() and compiled_source.is_file() \
                and compiled_source.read_bytes() == source:
            return classes
        classes.mkdir(parents=True, exist_ok=True)
        compiled_source.write_bytes(source)
        result = subprocess.run(
            [str(self.java.javac), "-proc:none", "-cp", runtime.classpath, "-d", str(classes),
             str(compiled_source)],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            out = classes / "javac.log"
            out.write_text(result.stdout + result.stderr)
            (classes / f"{LAUNCHER}.class").unlink(missing_ok=True)
            raise ServerStartError(self.name, "compiling the Neo4j launcher failed", out, tail(out))
        return classes

    def wait_ready(self, timeout: float) -> None:
        """Block until ``RETURN 1`` succeeds over Bolt with the configured user, or raise."""
        deadline = time.monotonic() + timeout
        while True:
            if self.check():
                return
            if self.process.pid() is None:
                raise ServerStartError(self.name, "the Neo4j process exited",
                                       self.process.log_file, tail(self.process.log_file))
            if time.monotonic() > deadline:
                raise ServerStartError(self.name, f"no answer over Bolt within {timeout:.0f} s",
                                       self.process.log_file, tail(self.process.log_file))
            time.sleep(0.5)

    def check(self) -> bool:
        """True when the Python driver runs ``RETURN 1`` on the configured database."""
        if not port_accepts(self.settings.host, self.settings.bolt_port):
            return False
        auth = (self.settings.user, self.settings.password.get_secret_value())
        try:
            with GraphDatabase.driver(self.settings.uri, auth=auth, connection_timeout=3.0,
                                      max_transaction_retry_time=0) as driver, \
                    driver.session(database=self.settings.database) as session:
                record = session.run("RETURN 1 AS ok").single(strict=True)
                return bool(record["ok"] == 1)
        except (DriverError, Neo4jError, OSError):
            return False
