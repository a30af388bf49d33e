"""The raw baselines of ``ketenlink bench e2e`` and the graph clean-up after it.

- **Kafka**: ``ProducerPerformance`` (``bench.publish.java_producer``: the publisher's producer
  settings) then ``ConsumerPerformance`` (``org.apache.kafka.tools.ConsumerPerformance``, same
  jar) of as many records as the run publishes, of the mean size of its signals, on a topic of
  its own.
- **Neo4j warm-up** (``warm_graph``, before the pipeline starts; not timed): generated resolved
  records through the sink's writes, then deleted, so that the timed phases meet a warm server.
- **Neo4j**: the run's own ``signals.resolved`` and ``entities.merges`` records, read back, as
  disjoint copies (``bench.graph_data.copy_record``: ids suffixed ``x<tag>``). The raw copy also
  suffixes the partner and the municipality, as ``bench.graph_raw`` *creates* those and they
  exist already. Written (1) by ``bench.graph_raw``'s plain ``UNWIND ... CREATE`` in batches of
  the sink's size, (2) by ``run_sink`` (``bench.graph.drain``) from topics of their own. Each
  copy is deleted by its ids after it was timed, so both meet the same graph and the database is
  never wiped: the benchmark may run on a shared stack.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from kafka import KafkaConsumer, TopicPartition
from neo4j import Driver

from bench.graph import SINK_BATCH, drain
from bench.graph_data import Resolved, copy_merge, copy_record, resolved_records
from bench.graph_raw import CREATE_MUNICIPALITIES, CREATE_PARTNERS, RawPlan, plan_raw, write_raw
from bench.publish import java_producer
from consumers.graph_sink import SinkTopics, batch_rows
from core.kafka_clients import client_options
from core.publisher import Publisher
from core.settings import KafkaSettings, Settings
from graph.review_candidates import review_id
from graph.upsert import write_batch
from infra.runtime import ensure_runtime
from infra.tools import find_java
from policy.registry import load_registry
from schemas.graph_model import ENTITY_LABEL
from streams.exceptions import E2EBenchError

log = structlog.get_logger(__name__)

DELETE_CHUNK = 2_000
WARM_GRAPH_SIGNALS = 3_000
"""Generated resolved records the sink's writes go through before the timed phases."""
WARM_GRAPH_BATCH = 500
_DELETE_BY = (("Signal", "signal_id", "signals"), (ENTITY_LABEL, "entity_id", "entities"),
              ("ReviewCandidate", "review_id", "reviews"), ("Partner", "partner_id", "partners"),
              ("Municipality", "code", "municipalities"))


@dataclass
class GraphIds:
    """Every node a set of records makes that no other run shares (the keys to delete by)."""

    signals: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    reviews: set[str] = field(default_factory=set)
    partners: set[str] = field(default_factory=set)
    municipalities: set[str] = field(default_factory=set)

    def count(self) -> int:
        return sum(len(getattr(self, attr)) for _, _, attr in _DELETE_BY)


def java_consumer(settings: Settings, topic: str, records: int, group: str) -> dict[str, Any]:
    """Kafka's ConsumerPerformance reading ``records`` from ``topic``; the rate without the
    group join (``fetch.nMsg.sec``) and with it (``nMsg.sec``)."""
    runtime = ensure_runtime("kafka", settings.kafka.version, settings.cache_dir.expanduser())
    out = subprocess.run(
        [str(find_java().java), "-Xmx512m", "-cp", runtime.classpath,
         "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server",
         settings.kafka.bootstrap_servers, "--topic", topic, "--messages", str(records),
         "--group", group, "--timeout", "30000"],
        capture_output=True, text=True, check=False, timeout=600)
    lines = [line for line in out.stdout.splitlines() if re.match(r"\s*start\.time|\d{4}-", line)]
    if out.returncode != 0 or len(lines) < 2:
        raise E2EBenchError("raw kafka", "ConsumerPerformance: " + (out.stderr or out.stdout)[-500:])
    row = dict(zip((h.strip() for h in lines[0].split(",")), (v.strip() for v in lines[1].split(",")),
                   strict=False))
    consumed = int(row["data.consumed.in.nMsg"])
    if consumed < records:
        raise E2EBenchError("raw kafka", f"ConsumerPerformance read {consumed} of {records}")
    return {"records": consumed, "per_s": round(float(row["fetch.nMsg.sec"]), 1),
            "per_s_with_group_join": round(float(row["nMsg.sec"]), 1),
            "group_join_ms": int(row["rebalance.time.ms"])}


