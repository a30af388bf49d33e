"""The platform a scenario run talks to: the stack (started when it is not running, stopped again
if started here), the run's own topic prefix and faust app id, and worker, sink, router, alert
engine and explorer as child processes on them."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from kafka import KafkaAdminClient

from alerts.config import load_rules
from bench.e2e_raw import delete_ids, ids_of, read_topic
from core.http_serving import base_url
from core.kafka_clients import client_options
from core.neo4j_driver import open_driver
from core.private_files import private_dir
from core.settings import Settings
from core.topics import TopicLayout, apply_topics, topics_of
from infra.bootstrap import bootstrap
from infra.stack import Stack
from ketenlink.demo.errors import DemoError
from ketenlink.demo.services import Services, wait_until_up
from ketenlink.scenario.exceptions import HarnessError
from policy.registry import Registry, load_registry
from streams.app import changelog_topics

log = structlog.get_logger(__name__)

SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("worker", ()), ("sink", ()), ("router", ()), ("alerts", ("run",)), ("explorer", ("serve",)))
"""The child processes a run needs (the gateway is not: every partner publishes its file)."""


@dataclass(frozen=True)
class Platform:
    """One run's view of the platform."""

    settings: Settings
    """The run's settings: its topic prefix, app id, explorer port and account file."""
    layout: TopicLayout
    run_id: str
    folder: Path
    services: Services
    explorer_url: str
    registry: Registry
    reviewer: str
    """The partner whose analysts release OM alerts (alerts/rules.yaml)."""


def new_run_id() -> str:
    return "scn-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run_settings(settings: Settings, run_id: str, folder: Path) -> Settings:
    """``settings`` on the run's own topics, app id, explorer port and account file."""
    explorer = settings.explorer.model_copy(update={
        "port": _free_port(settings.explorer.host), "users_file": folder / "explorer-users.json"})
    return settings.model_copy(update={"topic_prefix": f"{run_id}.", "faust_app_id": run_id,
                                       "explorer": explorer})


def child_env(settings: Settings) -> dict[str, str]:
    """The overrides that put a child process on the run's settings."""
    return {"KETENLINK_TOPIC_PREFIX": settings.topic_prefix,
            "KETENLINK_FAUST_APP_ID": settings.faust_app_id,
            "KETENLINK_EXPLORER__PORT": str(settings.explorer.port),
            "KETENLINK_EXPLORER__USERS_FILE": str(settings.explorer.users_file.resolve())}


def _delete_graph(settings: Settings, run_id: str) -> None:
    """Delete the run's signals, entities and review candidates from Neo4j (entity ids are
    derived from what identifies them, so a later run would otherwise write into them), as
    ``bench e2e`` does; warn, never raise."""
    try:
        layout = topics_of(settings)
        ids = ids_of(read_topic(settings.kafka, layout.resolved),
                     read_topic(settings.kafka, layout.merges))
        with open_driver(settings.neo4j) as driver:
            delete_ids(driver, settings.neo4j.database, ids)
        log.info("scenario.graph_deleted", run=run_id, nodes=ids.count())
    except Exception as exc:  # cleaning up must not hide the run's own outcome
        log.warning("scenario.graph_left", run=run_id, error=repr(exc))


def _delete_topics(settings: Settings, run_id: str) -> None:
    """Delete the run's topics and changelogs; warn, never raise (the stack may be gone)."""
    try:
        admin = KafkaAdminClient(**client_options(settings.kafka))
        try:
            mine = [t for t in admin.list_topics() if t.startswith((f"{run_id}.", f"{run_id}-"))]
            if mine:
                admin.delete_topics(mine, timeout_ms=30_000)
        finally:
            admin.close()
    except Exception as exc:  # cleaning up must not hide the run's own outcome
        log.warning("scenario.topics_left", run=run_id, error=repr(exc))


@contextmanager
def platform(settings: Settings, echo: Callable[[str], None], keep: bool = False,
             run_id: str | None = None) -> Iterator[Platform]:
    """Stack, topics and services for one run; on the way out the services stop and the stack
    servers started here are stopped again (unless ``keep``)."""
    run_id = run_id or new_run_id()
    folder = private_dir(settings.var_dir / "scenario" / run_id)
    stack = Stack(settings)
    started = [s.name for s in stack.up() if s.started_here]
    echo(f"stack: {'started ' + ', '.join(started) if started else 'already running'}")
    services: Services | None = None
    mine = run_settings(settings, run_id, folder)
    try:
        bootstrap(mine)
        admin = KafkaAdminClient(**client_options(mine.kafka))
        try:
            apply_topics(admin, changelog_topics(run_id))
        finally:
            admin.close()
        services = Services(folder / "log", child_env(mine))
        for command, args in SERVICES:
            services.start(command, args)
        url = base_url(mine.explorer.host, mine.explorer.port, mine.explorer.tls)
        try:
            wait_until_up("explorer", f"{url}/healthz", services)
        except DemoError as exc:
            raise HarnessError(str(exc)) from exc
        echo(f"run {run_id}: topics {run_id}.*, services {', '.join(c for c, _ in SERVICES)}; "
             f"logs in {services.log_dir}")
        log.info("scenario.platform_up", run=run_id, explorer=url)
        yield Platform(mine, topics_of(mine), run_id, folder, services, url, load_registry(),
                       load_rules().reviewer)
    finally:
        if not keep:
            if services is not None:
                services.__exit__(None, None, None)
                _delete_graph(mine, run_id)
            _delete_topics(settings, run_id)
            if started:
                stack.down(started)
                echo(f"stack: stopped {', '.join(started)}")
        else:
            echo(f"--keep: services and stack left running (run {run_id})")
