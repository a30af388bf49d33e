"""The timed phases of ``ketenlink bench e2e``: throughput, then latency at a steady rate.

Both run against child processes already warmed up, and watch them through a ``Tracker``. A
phase is over when every record the resolve stage emits for its signals is visible in Neo4j
and delivered wherever routing sends it. How many it emits is predicted by in-process dedupe;
should the prediction be off (a resend that reaches the resolve stage in another order than it
was published), the phase also ends once intake has passed every record and the resolve stage
has been idle for ``QUIET_S``, and reports what is missing.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from bench.e2e_report import percentiles
from bench.e2e_track import Ledger, Progress, Tracker
from bench.route import _check, _paced
from core.kafka_clients import client_options
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout
from policy.registry import Registry
from schemas.resolved import RecordSource, ResolvedRecord
from schemas.signal import Signal
from streams.exceptions import E2EBenchError, StreamError
from streams.recipients import route

PUBLISH_CHUNK = 2_000
REPORT_S, STALL_S, QUIET_S = 5.0, 120.0, 15.0
Record = tuple[str, bytes, bytes]


@dataclass(frozen=True)
class Batch:
    """A phase's signals, serialised as (topic, key, value), and which of them the resolve stage
    passes on (``kept``: new or revision, not a suppressed resend)."""

    signals: list[Signal]
    records: list[Record]
    kept: list[bool]

    def ids(self) -> set[str]:
        return {str(s.signal_id) for s in self.signals}

    def expected(self, ids: set[str]) -> tuple[int, int]:
        """(records published, records the resolve stage emits) of the signals ``ids``."""
        mine = [k for s, k in zip(self.signals, self.kept, strict=True) if s.signal_id in ids]
        return len(mine), sum(mine)

    def resolved_ids(self) -> set[str]:
        return {str(s.signal_id) for s, k in zip(self.signals, self.kept, strict=True) if k}

    def first(self) -> dict[str, Signal]:
        """Each signal id's first published version."""
        out: dict[str, Signal] = {}
        for signal in self.signals:
            out.setdefault(str(signal.signal_id), signal)
        return out


