"""The explorer served for tests: the real app on the real Neo4j and Kafka, over the small graph
of ``graph_world`` plus one proposed alert about P1 and three merge-review candidates.

Accounts: ``ria`` (riec analyst) and ``otto`` (OM analyst); their passwords are in ``PASSWORDS``.
Reviews (all proposed with score 9.5 unless said):

- ``p1-p3``: P1 and P3, proposed by S1 (riec sees it; the OM does not);
- ``p2-p4``: P2 and P4, proposed by S6 (riec sees it);
- ``v1-p4``: V1 and P4, proposed only by S3 (care: riec does not see it).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from neo4j import Driver

from alerts.config import load_rules
from alerts.release import AlertDesk
from alerts.rules import Sighting
from alerts.store import AlertRow, AlertStore
from core.audit import AuditLog
from core.http_serving import serve_in_background
from core.publisher import Publisher
from core.settings import Settings
from core.topics import apply_topics
from explorer.accounts import AccountStore
from explorer.app import ExplorerServices, create_explorer_app
from explorer.review_desk import ReviewDesk
from explorer.sessions import SessionStore
from explorer.throttle import LoginThrottle
from graph.queries import AnalystQueries
from graph.review_candidates import review_id
from graph.upsert import GraphBatch, write_batch
from policy.registry import clearance_for, load_registry
from policy.retention import topic_layout
from tests.integration.graph_world import World, write_world

PASSWORDS = {"ria": "ria-correct-horse-1", "otto": "otto-correct-horse-2"}
PARTNERS = {"ria": "riec", "otto": "om"}
REVIEWS = {"p1-p3": ("P1", "P3", "S1"), "p2-p4": ("P2", "P4", "S6"), "v1-p4": ("V1", "P4", "S3")}


@dataclass(frozen=True)
class ExplorerWorld:
    world: World
    base_url: str
    alert_id: str
    reviews: dict[str, str]
    """``p1-p3`` … → review id."""
    topics: dict[str, str]
    """``audit.log``, ``alerts.om``, ``resolver.judgements`` → this world's topic."""


@contextmanager
def served_explorer(settings: Settings, driver: Driver, admin: KafkaAdminClient, folder: Path,
                    idle: timedelta = timedelta(minutes=30),
                    throttle: LoginThrottle | None = None) -> Iterator[ExplorerWorld]:
    """Write the world, serve the explorer on a free port; delete the world's topics after.
    Without ``throttle``, ten failed logins per address or name are free (the tests share
    127.0.0.1), then waits from 1 s."""
    uid = "t" + uuid.uuid4().hex[:12]
    layout = topic_layout(prefix=f"{uid}.")
    topics = {n: layout.name(n) for n in ("audit.log", "alerts.om", "resolver.judgements")}
    apply_topics(admin, [t for t in layout.topics if t.name in topics.values()])
    database = settings.neo4j.database
    world = write_world(driver, database)
    reviews = _write_reviews(driver, database, world)
    try:
        with serving(settings, driver, topics, folder, idle, throttle) as (base_url, store):
            yield ExplorerWorld(world, base_url, _write_alert(store, world), reviews, topics)
    finally:
        admin.delete_topics(list(topics.values()), timeout_ms=30_000)


@contextmanager
def serving(settings: Settings, driver: Driver, topics: dict[str, str], folder: Path,
            idle: timedelta = timedelta(minutes=30), throttle: LoginThrottle | None = None,
            ) -> Iterator[tuple[str, AlertStore]]:
    """The real explorer app on a free port, writing to ``topics`` (``audit.log``,
    ``alerts.om``, ``resolver.judgements``), with the accounts of ``PASSWORDS``; its base URL
    and its alert store."""
    database = settings.neo4j.database
    accounts = AccountStore(folder / "users.json")
    for name, password in PASSWORDS.items():
        accounts.add(name, clearance_for(PARTNERS[name]), password)
    with AuditLog(Publisher(settings.kafka, client_id="test-explorer-audit"),
                  topics["audit.log"], key=settings.audit_key.get_secret_value().encode()
                  ) as audit, \
            Publisher(settings.kafka, client_id="test-explorer") as publisher:
        registry = load_registry()
        store = AlertStore(driver, database, registry)
        queries = AnalystQueries(driver, database, audit, registry)
        services = ExplorerServices(
            accounts=accounts,
            sessions=SessionStore(idle, timedelta(hours=8)),
            throttle=throttle or LoginThrottle(10, timedelta(seconds=1), timedelta(minutes=15)),
            queries=queries,
            alerts=AlertDesk(store, audit, publisher, topics["alerts.om"], load_rules()),
            reviews=ReviewDesk(queries, driver, database, audit, publisher,
                               topics["resolver.judgements"]),
            audit=audit, clearance_for=clearance_for)
        with serve_in_background(create_explorer_app(services)) as base_url:
            yield base_url, store


def read_topic(settings: Settings, topic: str) -> list[tuple[bytes | None, dict[str, Any]]]:
    """Every record of a one-partition topic: (key, JSON value)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                             enable_auto_commit=False, consumer_timeout_ms=3000)
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        return [(r.key, json.loads(r.value)) for r in consumer]
    finally:
        consumer.close()


def _write_reviews(driver: Driver, database: str, world: World) -> dict[str, str]:
    batch, ids = GraphBatch(), {}
    for name, (x, y, signal) in REVIEWS.items():
        a, b = sorted((world.ids[x], world.ids[y]))
        ids[name] = review_id(a, b)
        batch.reviews.append({"review_id": ids[name], "a": a, "b": b, "score": 9.5,
                              "signal_id": world.signals[signal],
                              "observed_at": "2026-03-01T10:00:00+01:00"})
    write_batch(driver, database, batch)
    return ids


def _write_alert(store: AlertStore, world: World) -> str:
    p1, alert_id = world.ids["P1"], "AL-" + hashlib.sha256(world.uid.encode()).hexdigest()[:16]
    evidence = tuple(
        Sighting(world.signals[s], 1, "riec", datetime(2026, 1, day, 10, tzinfo=UTC), severity,
                 "labour", "tlp:amber", "administrative", ("suspect",))
        for s, day, severity in (("S1", 10, "high"), ("S7", 20, "medium")))
    dossier = {
        "format": "ketenlink.om-alert/1", "alert_id": alert_id, "version": 1,
        "rules": ["independent-partners"], "reviewer": "riec",
        "anchor": {"entity": {"entity_id": p1, "label": "Person",
                              "name": f"Piet Smit ({world.uid})"}, "chosen_as": "the entity"},
        "entities": [{"entity_id": p1, "label": "Person", "name": "Piet Smit"}],
        "evidence": [{"signal_id": s.signal_id, "revision": 1, "partner": s.partner,
                      "observed_at": s.observed_at.isoformat(), "severity": s.severity,
                      "category": s.category, "distribution": s.distribution,
                      "purpose": s.purpose, "barrier_stages": [], "indicators": []}
                     for s in evidence],
        "purposes": ["administrative"], "risk": {"score": 6.0, "breakdown": {}},
    }
    store.write([AlertRow(alert_id, 1, 0, None, p1, (p1,), ("independent-partners",), evidence,
                          "fingerprint-1", 6.0, "riec", dossier)], datetime.now(UTC))
    return alert_id
