"""The graph sink on the real broker and the real Neo4j: resolved signals become partners,
signals, mentions and provenance-carrying links; a revision replaces its mentions; replaying the
topic from offset 0 changes nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from neo4j import Driver

from consumers.graph_sink import run_sink
from infra.topics import apply_topics, load_layout
from ketenlink.settings import Settings
from producers.publisher import Publisher
from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver
from tests.unit.schemas.signals import valid_doc

COUNTS = """
MATCH (s:Signal) WHERE s.partner_ref STARTS WITH $uid
OPTIONAL MATCH (s)-[m:MENTIONS]->(e)
WITH count(DISTINCT s) AS signals, count(m) AS mentions, collect(DISTINCT e) AS entities
UNWIND entities AS e
OPTIONAL MATCH (e)-[r]->(:Person|Business|Location|Phone) WHERE type(r) <> 'MENTIONS'
RETURN signals, mentions, size(entities) AS entities, count(r) AS links
"""


def _resolved(uid: str) -> list[dict[str, Any]]:
    docs = [valid_doc(partner_ref=f"{uid}-a"),
            valid_doc(partner_ref=f"{uid}-a", severity="critical",
                      subjects=valid_doc()["subjects"][:2], relations=valid_doc()["relations"][:1]),
            valid_doc(partner="kvk", partner_ref=f"{uid}-b")]
    signals: dict[str, Any] = {}
    resolver = Resolver({})
    out = []
    for offset, doc in enumerate(docs):
        outcome = process(Signal.model_validate_json(json.dumps(doc)),
                          {"topic": "in", "partition": 0, "offset": offset}, signals, resolver)
        assert outcome.resolved is not None
        out.append(outcome.resolved)
    return out


def _drain(settings: Settings, driver: Driver, topic: str, group: str) -> None:
    """Run the sink in a thread until its consumer group has read ``topic`` to the end."""
    consumer = KafkaConsumer(topic, bootstrap_servers=settings.kafka.bootstrap_servers,
                             group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    stop = threading.Event()
    thread = threading.Thread(target=run_sink, args=(consumer, driver, settings.neo4j.database,
                                                     stop))
    thread.start()
    try:
        probe = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, group_id=group,
                              enable_auto_commit=False)
        partitions = [TopicPartition(topic, p) for p in probe.partitions_for_topic(topic) or ()]
        ends = probe.end_offsets(partitions)
        for _ in range(120):
            committed = {tp: probe.committed(tp) or 0 for tp in partitions}
            if all(committed[tp] >= ends[tp] for tp in partitions):
                break
            stop.wait(0.5)
        probe.close()
    finally:
        stop.set()
        thread.join(30)
        consumer.close()


def _signals(driver: Driver, settings: Settings, uid: str) -> int:
    records, _, _ = driver.execute_query("MATCH (s:Signal) WHERE s.partner_ref STARTS WITH $uid "
                                         "RETURN count(s) AS n", uid=uid,
                                         database_=settings.neo4j.database)
    return int(records[0]["n"])


@pytest.fixture
def topic(admin: KafkaAdminClient, uid: str) -> Iterator[str]:
    layout = load_layout(prefix=f"{uid}.")
    apply_topics(admin, layout.topics)
    yield layout.name("signals.resolved")


def test_sink_writes_the_graph_and_replays_to_the_same_graph(
        settings: Settings, driver: Driver, topic: str, uid: str) -> None:
    resolved = _resolved(uid)
    with Publisher(settings.kafka) as publisher:
        publisher.publish_many(topic, [(d["signal_id"].encode(), json.dumps(d).encode())
                                       for d in resolved])

    def counts() -> dict[str, int]:
        records, _, _ = driver.execute_query(COUNTS, uid=uid, database_=settings.neo4j.database)
        return dict(records[0])

    _drain(settings, driver, topic, f"{uid}-sink")
    first = counts()
    # signal a: revision 2 mentions p1 and b1 only; signal b: p1, b1, t1 -> 5 mentions; the
    # person and business are the same entities in both signals (strong keys), the phone once.
    assert first == {"signals": 2, "mentions": 5, "entities": 3, "links": 2}, first
    records, _, _ = driver.execute_query(
        "MATCH (s:Signal {signal_id: $id}) RETURN s.revision AS revision, s.severity AS severity",
        id=resolved[1]["signal_id"], database_=settings.neo4j.database)
    assert dict(records[0]) == {"revision": 2, "severity": "critical"}
    records, _, _ = driver.execute_query(
        "MATCH (:Person)-[r:DIRECTOR_OF]->(b:Business) WHERE b.entity_id = $b "
        "RETURN r.partners AS partners, size(r.signal_ids) AS n",
        b=resolved[2]["entities"][1]["entity_id"], database_=settings.neo4j.database)
    assert sorted(records[0]["partners"]) == ["kvk", "riec"] and records[0]["n"] == 2

    _drain(settings, driver, topic, f"{uid}-replay")
    assert counts() == first
