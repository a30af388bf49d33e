"""``ketenlink sink``: resolved signals into Neo4j.

One batch of ``signals.resolved`` records becomes one ``execute_write``: constant ``UNWIND $rows``
queries, one per node label and edge type, generated once from ``schemas/graph_model.py`` (labels
and types cannot be parameters; they come from the model, never from data). Offsets are committed
only after Neo4j committed, so a crash replays the batch, and ``MERGE`` makes the replay a no-op.

Written: ``(:Partner)-[:REPORTED]->(:Signal)``, ``(:Signal)-[:MENTIONS {ref, role, revision}]->
(entity)`` for every subject, and the relations between subjects as edges between their entities
with provenance (``signal_ids``, ``partners``, ``first_seen``, ``last_seen``). A revision replaces
the mentions of the earlier one.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from neo4j import Driver, ManagedTransaction

from schemas.graph_model import relation_types

log = structlog.get_logger(__name__)

LABEL_OF = {"person": "Person", "business": "Business", "location": "Location", "phone": "Phone",
            "email": "Email", "bank_account": "BankAccount", "vehicle": "Vehicle",
            "website": "Website"}
"""Subject type (Signal v1) → node label (graph model)."""

_PROPERTIES = {
    "person": ("given_name", "name_prefix", "family_name", "birth_date", "nationality"),
    "business": ("kvk_number", "trade_name", "legal_form", "sbi_code"),
    "location": (),
    "phone": ("number",),
    "email": ("address",),
    "bank_account": ("iban",),
    "vehicle": ("plate",),
    "website": ("url",),
}
_ADDRESS = ("street", "house_number", "house_number_addition", "postcode", "city", "municipality",
            "country")

MERGE_SIGNALS = """
UNWIND $rows AS row
MERGE (p:Partner {partner_id: row.partner_id})
MERGE (s:Signal {signal_id: row.signal_id})
  ON CREATE SET s.revision = 0
WITH p, s, row
MERGE (p)-[:REPORTED]->(s)
WITH s, row WHERE row.revision >= s.revision
SET s += row.props, s.revision = row.revision
WITH s, row
OPTIONAL MATCH (s)-[old:MENTIONS]->() WHERE old.revision < row.revision
DELETE old
"""


def _mentions_query(label: str) -> str:
    return f"""
UNWIND $rows AS row
MERGE (e:{label} {{entity_id: row.entity_id}})
SET e += row.props
WITH e, row
MATCH (s:Signal {{signal_id: row.signal_id}}) WHERE s.revision = row.revision
MERGE (s)-[m:MENTIONS {{ref: row.ref}}]->(e)
SET m.role = row.role, m.revision = row.revision
"""


def _link_query(edge_type: str, source: str, target: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (a:{source} {{entity_id: row.source}}), (b:{target} {{entity_id: row.target}})
MERGE (a)-[r:{edge_type}]->(b)
  ON CREATE SET r.signal_ids = [], r.partners = [], r.first_seen = row.seen
SET r.signal_ids = CASE WHEN row.signal_id IN r.signal_ids THEN r.signal_ids
                        ELSE r.signal_ids + row.signal_id END,
    r.partners = CASE WHEN row.partner IN r.partners THEN r.partners
                      ELSE r.partners + row.partner END,
    r.first_seen = CASE WHEN row.seen < r.first_seen THEN row.seen ELSE r.first_seen END,
    r.last_seen = CASE WHEN r.last_seen IS NULL OR row.seen > r.last_seen THEN row.seen
                       ELSE r.last_seen END
"""


MENTIONS_QUERIES = {label: _mentions_query(label) for label in LABEL_OF.values()}
LINK_QUERIES = {(edge.type, source, target): _link_query(edge.type, source, target)
                for edge in relation_types() for source in edge.sources for target in edge.targets}
"""(edge type, source label, target label) → query; the contract only lets a signal assert the
relations the model allows, so every link of a resolved signal has its query."""


@dataclass
class Batch:
    """The rows of one batch, grouped by the query that writes them."""

    signals: list[dict[str, Any]] = field(default_factory=list)
    mentions: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    links: dict[tuple[str, str, str], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list))


def batch_rows(records: Iterable[ConsumerRecord]) -> Batch:
    """Rows for the queries from ``signals.resolved`` records."""
    batch = Batch()
    for record in records:
        doc = json.loads(record.value)
        signal = doc["signal"]
        batch.signals.append({
            "signal_id": doc["signal_id"], "partner_id": doc["partner"],
            "revision": doc["revision"],
            "props": {"partner_id": doc["partner"], "partner_ref": signal["partner_ref"],
                      "observed_at": signal["observed_at"], "reported_at": signal["reported_at"],
                      "category": signal["category"], "severity": signal["severity"],
                      "distribution": signal["distribution"], "purpose": signal["purpose"],
                      "indicators": signal["indicators"],
                      "barrier_stages": signal["barrier_stages"],
                      "corroborated_by": doc["corroborated_by"]},
        })
        subjects = {s["ref"]: s for s in signal["subjects"]}
        for entity in doc["entities"]:
            batch.mentions[LABEL_OF[entity["type"]]].append({
                "signal_id": doc["signal_id"], "revision": doc["revision"], "ref": entity["ref"],
                "role": entity["role"], "entity_id": entity["entity_id"],
                "props": entity_properties(subjects[entity["ref"]]),
            })
        label_of_ref = {e["ref"]: LABEL_OF[e["type"]] for e in doc["entities"]}
        for link in doc["links"]:
            key = (link["type"], label_of_ref[link["source_ref"]], label_of_ref[link["target_ref"]])
            batch.links[key].append({
                "source": link["source"], "target": link["target"], "signal_id": doc["signal_id"],
                "partner": doc["partner"], "seen": signal["observed_at"],
            })
    return batch


def entity_properties(subject: dict[str, Any]) -> dict[str, Any]:
    """The searchable properties of an entity node from one mention (plain values only)."""
    props = {k: subject[k] for k in _PROPERTIES[subject["type"]] if subject.get(k) is not None}
    address = subject.get("address")
    if isinstance(address, dict):
        props.update({k: address[k] for k in _ADDRESS if address.get(k) is not None})
    return props


def write_batch(driver: Driver, database: str, batch: Batch) -> None:
    """Write one batch in one transaction."""
    with driver.session(database=database) as session:
        session.execute_write(_write, batch)


def _write(tx: ManagedTransaction, batch: Batch) -> None:
    tx.run(MERGE_SIGNALS, rows=batch.signals).consume()
    for label, rows in batch.mentions.items():
        tx.run(MENTIONS_QUERIES[label], rows=rows).consume()
    for key, rows in batch.links.items():
        tx.run(LINK_QUERIES[key], rows=rows).consume()


def run_sink(consumer: KafkaConsumer, driver: Driver, database: str,
             stop: threading.Event, max_records: int = 500) -> int:
    """Move batches from ``consumer`` to Neo4j until ``stop`` is set; return records written."""
    written = 0
    while not stop.is_set():
        batches = consumer.poll(timeout_ms=500, max_records=max_records)
        records: Sequence[ConsumerRecord] = [r for batch in batches.values() for r in batch]
        if not records:
            continue
        write_batch(driver, database, batch_rows(records))
        consumer.commit()
        written += len(records)
        log.info("sink.batch", records=len(records), total=written)
    return written