def raw_kafka(settings: Settings, topic: str, records: int, record_size: int) -> dict[str, Any]:
    """ProducerPerformance, then ConsumerPerformance of the same records."""
    produced = java_producer(settings, topic, records, record_size)
    consumed = java_consumer(settings, topic, records, f"{topic}-perf-consumer")
    return {"records": records, "record_size": record_size,
            "produce": {"seconds": round(produced.seconds, 3), "per_s": round(produced.per_s, 1),
                        "settings": "acks=all, idempotent, gzip, linger 5 ms (the publisher's)"},
            "consume": consumed}


def read_topic(kafka: KafkaSettings | str, topic: str) -> list[Resolved]:
    """Every record of ``topic`` (all partitions, start to the end offsets at call time)."""
    consumer = KafkaConsumer(**client_options(kafka), group_id=None,
                             enable_auto_commit=False, check_crcs=False,
                             client_id="ketenlink-bench-e2e-read")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        out: list[Resolved] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for batch in consumer.poll(timeout_ms=500).values():
                out.extend(Resolved(r.key or b"", r.value) for r in batch)
        return out
    finally:
        consumer.close()


def ids_of(records: Iterable[Resolved], merges: Iterable[Resolved]) -> GraphIds:
    """The signals, entities and review candidates of resolved records and merge events."""
    ids = GraphIds()
    for record in records:
        doc = json.loads(record.value)
        ids.signals.add(doc["signal_id"])
        ids.entities.update(e["entity_id"] for e in doc["entities"])
        ids.entities.update(e for link in doc["links"] for e in (link["source"], link["target"]))
        ids.entities.update(e for m in doc["merges"] for e in (m["merged"], m["into"]))
        ids.reviews.update(review_id(r["entity_id"], r["candidate"]) for r in doc.get("review") or ())
    for merge in merges:
        doc = json.loads(merge.value)
        ids.entities.update((doc["merged"], doc["into"]))
    return ids


def raw_copy(value: bytes, tag: str) -> bytes:
    """``copy_record`` with the partner and every address's municipality and city suffixed too
    (the raw baseline creates those nodes, which the pipeline's graph already has)."""
    doc = json.loads(copy_record(value, tag).value)
    suffix = f"x{tag}"
    doc["partner"] += suffix
    doc["signal"]["partner"] = doc["partner"]
    for subject in doc["signal"]["subjects"]:
        for where in (subject, subject.get("address")):
            if isinstance(where, dict):
                for key in ("municipality", "city"):
                    if isinstance(where.get(key), str):
                        where[key] += suffix
    return json.dumps(doc, separators=(",", ":")).encode()


def plan_ids(plan: RawPlan) -> GraphIds:
    """Every node a raw plan creates."""
    ids = GraphIds()
    for batch in plan.batches:
        for query, rows in batch.nodes:
            for row in rows:
                props = row.get("props", row)
                if "signal_id" in props:
                    ids.signals.add(props["signal_id"])
                elif "entity_id" in props:
                    ids.entities.add(props["entity_id"])
                elif query == CREATE_PARTNERS:
                    ids.partners.add(row["partner_id"])
                elif query == CREATE_MUNICIPALITIES:
                    ids.municipalities.add(row["code"])
    return ids


def delete_ids(driver: Driver, database: str, ids: GraphIds) -> float:
    """``DETACH DELETE`` exactly these nodes, in chunks; the seconds it took."""
    start = time.perf_counter()
    for label, key, attr in _DELETE_BY:
        values = sorted(getattr(ids, attr))
        query = f"UNWIND $ids AS id MATCH (n:{label} {{{key}: id}}) DETACH DELETE n"
        for i in range(0, len(values), DELETE_CHUNK):
            driver.execute_query(query, ids=values[i:i + DELETE_CHUNK], database_=database)
    return time.perf_counter() - start


