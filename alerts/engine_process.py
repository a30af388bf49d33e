"""``ketenlink alerts run``: the alert engine as a process, wired from settings."""

from __future__ import annotations

from pathlib import Path

import structlog
from kafka import KafkaConsumer

from alerts.config import load_rules
from alerts.engine import AlertEngine, AlertTopics, run_engine
from alerts.store import AlertStore
from core.audit import AuditLog
from core.kafka_clients import client_options
from core.neo4j_driver import open_driver
from core.publisher import Publisher
from core.settings import Settings
from core.stop_signals import stop_event
from core.topics import topics_of
from graph.queries import AnalystQueries
from policy.registry import load_registry
from policy.suppression import Suppressions

log = structlog.get_logger(__name__)


def run_alert_engine(settings: Settings, rules_file: Path | None = None) -> None:
    """Evaluate the alert rules (``rules_file``, default alerts/rules.yaml) as resolved signals
    reach the graph and propose dossiers on alerts.om.proposed, until SIGTERM / SIGINT."""
    rules = load_rules(rules_file)
    clearance = rules.reviewer_clearance()
    layout = topics_of(settings)
    topics = AlertTopics(resolved=layout.resolved, merges=layout.merges,
                         proposed=layout.alert_proposals)
    stop = stop_event()
    consumer = KafkaConsumer(topics.resolved, topics.merges,
                             **client_options(settings.kafka),
                             group_id=f"{settings.faust_app_id}-alerts",
                             enable_auto_commit=False, auto_offset_reset="earliest")
    try:
        with open_driver(settings.neo4j, retry_s=5.0) as driver, AuditLog.open(settings) as audit, \
                Publisher(settings.kafka, client_id="ketenlink-alerts") as publisher, \
                Suppressions.open(settings, layout) as suppressions:
            registry = load_registry()
            store = AlertStore(driver, settings.neo4j.database, registry)
            engine = AlertEngine(store, AnalystQueries(driver, settings.neo4j.database, audit,
                                                       registry),
                                 rules, clearance, publisher, topics.proposed)
            stats = run_engine(consumer, store, engine, topics, rules, stop,
                               suppressions=suppressions)
    finally:
        consumer.close()
    log.info("alerts.stopped", batches=stats.batches, records=stats.records,
             created=stats.created, updated=stats.updated, sent=stats.sent,
             retries=stats.retries)
