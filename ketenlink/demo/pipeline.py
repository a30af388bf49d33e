"""Waiting for the pipeline: this run's records read back from the stream's topics, the
consumer groups' lag, one live progress line, until the intake, resolution and the graph sink
are through, or nothing has moved for ``STALL_TIMEOUT_S``."""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kafka import KafkaConsumer, TopicPartition

from core.kafka_clients import client_options
from core.neo4j_driver import open_driver
from core.settings import Settings
from core.topics import TopicLayout
from ketenlink.demo.errors import DemoError
from ketenlink.demo.progress import Progress
from ketenlink.demo.records import Parked, Published, Resolved
from ketenlink.demo.scenario import broken_records
from ketenlink.demo.services import Services

STALL_TIMEOUT_S = 180.0
"""Nothing moving this long while waiting for the pipeline: give up. A worker recovers its
tables from the changelogs before it reads anything (on a stack used for a while, a minute)."""

Step = Literal["done", "wait", "fail"]


class _TopicReader:
    """Every partition of a topic, from given offsets (else from the beginning)."""

    def __init__(self, settings: Settings, topic: str, start: Mapping[int, int] | None = None) -> None:
        self._consumer = KafkaConsumer(**client_options(settings.kafka),
                                       enable_auto_commit=False)
        self._partitions = [TopicPartition(topic, p)
                            for p in sorted(self._consumer.partitions_for_topic(topic) or ())]
        self._consumer.assign(self._partitions)
        for tp in self._partitions:
            if start is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, start.get(tp.partition, 0))

    def read(self, budget_s: float = 0.5) -> list[Any]:
        """The records that arrived, polled for at most about ``budget_s``."""
        out: list[Any] = []
        deadline = time.monotonic() + budget_s
        while time.monotonic() < deadline:
            batches = self._consumer.poll(timeout_ms=100, max_records=5000)
            if not batches:
                break
            out.extend(record for batch in batches.values() for record in batch)
        return out

    def caught_up(self) -> bool:
        ends = self._consumer.end_offsets(self._partitions)
        return all(self._consumer.position(tp) >= ends[tp] for tp in self._partitions)

    def close(self) -> None:
        self._consumer.close()


class _Lag:
    """How many records of ``topics`` a consumer group has not committed yet."""

    def __init__(self, settings: Settings, group: str, topics: Sequence[str]) -> None:
        self._probe = KafkaConsumer(**client_options(settings.kafka),
                                    group_id=group, enable_auto_commit=False)
        self._partitions = [TopicPartition(t, p) for t in topics
                            for p in self._probe.partitions_for_topic(t) or ()]

    def behind(self) -> int:
        ends = self._probe.end_offsets(self._partitions)
        return sum(max(0, ends[tp] - (self._probe.committed(tp) or 0)) for tp in self._partitions)

    def close(self) -> None:
        self._probe.close()


def end_offsets(settings: Settings, topics: Sequence[str]) -> dict[str, dict[int, int]]:
    """Topic -> partition -> its end offset now (where this run's records will start)."""
    consumer = KafkaConsumer(**client_options(settings.kafka))
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        out: dict[str, dict[int, int]] = {t: {} for t in topics}
        for tp, end in consumer.end_offsets(partitions).items():
            out[tp.topic][tp.partition] = end
        return out
    finally:
        consumer.close()


@dataclass
class _Watch:
    """What the wait has seen so far of this run."""

    ids: set[str]
    run_id: str
    inbound: frozenset[str] = frozenset()
    normalised: set[tuple[str, int, int]] = field(default_factory=set)
    """The inbound records (topic, partition, offset) the intake passed; a record the worker
    reads again (a replay after a crash) passes again, and counts once."""
    verdicts: dict[tuple[str, int], str] = field(default_factory=dict)
    parked: dict[tuple[str, str, int, int], Parked] = field(default_factory=dict)
    """(who parked it, source topic, partition, offset) -> the record, likewise once."""

    def see_normalised(self, records: Iterable[Any]) -> None:
        for record in records:
            value = json.loads(record.value)
            if value["signal"]["signal_id"] in self.ids:
                source = value["source"]
                self.normalised.add((source["topic"], source["partition"], source["offset"]))

    def see_resolved(self, records: Iterable[Any]) -> None:
        for record in records:
            value = json.loads(record.value)
            if value["signal_id"] in self.ids:
                self.verdicts[(value["signal_id"], int(value["revision"]))] = value["verdict"]

    def see_rejected(self, records: Iterable[Any]) -> None:
        for record in records:
            doc = json.loads(record.value)
            original = _original(doc)
            if self.run_id in original:  # the references end in the run id, the broken ids too
                by = "intake" if doc.get("source_topic") in self.inbound else str(doc.get("partner"))
                broken = any(original == raw.decode() for _, raw in broken_records(self.run_id))
                source = (by, str(doc.get("source_topic")), int(doc.get("source_partition") or 0),
                          int(doc.get("source_offset") or 0))
                self.parked[source] = Parked(doc["reason"], by, broken)

    @property
    def through_intake(self) -> int:
        return len(self.normalised) + sum(p.by == "intake" for p in self.parked.values())


