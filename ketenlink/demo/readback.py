"""This run's results read back for the summary: the graph's mentions and entities, the rings
the analysts' ring search finds, the alerts proposed (Neo4j), and the deliveries (Kafka)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from core.audit import AuditLog
from core.kafka_clients import client_options
from core.neo4j_driver import open_driver
from core.settings import Settings
from core.topics import TopicLayout
from graph.analyst.params import MAX_LIMIT
from graph.queries import AnalystQueries
from infra.offsets import wait_committed
from ketenlink.demo.scenario import DEMO_LOGIN, DEMO_LOGIN_PARTNER
from ketenlink.demo.truth import FoundRing, GraphMention
from policy.clearance import Caller
from policy.registry import clearance_for, load_registry

RING_MIN_SIZE = 3
RING_MAX_NODES = 50_000

NETWORK = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id})-[:MENTIONS]->(e)
WITH [l IN labels(e) WHERE l <> 'Entity'][0] AS kind, count(DISTINCT e) AS entities, count(*) AS mentions
RETURN kind, entities, mentions ORDER BY mentions DESC
"""
CORROBORATED = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id}) WHERE size(s.corroborated_by) > 0
RETURN count(s) AS n
"""
MENTIONS = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id})-[m:MENTIONS]->(e:Entity)
RETURN id, m.ref AS ref, [l IN labels(e) WHERE l <> 'Entity'][0] AS label, e.entity_id AS entity_id
"""
ALERTS = """
UNWIND $ids AS id
MATCH (a:Alert)-[:EVIDENCE]->(:Signal {signal_id: id})
RETURN count(DISTINCT a) AS n
"""


@dataclass(frozen=True)
class KindCount:
    """The mentions of one kind of entity (graph label) and the entities they resolved to."""

    kind: str
    mentions: int
    entities: int


@dataclass(frozen=True)
class Network:
    """What resolution made of this run's mentions, most mentioned kind first."""

    kinds: tuple[KindCount, ...]
    corroborated: int
    """Signals corroborated by another partner's signal."""


def graph_mentions(settings: Settings, ids: list[str]) -> list[GraphMention]:
    """Each mention of an entity by this run's signals (merges followed: the sink moves the
    mentions of a merged entity to its survivor)."""
    with open_driver(settings.neo4j) as driver:
        rows, _, _ = driver.execute_query(MENTIONS, ids=ids, database_=settings.neo4j.database)
    return [GraphMention(r["id"], r["ref"], r["label"], r["entity_id"]) for r in rows]


def found_rings(settings: Settings) -> tuple[list[FoundRing], bool]:
    """The rings ``AnalystQueries.rings`` finds as the demo login's partner sees the graph, and
    whether the search was truncated."""
    caller = Caller(DEMO_LOGIN, DEMO_LOGIN_PARTNER, clearance_for(DEMO_LOGIN_PARTNER))
    with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit:
        rings = AnalystQueries(driver, settings.neo4j.database, audit, load_registry()).rings(
            caller, min_size=RING_MIN_SIZE, limit=MAX_LIMIT, max_nodes=RING_MAX_NODES)
    return [FoundRing(r.rank, frozenset(m.entity_id for m in r.members)) for r in rings.rings], \
        rings.truncated


def count_deliveries(settings: Settings, layout: TopicLayout, ids: set[str],
                     timeout_s: float = 120.0) -> dict[str, int]:
    """This run's signals on each ``deliveries.<partner>`` topic (each counted once, whatever
    its revisions): once the router's group has committed all of ``signals.resolved``, every
    delivery topic read to its end."""
    wait_committed(settings.kafka, f"{settings.faust_app_id}-router",
                   (layout.resolved,), timeout_s)
    consumer = KafkaConsumer(**client_options(settings.kafka),
                             enable_auto_commit=False)
    counts: dict[str, set[str]] = {}
    try:
        partitions = [TopicPartition(t, p) for t in map(layout.delivery, layout.recipients)
                      for p in consumer.partitions_for_topic(t) or ()]
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    value = json.loads(record.value)
                    if value["signal_id"] in ids:
                        counts.setdefault(value["recipient"], set()).add(value["signal_id"])
    finally:
        consumer.close()
    return {partner: len(copies) for partner, copies in counts.items()}


def count_alerts(settings: Settings, layout: TopicLayout, ids: list[str],
                 timeout_s: float = 120.0) -> int:
    """Alerts whose evidence includes this run's signals, once the alert engine's group has
    committed everything the graph sink has (it follows the sink by seconds)."""
    wait_committed(settings.kafka, f"{settings.faust_app_id}-alerts",
                   (layout.resolved, layout.merges), timeout_s)
    with open_driver(settings.neo4j) as driver:
        records, _, _ = driver.execute_query(ALERTS, ids=ids, database_=settings.neo4j.database)
    return int(records[0]["n"])


def read_network(settings: Settings, ids: list[str]) -> Network:
    """Entities per kind behind this run's mentions, and how many of its signals are
    corroborated."""
    with open_driver(settings.neo4j) as driver:
        rows, _, _ = driver.execute_query(NETWORK, ids=ids, database_=settings.neo4j.database)
        corroborated, _, _ = driver.execute_query(CORROBORATED, ids=ids,
                                                  database_=settings.neo4j.database)
    return Network(tuple(KindCount(str(r["kind"]), int(r["mentions"]), int(r["entities"]))
                         for r in rows), int(corroborated[0]["n"]))
