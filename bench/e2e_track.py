"""What ``ketenlink bench e2e`` sees of a run, from outside the pipeline.

Two threads in the benchmark's process:

- a kafka-python consumer assigned to every partition of ``signals.normalised``,
  ``signals.resolved`` and every ``deliveries.<partner>`` from their end on entering: the broker
  timestamp of each normalised and resolved record, and when this process first read a delivery
  of each (signal id, revision);
- a poller of the sink group's committed offsets on ``signals.resolved``, every ``poll_s``: the
  sink commits a batch's offsets only after Neo4j committed its transaction, so a record below
  the committed offset is visible in Neo4j (noticed at most ``poll_s`` and a round trip late).
  Asking Neo4j itself for every pending signal 10 times a second would load the server being
  measured; ``in_graph`` asks Neo4j once, at the end of a phase.

Times are ``time.time()`` of this process; broker timestamps are the producers' (one machine,
one clock). A thread's failure is raised by the next ``check()``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import structlog
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from neo4j import Driver

from core.kafka_clients import client_options
from core.settings import KafkaSettings
from schemas.signal import signal_id_for
from streams.exceptions import E2EBenchError

log = structlog.get_logger(__name__)

Key = tuple[str, int]
"""(signal id, revision) of a resolved record."""
COUNT_CHUNK = 5_000
IN_GRAPH = "UNWIND $ids AS id MATCH (s:Signal {signal_id: id}) RETURN count(s) AS n"


@dataclass(frozen=True)
class TrackedTopics:
    normalised: str
    resolved: str
    deliveries: tuple[str, ...]
    sink_group: str


@dataclass
class Progress:
    """Counts and last moments of one set of signals (a phase); ``None`` while nothing came.
    The tracker keeps one per phase up to date on every event and hands out copies."""

    normalised: int = 0
    resolved: int = 0
    deliverable: int = 0
    delivered: int = 0
    visible: int = 0
    last_normalised_ms: int | None = None
    last_resolved_ms: int | None = None
    last_delivered_at: float | None = None
    last_visible_at: float | None = None

    def through(self) -> bool:
        """Whether every record resolved so far is in Neo4j and delivered where routed."""
        return self.visible >= self.resolved and self.delivered >= self.deliverable


def _later(current: float | None, new: float) -> float:
    return new if current is None or new > current else current


class Ledger:
    """What was seen of which signal, and when, counted per phase (``watch``); thread-safe, no
    I/O (the ``Tracker`` feeds it). Signals of no phase are kept for ``first_seen`` only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._phase_of: dict[str, str] = {}
        self._counts: dict[str, Progress] = {}
        self._resolved: dict[Key, bool] = {}
        """(id, revision) → routed to anyone."""
        self._delivered: dict[Key, float] = {}
        self._pending: dict[int, deque[tuple[int, Key]]] = defaultdict(deque)
        """Per partition of ``signals.resolved``: (offset, key) the sink has not committed."""
        self._first_delivered: dict[str, float] = {}
        self._first_visible: dict[str, float] = {}

    def watch(self, phase: str, signal_ids: Iterable[str]) -> None:
        """Count the signals ``signal_ids`` under ``phase`` from now on (a signal keeps its
        first phase)."""
        with self._lock:
            self._counts.setdefault(phase, Progress())
            for sid in signal_ids:
                self._phase_of.setdefault(sid, phase)

    def _of(self, sid: str) -> Progress | None:
        phase = self._phase_of.get(sid)
        return None if phase is None else self._counts[phase]

    def normalised(self, rows: Iterable[tuple[bytes, int]]) -> None:
        """(key ``partner/ref``, broker ms) of ``signals.normalised`` records."""
        with self._lock:
            for key, ms in rows:
                partner, _, ref = key.decode().partition("/")
                if (counts := self._of(signal_id_for(partner, ref))) is not None:
                    counts.normalised += 1
                    counts.last_normalised_ms = int(_later(counts.last_normalised_ms, ms))

    def resolved(self, rows: Iterable[tuple[Key, int, int, int, bool]]) -> None:
        """(key, partition, offset, broker ms, routed) of ``signals.resolved`` records."""
        with self._lock:
            for key, partition, offset, ms, routed in rows:
                if key in self._resolved:  # a replay keeps the first one's moments
                    continue
                self._resolved[key] = routed
                self._pending[partition].append((offset, key))
                if (counts := self._of(key[0])) is not None:
                    counts.resolved += 1
                    counts.deliverable += routed
                    counts.last_resolved_ms = int(_later(counts.last_resolved_ms, ms))
                    if routed and key in self._delivered:  # read before its resolved record
                        counts.delivered += 1
                        counts.last_delivered_at = _later(counts.last_delivered_at,
                                                          self._delivered[key])

    def delivered(self, keys: Iterable[Key], at: float) -> None:
        with self._lock:
            for key in keys:
                if key in self._delivered:
                    continue
                self._delivered[key] = at
                self._first_delivered.setdefault(key[0], at)
                counts = self._of(key[0])
                if counts is not None and self._resolved.get(key):
                    counts.delivered += 1
                    counts.last_delivered_at = _later(counts.last_delivered_at, at)

    def committed(self, offsets: Mapping[int, int], at: float) -> None:
        """The sink group's committed offset per partition: every record below it is visible."""
        with self._lock:
            for partition, offset in offsets.items():
                queue = self._pending[partition]
                while queue and queue[0][0] < offset:
                    _, key = queue.popleft()
                    self._first_visible.setdefault(key[0], at)
                    if (counts := self._of(key[0])) is not None:
                        counts.visible += 1
                        counts.last_visible_at = _later(counts.last_visible_at, at)

    def waiting(self) -> bool:
        """Whether a resolved record is not yet known to be visible."""
        with self._lock:
            return any(self._pending.values())

    def progress(self, phase: str) -> Progress:
        """Counts and last moments of the signals watched under ``phase``."""
        with self._lock:
            return replace(self._counts.get(phase) or Progress())

    def resolved_signals(self, signal_ids: Collection[str]) -> set[str]:
        """Those of ``signal_ids`` of which a resolved record was read."""
        with self._lock:
            return {sid for sid, _ in self._resolved if sid in signal_ids}

    def first_seen(self, signal_id: str) -> tuple[float | None, float | None]:
        """When a delivery of the signal was first read, and when it was first in Neo4j."""
        with self._lock:
            return self._first_delivered.get(signal_id), self._first_visible.get(signal_id)