@dataclass(frozen=True)
class Pipeline:
    """The running child processes and what watches them."""

    settings: Settings
    layout: TopicLayout
    registry: Registry
    tracker: Tracker
    services: dict[str, ServiceProcess]
    folder: Path
    echo: Callable[[str], None]
    servers: dict[str, int] = field(default_factory=dict)
    """pid of the Kafka broker and the Neo4j server, where known (their CPU is reported too)."""

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time so far of each child, each server and this process (the measuring)."""
        pids = {**{n: s._proc.pid for n, s in self.services.items() if s._proc}, **self.servers,
                "bench (this process)": os.getpid()}
        return {name: proc_cpu_seconds(pid) for name, pid in pids.items()}

    def healthy(self, phase: str) -> None:
        """Raise ``E2EBenchError`` when a child exited (its log's tail) or tracking failed."""
        try:
            _check(list(self.services.values()), self.folder)
        except StreamError as exc:
            raise E2EBenchError(phase, str(exc)) from exc
        self.tracker.check()


def routed(doc: ResolvedRecord | Mapping[str, Any], registry: Registry,
           layout: TopicLayout) -> bool:
    """Whether the router sends this resolved record to anyone (every subscriber takes all)."""
    return bool(route(doc, registry, layout.recipients, datetime.now(UTC)))


def as_record(signal: Signal) -> ResolvedRecord:
    """A resolved record of the signal as routing reads it: its first revision, with no
    entities, merges, corroboration or risk (routing reads those only for subscriptions that
    filter on them; every subscriber here takes all)."""
    return ResolvedRecord(
        signal_id=str(signal.signal_id), revision=1, verdict="new", fingerprint="",
        partner=signal.partner, source=RecordSource(topic="", partition=0, offset=0),
        signal=signal.model_dump(mode="json"), entities=[], links=[], review=[], merges=[],
        corroborated_by=[], risk={})


def throughput(p: Pipeline, batch: Batch, timeout_s: float) -> dict[str, Any]:
    """Publish every signal through the ``Publisher``; time until the last is in Neo4j."""
    ids = batch.ids()
    records, expected = batch.expected(ids)
    p.tracker.ledger.watch("throughput", ids)
    p.echo(f"throughput: publishing {records:,} signals ({expected:,} records will be resolved, "
           "the rest are resends) ...")
    cpu = p.cpu_seconds()
    t0 = time.time()
    with Publisher(p.settings.kafka, client_id="ketenlink-bench-e2e") as publisher:
        for i in range(0, len(batch.records), PUBLISH_CHUNK):
            by_topic: dict[str, list[tuple[bytes | None, bytes | None]]] = defaultdict(list)
            for topic, key, value in batch.records[i:i + PUBLISH_CHUNK]:
                by_topic[topic].append((key, value))
            for topic, chunk in by_topic.items():
                publisher.publish_many(topic, chunk)
    published = time.time() - t0
    samples: list[dict[str, float]] = []
    progress, ended = wait(p, "throughput", (records, expected), t0, timeout_s, samples,
                           STALL_S)
    if progress.last_visible_at is None or progress.last_resolved_ms is None:
        raise E2EBenchError("throughput", "no signal reached Neo4j")
    wall = time.time() - t0
    cpu_share = {name: round((used - cpu[name]) / wall, 2)
                 for name, used in p.cpu_seconds().items()}
    end = progress.last_visible_at
    resolved_s = progress.last_resolved_ms / 1000 - t0
    delivered_s = (progress.last_delivered_at or end) - t0
    stages = {"publish": (records, published, None),
              "intake (normalised)": (progress.normalised,
                                      (progress.last_normalised_ms or 0) / 1000 - t0, None),
              "resolve": (progress.resolved, resolved_s, None),
              "sink (in Neo4j)": (progress.visible, end - t0, end - t0 - resolved_s),
              "router (delivered)": (progress.delivered, delivered_s, delivered_s - resolved_s)}
    resolved_ids = p.tracker.ledger.resolved_signals(ids)
    return {"seconds": round(end - t0, 2), "e2e_per_s": round(records / (end - t0), 1),
            "ended": ended, "resolved_records": progress.resolved,
            "expected_resolved_records": expected, "signals_resolved": len(resolved_ids),
            "signals_in_graph": p.tracker.in_graph(resolved_ids),
            "deliverable_records": progress.deliverable,
            "delivered_records": progress.delivered,
            "stages": {name: {"records": n, "done_s": round(done, 2),
                              "per_s": round(records / done, 1) if done > 0 else None,
                              **({"lag_s": round(lag, 2)} if lag is not None else {})}
                       for name, (n, done, lag) in stages.items()},
            "cpu_cores_used": cpu_share, "worker_rss_mb_per_1k_resolved": _slope(samples),
            "memory_samples": samples}


def _slope(samples: list[dict[str, float]]) -> float | None:
    """Worker RSS growth per 1,000 resolved records between the first and the last sample."""
    if len(samples) < 2 or samples[-1]["resolved"] <= samples[0]["resolved"]:
        return None
    first, last = samples[0], samples[-1]
    return round((last["worker"] - first["worker"]) / (last["resolved"] - first["resolved"])
                 * 1000, 2)


def latency(p: Pipeline, batch: Batch, before: Batch, rate: float, drain_s: float
            ) -> dict[str, Any]:
    """Publish at ``rate``; per signal, first delivery and first visibility in Neo4j."""
    p.echo(f"latency: {rate:g} signals/s for {len(batch.records) / rate:g} s ...")
    own = batch.ids() - before.ids()  # a later revision or resend of an earlier one: not timed
    in_graph = own & batch.resolved_ids()
    first = batch.first()
    to_deliver = {sid for sid in in_graph if routed(as_record(first[sid]), p.registry, p.layout)}
    p.tracker.ledger.watch("latency", own)
    sent: dict[str, float] = {}
    producer = KafkaProducer(**client_options(p.settings.kafka), acks="all",
                             enable_idempotence=True, linger_ms=1, compression_type="gzip")
    started = time.monotonic()
    try:
        for i, (topic, key, value) in enumerate(_paced(batch.records, rate, started)):
            sent.setdefault(str(batch.signals[i].signal_id), time.time())
            producer.send(topic, key=key, value=value)
            if i % 500 == 0:
                p.healthy("latency")
        producer.flush()
        publish_s = time.monotonic() - started
        backlog = sum(p.tracker.ledger.first_seen(sid)[1] is None for sid in in_graph)
    finally:
        producer.close()
    waited = time.monotonic()
    _, ended = wait(p, "latency", batch.expected(own), time.time(), drain_s, [])
    now = time.time()
    return {"latency_ms": _latencies(p.tracker.ledger, sent, to_deliver, 0, now, ended),
            "latency_graph_ms": _latencies(p.tracker.ledger, sent, in_graph, 1, now, ended),
            "latency": {
                "rate_per_s": rate, "seconds": round(len(batch.records) / rate, 1),
                "published": len(batch.records), "timed_signals": len(own),
                "achieved_rate_per_s": round(len(batch.records) / publish_s, 1),
                "expected_in_graph": len(in_graph), "expected_delivered": len(to_deliver),
                "backlog_at_publish_end": backlog,
                "backlog_at_end": sum(p.tracker.ledger.first_seen(sid)[1] is None for sid in in_graph),
                "waited_s": round(time.monotonic() - waited, 1), "ended": ended}}


def _latencies(ledger: Ledger, sent: dict[str, float], ids: set[str], which: int, now: float,
               ended: str) -> dict[str, Any]:
    values, censored, never = [], [], 0
    for sid in ids:
        at = ledger.first_seen(sid)[which]
        if at is not None:
            values.append((at - sent[sid]) * 1000)
        elif ended == "time bound":
            censored.append((now - sent[sid]) * 1000)
        else:
            never += 1  # the pipeline went idle without it: predicted wrongly, not slow
    return {**percentiles(values, censored), "never_arrived": never}


def wait(p: Pipeline, phase: str, expected: tuple[int, int], t0: float, limit_s: float,
         samples: list[dict[str, float]], stall_s: float | None = None) -> tuple[Progress, str]:
    """Until the signals watched as ``phase`` are through: "complete"; or nothing moved for
    ``stall_s``: "stalled"; or ``limit_s`` passed: "time bound" without ``stall_s``, else an
    error."""
    records, resolved = expected
    start = time.monotonic()
    deadline, report = start + limit_s, start + REPORT_S
    last: tuple[int, ...] = ()
    moved = resolved_moved = start
    while True:
        p.healthy(phase)
        progress, now = p.tracker.ledger.progress(phase), time.monotonic()
        if not last or progress.resolved != last[1]:
            resolved_moved = now
        idle = progress.normalised >= records and now - resolved_moved > QUIET_S
        if progress.through() and (progress.resolved >= resolved or idle):
            return progress, "complete"
        state = (progress.normalised, progress.resolved, progress.visible, progress.delivered)
        if state != last:
            last, moved = state, now
        elif stall_s is not None and now - moved > stall_s:
            return progress, "stalled"
        if now > deadline:
            if stall_s is None:
                return progress, "time bound"
            raise E2EBenchError(phase, f"{progress.visible:,} of {resolved:,} records in Neo4j "
                                       f"after {limit_s:.0f} s")
        if now >= report:
            report = now + REPORT_S
            rss = {name: memory_mb(s)[0] for name, s in p.services.items()}
            samples.append({"s": round(time.time() - t0, 1), "resolved": progress.resolved, **rss})
            p.echo(f"  {phase} {time.time() - t0:6.1f} s  normalised {progress.normalised:,}/"
                   f"{records:,}  resolved {progress.resolved:,}/{resolved:,}  in Neo4j "
                   f"{progress.visible:,}  delivered {progress.delivered:,}/"
                   f"{progress.deliverable:,}  worker {rss['worker']:,.0f} MB")
        time.sleep(0.5)


def memory_mb(service: ServiceProcess) -> tuple[float, float]:
    """(VmRSS, VmHWM: the peak so far) of a child process in MB."""
    proc = service._proc  # where ServiceProcess keeps its Popen
    if proc is None:
        raise E2EBenchError("memory", f"{service.command} was not started")
    return proc_memory_mb(proc.pid)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MB, from ``/proc/<pid>/status``."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    rss, peak = (round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM"))
    return rss, peak
