"""``ketenlink sink``: resolved signals and entity merges into Neo4j.

A consumer group reads ``signals.resolved`` and ``entities.merges``. One poll batch becomes one
``GraphBatch`` and one ``execute_write`` (``graph.upsert``: constant queries generated from the
graph model, built to converge whatever the arrival order); the Kafka offsets are committed only
after Neo4j committed, so a crash replays the batch and the replay changes nothing.

What nobody but the publisher may see never reaches the graph: a Signal node keeps only the
properties ``policy.view.storable`` allows for the publisher's source kind (an anonymous tip's
partner_ref is dropped; its signal id, uuid5 of partner and partner_ref, is all the graph needs).

Faults:

- **Neo4j unavailable** (any error the driver calls retryable: server down, leader switch,
  deadlock): the sink pauses its partitions, keeps polling so it stays in the group, retries the
  same batch with exponential backoff (0.5 s doubling to 30 s) and resumes when Neo4j answers.
  Nothing is committed meanwhile, so nothing is lost.
- **Suppressed** (``policy.suppression``: erased persons, purged signals): each batch is
  read through the suppressions as they are when it is polled — a suppressed signal is not
  written, a suppressed person's mentions, relations and review candidates are left out of a
  signal that mentions others, a merge touching them is skipped; so a replay from offset 0
  into an empty graph brings none of it back.
- **A record the graph refuses** (not JSON, not a resolved record — ``schemas.resolved.
  ResolvedRecord``, parsed once per record — or a non-retryable Neo4j error on it): the batch
  is written record by record, and each record that still fails is parked on
  ``signals.rejected`` with its reason and original bytes; the rest is written.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from neo4j import Driver
from neo4j.exceptions import DriverError, Neo4jError

from consumers.paused_retry import retry_paused
from core.kafka_clients import client_options
from core.publisher import Publisher
from core.settings import KafkaSettings
from graph.review_candidates import review_id
from graph.upsert import GraphBatch, write_batch
from policy.registry import Registry, load_registry
from policy.resolved_view import read_resolved
from policy.suppression import EMPTY, SuppressionSet, SuppressionView
from policy.view import source_of, storable
from schemas.contract import validate
from schemas.graph_model import entity_properties, has_postal_address
from schemas.resolved import ResolvedRecord
from streams.resolve.features import ID_PREFIX

__all__ = ["GraphBatch", "SinkTopics", "batch_rows", "open_consumer", "run_sink", "write_batch"]

log = structlog.get_logger(__name__)

BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 30.0
DRIVER_RETRY_S = 5.0
"""The driver's own retry of a write (``open_driver(retry_s=...)``); past it, the sink's backoff
takes over, which keeps the consumer in its group while Neo4j is away."""


@dataclass(frozen=True)
class SinkTopics:
    """The topics the sink reads and the one it parks refused records on."""

    resolved: str
    merges: str
    rejected: str


def open_consumer(kafka: KafkaSettings | str, topics: SinkTopics, group_id: str) -> KafkaConsumer:
    """The sink's consumer: both input topics, manual commits, from the start when new."""
    return KafkaConsumer(topics.resolved, topics.merges, **client_options(kafka),
                         group_id=group_id, enable_auto_commit=False,
                         auto_offset_reset="earliest")


def batch_rows(resolved: Iterable[ResolvedRecord | Mapping[str, Any]],
               merges: Iterable[dict[str, Any]] = (), registry: Registry | None = None
               ) -> GraphBatch:
    """The rows of a batch from ``signals.resolved`` records (models, or their JSON as dicts)
    and ``entities.merges`` values; ``registry`` (default: the shipped ``policy/partners.yaml``)
    gives each publisher's source kind to ``policy.view.storable``. Raises ``InvalidRecord``
    for a resolved record that is none, ``KeyError``/``TypeError``/``ValueError`` for a merge."""
    registry = registry if registry is not None else load_registry()
    batch = GraphBatch()
    for doc in resolved:
        _add_resolved(batch, validate(ResolvedRecord, doc), registry)
    for merge in merges:
        _add_merge(batch, merge)
    return batch