def warm_graph(settings: Settings, driver: Driver, tag: str, seed: int,
               signals: int = WARM_GRAPH_SIGNALS) -> float:
    """Warm Neo4j up for the timed phases, as a server that has been running would be: generated
    resolved records and their merges, as disjoint copies (ids suffixed ``x<tag>``), written with
    the sink's own ``write_batch``, then deleted by id. A freshly started Neo4j spends about four
    times the CPU per record on its first writes (JIT compilation, first plans; measured 4.3 ms
    against 1.1 ms a record), CPU the worker on the same cores then lacks. The seconds it took."""
    start = time.perf_counter()
    made = resolved_records(signals, seed, settings.pseudonym_key)
    records = [copy_record(r.value, tag) for r in made.records]
    merges = [copy_merge(m.value, tag) for m in made.merges]
    docs = [json.loads(r.value) for r in records]
    merge_docs = [json.loads(m.value) for m in merges]
    registry = load_registry()
    for i in range(0, len(docs), WARM_GRAPH_BATCH):  # merges in proportion, as the sink sees them
        j = min(i + WARM_GRAPH_BATCH, len(docs))
        write_batch(driver, settings.neo4j.database,
                    batch_rows(docs[i:j], merge_docs[len(merge_docs) * i // len(docs):
                                                     len(merge_docs) * j // len(docs)],
                               registry))
    delete_ids(driver, settings.neo4j.database, ids_of(records, merges))
    return time.perf_counter() - start


def graph_baselines(settings: Settings, driver: Driver, records: Sequence[Resolved],
                    merges: Sequence[Resolved], capacity: SinkTopics, tag: str,
                    timeout_s: float) -> dict[str, Any]:
    """Raw ``UNWIND ... CREATE`` and ``run_sink`` on disjoint copies of the run's records."""
    database = settings.neo4j.database
    warm = plan_raw([raw_copy(r.value, f"w{tag}") for r in records[:SINK_BATCH]], SINK_BATCH)
    write_raw(driver, database, warm)  # query plans, page cache; not timed
    delete_ids(driver, database, plan_ids(warm))
    plan = plan_raw([raw_copy(r.value, f"r{tag}") for r in records], SINK_BATCH)
    log.info("bench_e2e.raw_neo4j", batches=len(plan.batches), nodes=plan.nodes,
             relationships=plan.relationships)
    raw_s = write_raw(driver, database, plan)
    deleted_s = delete_ids(driver, database, plan_ids(plan))
    copies = [copy_record(r.value, f"s{tag}") for r in records]
    merge_copies = [copy_merge(m.value, f"s{tag}") for m in merges]
    with Publisher(settings.kafka, client_id="ketenlink-bench-e2e") as publisher:
        for topic, batch in ((capacity.resolved, copies), (capacity.merges, merge_copies)):
            for i in range(0, len(batch), 10_000):
                publisher.publish_many(topic, [(c.key, c.value) for c in batch[i:i + 10_000]])
    sink = drain(settings, driver, capacity, f"{capacity.resolved}-sink", len(copies) +
                 len(merge_copies), timeout_s)
    deleted_s += delete_ids(driver, database, ids_of(copies, merge_copies))
    return {
        "records": len(records), "merge_records": len(merges), "batch_records": SINK_BATCH,
        "raw": {"seconds": round(raw_s, 3), "per_s": round(len(records) / raw_s, 1),
                "graph_rows": plan.nodes + plan.relationships,
                "writes": "bench.graph_raw: UNWIND ... CREATE of the final graph, no MERGE"},
        "sink": {"seconds": round(sink.seconds, 3), "per_s": round(len(records) / sink.seconds, 1),
                 "wall_s_with_group_join": round(sink.wall_s, 3), **sink.batches(),
                 "writes": "consumers.graph_sink.run_sink from Kafka, offsets committed"},
        "copies_deleted_s": round(deleted_s, 1),
    }