def _original(doc: dict[str, str]) -> str:
    return base64.b64decode(doc.get("original_base64", "")).decode(errors="replace")


@dataclass(frozen=True)
class WaitStatus:
    """One look at the pipeline while the demo waits (this run's records only)."""

    intake: int
    """Records through the intake: on ``signals.normalised`` or parked by it."""
    expected: int
    worker_lag: int
    """Records of ``signals.normalised`` the worker has not committed (resolution to do)."""
    resolved: int
    in_graph: int
    signals: int
    sink_lag: int
    parked: int
    resolved_read: bool
    """Whether the demo has read ``signals.resolved`` to its end."""

    @property
    def done(self) -> bool:
        return (self.intake >= self.expected and self.worker_lag == 0 and self.sink_lag == 0
                and self.resolved_read)

    def line(self, elapsed: float) -> str:
        return (f"  {elapsed:>4.0f} s  intake {self.intake}/{self.expected}  resolution lag "
                f"{self.worker_lag}  resolved {self.resolved}  graph {self.in_graph}/{self.signals}  "
                f"sink lag {self.sink_lag}  parked {self.parked}")


def next_step(status: WaitStatus, quiet_s: float) -> Step:
    """``done``, ``wait`` or ``fail``, given the status and how long it has not changed.
    Records faust dropped from a batch are read again in the same run (the worker's offset
    guard, ``streams/gap_guard.py``), so a stall is waited out only up to ``STALL_TIMEOUT_S``."""
    if status.done:
        return "done"
    return "fail" if quiet_s >= STALL_TIMEOUT_S else "wait"


class _Pipeline:
    """Measures this run's progress through the stream and into the graph."""

    def __init__(self, settings: Settings, layout: TopicLayout, watch: _Watch, expected: int,
                 before: Mapping[str, Mapping[int, int]]) -> None:
        self.settings, self.watch, self.expected = settings, watch, expected
        normalised, resolved = layout.normalised, layout.resolved
        self._normalised = _TopicReader(settings, normalised, before[normalised])
        self._resolved = _TopicReader(settings, resolved, before[resolved])
        self._rejected = _TopicReader(settings, layout.rejected)
        self._worker = _Lag(settings, settings.faust_app_id, [normalised])
        self._sink = _Lag(settings, f"{settings.faust_app_id}-graph-sink",
                          [resolved, layout.merges])

    def status(self, driver: Any) -> WaitStatus:
        watch = self.watch
        watch.see_normalised(self._normalised.read())
        watch.see_resolved(self._resolved.read())
        watch.see_rejected(self._rejected.read())
        return WaitStatus(watch.through_intake, self.expected, self._worker.behind(),
                          len(watch.verdicts), _count_in_graph(driver, self.settings, watch.ids),
                          len(watch.ids), self._sink.behind(), len(watch.parked),
                          self._resolved.caught_up())

    def close(self) -> None:
        for closeable in (self._normalised, self._resolved, self._rejected, self._worker, self._sink):
            closeable.close()


def _count_in_graph(driver: Any, settings: Settings, ids: Collection[str]) -> int:
    records, _, _ = driver.execute_query(
        "UNWIND $ids AS id MATCH (s:Signal {signal_id: id}) RETURN count(s) AS n",
        ids=list(ids), database_=settings.neo4j.database)
    return int(records[0]["n"])


def await_pipeline(settings: Settings, layout: TopicLayout, run_id: str, published: Published,
                   before: Mapping[str, Mapping[int, int]], services: Services,
                   echo: Callable[[str], None], broken: int | None = None) -> Resolved:
    """Until every published record went through the intake (to ``signals.normalised`` or
    parked), the worker committed all of ``signals.normalised`` (resolution done), the sink all
    of ``signals.resolved`` and ``entities.merges`` (the graph written): progress meanwhile.
    ``DemoError`` when nothing has moved for ``STALL_TIMEOUT_S``. ``broken``: how many
    hand-broken records were published besides (default: the demo's ``broken_records``)."""
    watch = _Watch(published.ids, run_id, inbound=frozenset(layout.inbound()))
    extra = len(broken_records(run_id)) if broken is None else broken
    pipeline = _Pipeline(settings, layout, watch, len(published.sent) + extra, before)
    started = changed = time.monotonic()
    last: WaitStatus | None = None
    try:
        with open_driver(settings.neo4j) as driver, Progress(echo, sys.stdout) as progress:
            while True:
                services.check()
                status = pipeline.status(driver)
                now = time.monotonic()
                if status != last:
                    changed, last = now, status
                progress.update(status.line(now - started))
                step = next_step(status, now - changed)
                if step == "done":
                    break
                if step == "fail":
                    raise DemoError(f"nothing moved for {STALL_TIMEOUT_S:.0f} s: "
                                    f"{status.line(now - started).strip()}; see the logs in "
                                    f"{services.log_dir} (worker.log for the intake and "
                                    "resolution, sink.log for the graph)")
                time.sleep(1.0)
        echo(f"  caught up after {now - started:.0f} s: {status.intake} records through the intake, "
             f"{status.resolved} on signals.resolved, {status.in_graph} signals in the graph")
        return Resolved(dict(watch.verdicts), tuple(watch.parked.values()), status.in_graph)
    finally:
        pipeline.close()