def _add_resolved(batch: GraphBatch, doc: ResolvedRecord, registry: Registry) -> None:
    signal = doc.signal
    signal_id, revision = doc.signal_id, doc.revision
    batch.signals.append({
        "signal_id": signal_id, "partner_id": doc.partner, "revision": revision,
        "observed_at": signal["observed_at"], "reported_at": signal["reported_at"],
        "props": storable({
            "partner_id": doc.partner, "partner_ref": signal["partner_ref"],
            "category": signal["category"], "severity": signal["severity"],
            "distribution": signal["distribution"], "purpose": signal["purpose"],
            "indicators": signal["indicators"], "barrier_stages": signal["barrier_stages"],
            "corroborated_by": doc.corroborated_by}, source_of(registry, doc.partner)),
    })
    observed = utc_version_time(signal["observed_at"])
    subjects = {s["ref"]: s for s in signal["subjects"]}
    for entity in doc.entities:
        kind = entity.type
        batch.mentions[kind].append({
            "signal_id": signal_id, "revision": revision, "ref": entity.ref,
            "role": entity.role, "entity_id": entity.entity_id,
            "props": node_properties(subjects[entity.ref]),
            "version": f"{observed}|{signal_id}|{entity.ref}",
        })
        if kind == "location":
            batch.locations.add(entity.entity_id)
    for link in doc.links:
        batch.links[link.type].append({
            "signal_id": signal_id, "revision": revision, "source": link.source,
            "target": link.target})
    for review in doc.review:
        a, b = sorted((review.entity_id, review.candidate))
        if a != b:
            batch.reviews.append({"review_id": review_id(a, b), "a": a, "b": b,
                                  "score": float(review.score), "signal_id": signal_id,
                                  "observed_at": signal["observed_at"]})


def _add_merge(batch: GraphBatch, merge: dict[str, Any]) -> None:
    kind = kind_of(merge["merged"])
    row = {"merged": merge["merged"], "into": merge["into"], "reason": merge.get("reason"),
           "record_id": merge.get("record_id")}
    if not all(isinstance(row[k], str) for k in ("merged", "into")):
        raise TypeError("a merge needs 'merged' and 'into' entity ids")
    batch.merges[kind].append(row)
    if kind == "location":
        batch.locations.update((row["merged"], row["into"]))


_KIND_OF_PREFIX = {prefix: kind for kind, prefix in ID_PREFIX.items()}


def kind_of(entity_id: str) -> str:
    """The subject type of an entity id from its prefix (``streams.resolve.features.ID_PREFIX``)."""
    kind = _KIND_OF_PREFIX.get(entity_id[:2])
    if kind is None:
        raise ValueError(f"not an entity id: {entity_id!r}")
    return kind


def node_properties(subject: dict[str, Any]) -> dict[str, Any]:
    """The node properties one mention asserts (plain values only; absent ones left out)."""
    kind = subject["type"]
    flat = dict(subject)
    if has_postal_address(kind) and isinstance(subject.get("address"), dict):
        flat.update(subject["address"])
    return {k: flat[k] for k in entity_properties(kind) if flat.get(k) is not None}