class Tracker:
    """Follows a run's topics and sink into its ``ledger``; a context manager (threads stop on
    exit)."""

    def __init__(self, kafka: KafkaSettings | str, driver: Driver, database: str,
                 topics: TrackedTopics, deliverable: Callable[[dict[str, Any]], bool],
                 poll_s: float = 0.1) -> None:
        self._topics, self._deliverable, self._poll_s = topics, deliverable, poll_s
        self._driver, self._database = driver, database
        # CRCs in pure Python were most of this process's CPU, taken from the pipeline measured
        self._consumer = KafkaConsumer(**client_options(kafka), group_id=None,
                                       enable_auto_commit=False, fetch_max_wait_ms=20,
                                       check_crcs=False, client_id="ketenlink-bench-e2e-tracker")
        self._admin = KafkaAdminClient(**client_options(kafka),
                                       client_id="ketenlink-bench-e2e-offsets")
        self.ledger = Ledger()
        self._stop = threading.Event()
        self._failure: list[BaseException] = []
        self._threads = [threading.Thread(target=self._guard, args=(self._read,), daemon=True,
                                          name="e2e-kafka"),
                         threading.Thread(target=self._guard, args=(self._poll,), daemon=True,
                                          name="e2e-sink-offsets")]

    def __enter__(self) -> Tracker:
        names = (self._topics.normalised, self._topics.resolved, *self._topics.deliveries)
        partitions = [TopicPartition(t, p) for t in names
                      for p in self._consumer.partitions_for_topic(t) or ()]
        self._consumer.assign(partitions)
        self._consumer.seek_to_end()
        for tp in partitions:
            self._consumer.position(tp)  # fix the start now, before anything is published
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self._consumer.close()
        self._admin.close()

    def check(self) -> None:
        """Raise what stopped a tracking thread, if one stopped."""
        if self._failure:
            raise E2EBenchError("tracking", repr(self._failure[0]))

    def in_graph(self, signal_ids: Collection[str]) -> int:
        """How many of ``signal_ids`` are ``Signal`` nodes in Neo4j now (asked of Neo4j)."""
        ids, found = sorted(signal_ids), 0
        for i in range(0, len(ids), COUNT_CHUNK):
            records, _, _ = self._driver.execute_query(IN_GRAPH, ids=ids[i:i + COUNT_CHUNK],
                                                       database_=self._database)
            found += int(records[0]["n"])
        return found

    def _guard(self, loop: Callable[[], None]) -> None:
        try:
            loop()
        except BaseException as exc:  # handed to the main thread by check()
            log.error("bench_e2e.tracker_failed", error=repr(exc))
            self._failure.append(exc)

    def _read(self) -> None:
        deliveries = set(self._topics.deliveries)
        while not self._stop.is_set():
            for tp, batch in self._consumer.poll(timeout_ms=50).items():
                now = time.time()
                if tp.topic == self._topics.normalised:
                    self.ledger.normalised([(bytes(r.key), r.timestamp) for r in batch])
                elif tp.topic == self._topics.resolved:
                    self.ledger.resolved([self._resolved_row(r) for r in batch])
                elif tp.topic in deliveries:
                    self.ledger.delivered([(str(d["signal_id"]), int(d["revision"]))
                                           for d in (json.loads(r.value) for r in batch)], now)

    def _resolved_row(self, record: Any) -> tuple[Key, int, int, int, bool]:
        doc = json.loads(record.value)
        return ((doc["signal_id"], doc["revision"]), record.partition, record.offset,
                record.timestamp, self._deliverable(doc))

    def _poll(self) -> None:
        group = self._topics.sink_group
        while not self._stop.wait(self._poll_s):
            if not self.ledger.waiting():
                continue
            committed = self._admin.list_group_offsets({group: None}).get(group) or {}
            self.ledger.committed({tp.partition: meta.offset for tp, meta in committed.items()
                                   if tp.topic == self._topics.resolved}, time.time())
