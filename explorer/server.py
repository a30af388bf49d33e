"""Serving the explorer: its services wired to the real stack, uvicorn in the foreground."""

from __future__ import annotations

from datetime import timedelta

import structlog

from alerts.config import load_rules
from alerts.release import AlertDesk
from alerts.store import AlertStore
from core.audit import AuditLog
from core.http_serving import absorb_stop_signals, base_url, listen, uvicorn_server
from core.neo4j_driver import open_driver
from core.publisher import Publisher
from core.settings import Settings
from core.topics import topics_of
from explorer.accounts import AccountStore
from explorer.app import ExplorerServices, create_explorer_app
from explorer.review_desk import ReviewDesk
from explorer.sessions import SessionStore
from explorer.throttle import LoginThrottle
from graph.queries import AnalystQueries
from policy.registry import clearance_for, load_registry

log = structlog.get_logger(__name__)


def run_explorer(settings: Settings) -> None:
    """Serve the explorer on ``settings.explorer.host``/``port`` until SIGINT or SIGTERM.
    Raises ``ServiceStartError`` when the port is taken, before connecting to anything."""
    config = settings.explorer
    sock = listen(config.host, config.port, "explorer", "KETENLINK_EXPLORER__PORT")
    layout = topics_of(settings)
    registry = load_registry()
    try:
        with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit, \
                Publisher(settings.kafka, client_id="ketenlink-explorer") as publisher:
            database = settings.neo4j.database
            queries = AnalystQueries(driver, database, audit, registry)
            services = ExplorerServices(
                accounts=AccountStore(config.users_file),
                sessions=SessionStore(timedelta(minutes=config.session_idle_minutes),
                                      timedelta(hours=config.session_max_hours)),
                throttle=LoginThrottle(config.login_attempts,
                                       timedelta(seconds=config.login_backoff_s),
                                       timedelta(seconds=config.login_backoff_max_s)),
                queries=queries,
                alerts=AlertDesk(AlertStore(driver, database, registry), audit, publisher,
                                 layout.alerts_released, load_rules()),
                reviews=ReviewDesk(queries, driver, database, audit, publisher,
                                   layout.judgements),
                audit=audit, clearance_for=clearance_for,
                secure_cookie=config.cookie_secure)
            log.info("explorer.starting", url=base_url(config.host, config.port, config.tls),
                     accounts=len(services.accounts.usernames()))
            with absorb_stop_signals("explorer"):
                uvicorn_server(create_explorer_app(services), config.tls, sock,
                               "explorer").run(sockets=[sock])
    finally:
        sock.close()
    log.info("explorer.stopped")