def utc_version_time(timestamp: str) -> str:
    """A fixed-width UTC form of an ISO timestamp, so that versions compare as text."""
    return datetime.fromisoformat(timestamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class SinkStats:
    """What a sink run did."""

    written: int = 0
    parked: int = 0
    retries: int = 0


def run_sink(consumer: KafkaConsumer, driver: Driver, database: str, topics: SinkTopics,
             parking: Publisher, stop: threading.Event, max_records: int = 5000,
             on_batch: Callable[[int], None] | None = None, registry: Registry | None = None,
             suppressions: SuppressionView = EMPTY, stats: SinkStats | None = None) -> SinkStats:
    """Move batches from ``consumer`` (subscribed to ``topics.resolved`` and ``topics.merges``)
    into Neo4j until ``stop`` is set (``registry``: see ``batch_rows``); ``stats``, when given,
    is counted in as the sink runs."""
    registry = registry if registry is not None else load_registry()
    stats = stats if stats is not None else SinkStats()
    while not stop.is_set():
        polled = consumer.poll(timeout_ms=500, max_records=max_records)
        records: Sequence[ConsumerRecord] = [r for batch in polled.values() for r in batch]
        if not records:
            continue
        if not _write_with_retry(consumer, driver, database, topics, parking, records, stop,
                                 stats, registry, suppressions.current()):
            break  # stopped while Neo4j was away: nothing committed, the batch is read again
        consumer.commit()
        stats.written += len(records)
        log.info("sink.batch", records=len(records), total=stats.written, parked=stats.parked)
        if on_batch is not None:
            on_batch(len(records))
    return stats


def _write_with_retry(consumer: KafkaConsumer, driver: Driver, database: str,
                      topics: SinkTopics, parking: Publisher, records: Sequence[ConsumerRecord],
                      stop: threading.Event, stats: SinkStats, registry: Registry,
                      suppressed: SuppressionSet = EMPTY) -> bool:
    """Write ``records``; wait out Neo4j outages. False when stopped before it succeeded."""
    def attempt() -> bool:
        _write_or_park(driver, database, topics, parking, records, stats, registry, suppressed)
        return True

    def waiting(exc: Exception, delay: float) -> None:
        stats.retries += 1
        log.warning("sink.neo4j_unavailable", error=str(exc) or type(exc).__name__,
                    retry_in_s=delay, records=len(records))

    return retry_paused(consumer, attempt, _neo4j_retryable, stop,
                        first_delay_s=BACKOFF_START_S, max_delay_s=BACKOFF_MAX_S,
                        on_retry=waiting) is not None


def _neo4j_retryable(exc: Exception) -> bool:
    return isinstance(exc, Neo4jError | DriverError) and exc.is_retryable()


def _write_or_park(driver: Driver, database: str, topics: SinkTopics, parking: Publisher,
                   records: Sequence[ConsumerRecord], stats: SinkStats, registry: Registry,
                   suppressed: SuppressionSet = EMPTY) -> None:
    """One transaction for the batch; when the batch holds a record the graph refuses, each
    record on its own, parking those that fail."""
    try:
        write_batch(driver, database, _batch(records, topics, registry, suppressed))
        return
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("sink.batch_refused", error=repr(exc), records=len(records))
    except Neo4jError as exc:
        if exc.is_retryable():
            raise
        log.warning("sink.batch_refused", error=str(exc), records=len(records))
    for record in records:
        try:
            write_batch(driver, database, _batch([record], topics, registry, suppressed))
        except (KeyError, TypeError, ValueError) as exc:
            _park(parking, topics.rejected, record, f"not a {_kind(record, topics)} record: "
                                                    f"{type(exc).__name__}: {exc}")
            stats.parked += 1
        except Neo4jError as exc:
            if exc.is_retryable():
                raise
            _park(parking, topics.rejected, record, f"refused by Neo4j: {exc.code}: {exc.message}")
            stats.parked += 1


def _batch(records: Iterable[ConsumerRecord], topics: SinkTopics, registry: Registry,
           suppressed: SuppressionSet = EMPTY) -> GraphBatch:
    resolved: list[ResolvedRecord] = []
    merges: list[dict[str, Any]] = []
    for record in records:
        if record.topic == topics.merges:
            doc = orjson.loads(record.value)
            if not isinstance(doc, dict):
                raise TypeError("a JSON object is expected")
            if suppressed.keeps_merge(doc):
                merges.append(doc)
        elif (kept := read_resolved(ResolvedRecord, record.value, suppressed)) is not None:
            resolved.append(kept)
    return batch_rows(resolved, merges, registry)


def _kind(record: ConsumerRecord, topics: SinkTopics) -> str:
    return "merge" if record.topic == topics.merges else "resolved-signal"


def _park(parking: Publisher, topic: str, record: ConsumerRecord, reason: str) -> None:
    log.error("sink.parked", topic=record.topic, partition=record.partition,
              offset=record.offset, reason=reason)
    parking.publish(topic, record.key, json.dumps({
        "reason": reason, "partner": None, "source_topic": record.topic,
        "source_partition": record.partition, "source_offset": record.offset,
        "original_base64": base64.b64encode(record.value or b"").decode(),
        "rejected_at": datetime.now(UTC).isoformat(),
    }, separators=(",", ":")).encode())
