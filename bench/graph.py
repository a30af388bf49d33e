"""``ketenlink bench graph``: the graph sink against a raw Neo4j baseline, and 2-hop latency on a
graph of a million nodes, in one run on the real stack. A benchmark: nothing asserts a speed.

1. N resolved signals are made in-process as the worker makes them (``bench.graph_data``; set-up,
   timed separately) and published, keyed by signal id, to a fresh 6-partition topic
   ``bench-<time>.signals.resolved``.
2. **raw**: the graph the sink ends with, written by plain ``UNWIND ... CREATE`` in batches of
   the sink's size into the wiped database (``bench.graph_raw`` says exactly what); timed from
   the first transaction to the last commit. Then the database is wiped again.
3. **sink**: ``consumers.graph_sink.run_sink`` on that topic into the empty database until the
   consumer group's committed offsets reach the end offsets; timed from the first poll that
   returned records to the last offset commit (the group join is reported apart).
4. **growth**: disjoint copies of the N records (ids suffixed ``x<n>``, ``bench_data.copy_record``)
   go through the sink until the graph has ``--nodes`` nodes.
5. **latency**: a 2-hop neighbourhood of at most 500 entities from random entity anchors, through
   the analyst API and as bare Cypher (``bench.graph_latency``); warm-up first, reported apart.

The database is wiped (four times); ``wipe_graph`` must be given. Run it on a stack of its own
(see ``ketenlink bench graph --help``). ``latency_only`` measures step 5 alone on the graph that is
there, and needs no wipe.
"""

from __future__ import annotations

import inspect
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from neo4j import Driver

from bench.graph_data import Resolved, copy_merge, copy_record, resolved_records
from bench.graph_latency import neighbourhood_latency
from bench.graph_raw import plan_raw, write_raw
from consumers.graph_sink import SinkTopics, open_consumer, run_sink
from core.kafka_clients import client_options
from core.neo4j_driver import open_driver
from core.publisher import Publisher
from core.settings import Settings
from graph.exceptions import GraphError
from graph.schema import apply_schema
from schemas.graph_model import ENTITY_LABEL

log = structlog.get_logger(__name__)

SINK_BATCH: int = inspect.signature(run_sink).parameters["max_records"].default
"""Records per poll of ``run_sink`` (its default); the raw baseline uses the same batches."""
WIPE_RELATIONSHIPS = "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS"
WIPE_NODES = "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 50000 ROWS"


class GraphBenchError(GraphError):
    """The graph benchmark cannot run or did not finish."""


class WipeRefusedError(GraphBenchError):
    """The benchmark wipes the database and was not told it may."""

    def __init__(self, uri: str, database: str) -> None:
        self.uri, self.database = uri, database
        super().__init__(f"the graph benchmark deletes every node of database {database!r} at "
                         f"{uri}; pass --wipe-graph to allow it (and run it on a stack of its own, "
                         "see `ketenlink bench graph --help`)")


class SinkStalledError(GraphBenchError):
    """The sink stopped or ran out of time before its group committed every offset."""

    def __init__(self, topic: str, committed: int, expected: int, reason: str) -> None:
        self.topic, self.committed, self.expected = topic, committed, expected
        super().__init__(f"sink on {topic}: {committed} of {expected} records committed when it "
                         f"{reason}")


@dataclass(frozen=True)
class GraphBenchOptions:
    """What to run; see ``ketenlink bench graph --help``."""

    signals: int = 100_000
    nodes: int = 1_000_000
    queries: int = 1_000
    warmup: int = 200
    seed: int = 7
    wipe_graph: bool = False
    latency_only: bool = False
    """Measure latency on the graph that is there; write nothing, wipe nothing."""
    timeout_s: float = 3_600.0


@dataclass(frozen=True)
class SinkRun:
    """One drain of a topic by ``run_sink``."""

    records: int
    seconds: float
    """First poll that returned records → last offset commit."""
    wall_s: float
    """Thread start (group join included) → last offset commit."""
    batch_s: list[float]
    """Seconds per batch (first records or previous commit → this commit)."""

    def batches(self) -> dict[str, Any]:
        """Batch durations; a batch over 3x the median is a stall (query re-planning, GC)."""
        if not self.batch_s:
            return {}
        median = statistics.median(self.batch_s)
        stalls = [b for b in self.batch_s if b > 3 * median]
        return {"batches": len(self.batch_s), "median_s": round(median, 3),
                "max_s": round(max(self.batch_s), 3), "stalls": len(stalls),
                "stall_s": round(sum(stalls) - len(stalls) * median, 1)}

    @property
    def per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


class _TimedConsumer:
    """A ``KafkaConsumer`` that notes when a poll first returned records and when the last
    commit returned; everything else is the consumer's."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer
        self.first_records: float | None = None
        self.last_commit: float | None = None
        self.batch_s: list[float] = []

    def poll(self, *args: Any, **kwargs: Any) -> Any:
        batches = self._consumer.poll(*args, **kwargs)
        if batches and self.first_records is None:
            self.first_records = time.perf_counter()
        return batches

    def commit(self, *args: Any, **kwargs: Any) -> Any:
        result = self._consumer.commit(*args, **kwargs)
        now = time.perf_counter()
        self.batch_s.append(now - (self.last_commit or self.first_records or now))
        self.last_commit = now
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


def run_graph_bench(settings: Settings, options: GraphBenchOptions,
                    echo: Callable[[str], None]) -> dict[str, Any]:
    """Run the whole benchmark; return every figure (the CLI prints and writes them)."""
    database = settings.neo4j.database
    if options.latency_only:
        return _latency_only(settings, options, echo)
    if not options.wipe_graph:
        raise WipeRefusedError(settings.neo4j.uri, database)
    made = resolved_records(options.signals, options.seed, settings.pseudonym_key)
    if len(made.records) < options.signals:
        raise GraphBenchError(f"the generated world gave {len(made.records)} resolved signals, "
                              f"fewer than the {options.signals} asked for")
    records = made.records
    prefix = f"bench-{int(time.time())}."
    topics = _topics(prefix)
    warm_topics, grow_topics = _topics(f"{prefix}warm."), _topics(f"{prefix}grow.")
    audit_topic = f"{prefix}audit.log"
    new_topics = [NewTopic(audit_topic, 1, 1), *(NewTopic(name, partitions, 1)
                  for ts in (topics, warm_topics, grow_topics) for name, partitions in _partitions(ts))]
    figures: dict[str, Any] = {
        "signals": options.signals, "seed": options.seed, "batch_records": SINK_BATCH,
        "setup": {"partner_lines": made.lines, "generate_s": round(made.generate_s, 1),
                  "parse_s": round(made.parse_s, 1), "resolve_s": round(made.resolve_s, 1)},
        "settings": _settings_used(settings),
    }
    with _bench_topics(settings, new_topics), open_driver(settings.neo4j) as driver:
        driver.verify_connectivity()
        apply_schema(driver, database)
        t0 = time.perf_counter()
        _publish(settings, topics.resolved, records)
        _publish(settings, topics.merges, made.merges)
        figures["setup"]["publish_s"] = round(time.perf_counter() - t0, 1)
        figures["merges"] = len(made.merges)
        figures.update(_throughput(settings, driver, topics, warm_topics, records,
                                   len(made.merges), prefix, options))
        figures["growth"] = _grow(settings, driver, grow_topics, records, made.merges,
                                  prefix, options)
        figures.update(_counts(driver, database))
        figures.update(neighbourhood_latency(settings, driver, audit_topic, options.queries,
                                             options.warmup, options.seed))
    _print_throughput(figures, echo)
    _print_latency(figures, echo)
    return figures


def _latency_only(settings: Settings, options: GraphBenchOptions,
                  echo: Callable[[str], None]) -> dict[str, Any]:
    """Only the latency part, on the graph that is there (nothing is written to it)."""
    audit_topic = f"bench-{int(time.time())}.audit.log"
    figures: dict[str, Any] = {"seed": options.seed, "settings": _settings_used(settings)}
    with _bench_topics(settings, [NewTopic(audit_topic, 1, 1)]), \
            open_driver(settings.neo4j) as driver:
        figures.update(_counts(driver, settings.neo4j.database))
        figures.update(neighbourhood_latency(settings, driver, audit_topic, options.queries,
                                             options.warmup, options.seed))
    _print_latency(figures, echo)
    return figures


def _settings_used(settings: Settings) -> dict[str, Any]:
    return {"neo4j_uri": settings.neo4j.uri, "neo4j_version": settings.neo4j.version,
            "neo4j_heap": settings.neo4j.heap, "neo4j_pagecache": settings.neo4j.pagecache,
            "kafka": settings.kafka.bootstrap_servers, "kafka_version": settings.kafka.version}


@contextmanager
def _bench_topics(settings: Settings, topics: list[NewTopic]) -> Iterator[None]:
    """The benchmark's own topics for the duration of the run (deleted after, also on error)."""
    names = [t.name for t in topics]
    admin = KafkaAdminClient(**client_options(settings.kafka),
                             client_id="ketenlink-graph-bench")
    try:
        admin.create_topics(topics)
        yield
    finally:
        try:
            admin.delete_topics(names)
        except Exception as exc:  # clean-up must not hide the run's own error
            log.warning("graph_bench.topics_left", topics=names, error=repr(exc))
        admin.close()


def _topics(prefix: str) -> SinkTopics:
    return SinkTopics(resolved=f"{prefix}signals.resolved", merges=f"{prefix}entities.merges",
                      rejected=f"{prefix}signals.rejected")


def _partitions(topics: SinkTopics) -> list[tuple[str, int]]:
    """Each topic with its partition count in core/topics.yaml."""
    return [(topics.resolved, 6), (topics.merges, 3), (topics.rejected, 1)]


def _throughput(settings: Settings, driver: Driver, topics: SinkTopics, warm_topics: SinkTopics,
                records: Sequence[Resolved], merges: int, prefix: str,
                options: GraphBenchOptions) -> dict[str, Any]:
    """The raw baseline, then the sink, each into an emptied database."""
    database = settings.neo4j.database
    plan = plan_raw([r.value for r in records], SINK_BATCH)
    wipe(driver, database)
    # Warm-up of both writers (JIT, page cache, query plans) on the first batches; then wiped.
    warm = records[:2 * SINK_BATCH]
    write_raw(driver, database, plan_raw([r.value for r in warm], SINK_BATCH))
    wipe(driver, database)
    _publish(settings, warm_topics.resolved, [copy_record(r.value, 0) for r in warm])
    drain(settings, driver, warm_topics, f"{prefix}warm-sink", len(warm), options.timeout_s)
    wipe(driver, database)
    log.info("graph_bench.raw_start", batches=len(plan.batches), nodes=plan.nodes,
             relationships=plan.relationships)

    def progress(batches: int) -> None:
        if batches % 40 == 0:
            log.info("graph_bench.raw", batches=batches, of=len(plan.batches))

    raw_s = write_raw(driver, database, plan, progress)
    raw_counts = _counts(driver, database)
    wipe(driver, database)
    sink = drain(settings, driver, topics, f"{prefix}graph-sink", len(records) + merges,
                 options.timeout_s)
    sink_counts = _counts(driver, database)
    raw_per_s = len(records) / raw_s
    return {
        "raw_neo4j": {"signals": len(records), "seconds": round(raw_s, 3),
                      "per_s": round(raw_per_s, 1), "graph_rows": plan.nodes + plan.relationships,
                      "graph_rows_per_s": round((plan.nodes + plan.relationships) / raw_s, 1),
                      **raw_counts,
                      "writes": "bench.graph_raw: UNWIND ... CREATE of the final graph, no MERGE"},
        "sink": {"signals": len(records), "merge_records": merges,
                 "seconds": round(sink.seconds, 3), "per_s": round(len(records) / sink.seconds, 1),
                 "wall_s_with_group_join": round(sink.wall_s, 3), **sink.batches(),
                 **sink_counts},
        "sink_per_s": round(len(records) / sink.seconds, 1),
        "raw_neo4j_per_s": round(raw_per_s, 1),
        "ratio_sink_vs_raw_neo4j": round(raw_s / sink.seconds, 3),
    }


def _grow(settings: Settings, driver: Driver, topics: SinkTopics, records: Sequence[Resolved],
          merges: Sequence[Resolved], prefix: str, options: GraphBenchOptions) -> dict[str, Any]:
    """Sink disjoint copies of the records until the graph has ``options.nodes`` nodes."""
    database = settings.neo4j.database
    nodes = _counts(driver, database)["nodes"]
    rows, _, _ = driver.execute_query(
        f"MATCH (n) WHERE n:Signal OR n:{ENTITY_LABEL} RETURN count(n) AS n", database_=database)
    per_copy = max(int(rows[0]["n"]), 1)  # partners and municipalities are shared by the copies
    copies = published = signals = 0
    seconds = 0.0
    stalls: list[dict[str, Any]] = []
    while nodes < options.nodes:
        more = max(1, -(-(options.nodes - nodes) // per_copy))
        new = range(copies + 1, copies + 1 + more)
        batch = [copy_record(r.value, c) for c in new for r in records]
        merged = [copy_merge(m.value, c) for c in new for m in merges]
        copies += more
        _publish(settings, topics.resolved, batch)
        _publish(settings, topics.merges, merged)
        published += len(batch) + len(merged)
        run = drain(settings, driver, topics, f"{prefix}grow-sink", published, options.timeout_s,
                    already=published - len(batch) - len(merged))
        signals += len(batch)
        seconds += run.seconds
        stalls.append(run.batches())
        nodes = _counts(driver, database)["nodes"]
        log.info("graph_bench.grown", copies=copies, nodes=nodes)
    return {"method": "disjoint copies of the resolved signals (signal, partner_ref and entity "
                      "ids suffixed x<n>) through the sink", "copies": copies,
            "signals": signals, "seconds": round(seconds, 1), "runs": stalls,
            "per_s": round(signals / seconds, 1) if seconds else None}


def _publish(settings: Settings, topic: str, records: Sequence[Resolved]) -> None:
    with Publisher(settings.kafka, client_id="ketenlink-graph-bench") as publisher:
        for i in range(0, len(records), 10_000):
            publisher.publish_many(topic, [(r.key, r.value) for r in records[i:i + 10_000]])
    log.info("graph_bench.published", topic=topic, records=len(records))


def drain(settings: Settings, driver: Driver, topics: SinkTopics, group: str, expected: int,
          timeout_s: float, already: int = 0) -> SinkRun:
    """Run the sink on ``topics`` in a thread until ``group`` has committed ``expected`` records
    of both input topics (``already`` of them before this call)."""
    consumer = open_consumer(settings.kafka, topics, group)
    timed = _TimedConsumer(consumer)
    stop = threading.Event()
    failure: list[BaseException] = []

    def sink() -> None:
        try:
            with Publisher(settings.kafka, client_id="ketenlink-graph-bench-parking") as parking:
                stats = run_sink(timed, driver, settings.neo4j.database, topics=topics,
                                 parking=parking, stop=stop)
            if getattr(stats, "parked", 0):
                failure.append(GraphBenchError(f"the sink parked {stats.parked} records on "
                                               f"{topics.rejected}"))
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)
            stop.set()

    probe = KafkaConsumer(**client_options(settings.kafka), group_id=group,
                          enable_auto_commit=False)
    thread = threading.Thread(target=sink, name="graph-bench-sink", daemon=True)
    start = time.perf_counter()
    thread.start()
    committed = already
    try:
        partitions = [TopicPartition(topic, p) for topic in (topics.resolved, topics.merges)
                      for p in probe.partitions_for_topic(topic) or ()]
        ends = probe.end_offsets(partitions)
        deadline, next_log = time.monotonic() + timeout_s, time.monotonic() + 10
        while True:
            offsets = {tp: probe.committed(tp) or 0 for tp in partitions}
            committed = sum(offsets.values())
            if all(offsets[tp] >= ends[tp] for tp in partitions):
                break
            if failure or not thread.is_alive():
                raise SinkStalledError(topics.resolved, committed, expected,
                                       f"failed: {failure[0]!r}" if failure else "stopped")
            if time.monotonic() > deadline:
                raise SinkStalledError(topics.resolved, committed, expected,
                                       f"ran out of time ({timeout_s:.0f} s)")
            if time.monotonic() > next_log:
                log.info("graph_bench.sink", topic=topics.resolved, committed=committed,
                         expected=expected)
                next_log = time.monotonic() + 10
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(60)
        consumer.close()
        probe.close()
    if failure:
        raise SinkStalledError(topics.resolved, committed, expected, f"failed: {failure[0]}")
    end = timed.last_commit or time.perf_counter()
    first = timed.first_records or start
    return SinkRun(expected - already, end - first, end - start, timed.batch_s)


def wipe(driver: Driver, database: str) -> None:
    """Delete every relationship and node (in transactions of 50,000; schema kept)."""
    start = time.perf_counter()
    with driver.session(database=database) as session:
        session.run(WIPE_RELATIONSHIPS).consume()
        session.run(WIPE_NODES).consume()
    log.info("graph_bench.wiped", seconds=round(time.perf_counter() - start, 1))


def _counts(driver: Driver, database: str) -> dict[str, int]:
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS n", database_=database)
    rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n", database_=database)
    return {"nodes": int(nodes[0]["n"]), "relationships": int(rels[0]["n"])}


def _print_throughput(figures: dict[str, Any], echo: Callable[[str], None]) -> None:
    raw, sink, grow = figures["raw_neo4j"], figures["sink"], figures["growth"]
    echo(f"{'variant':<26}{'signals':>9}{'seconds':>10}{'signals/s':>11}{'ratio':>8}")
    for name, row in (("raw UNWIND CREATE", raw), ("sink (run_sink)", sink)):
        echo(f"{name:<26}{row['signals']:>9}{row['seconds']:>10.2f}{row['per_s']:>11,.0f}"
             f"{row['per_s'] / raw['per_s']:>8.2f}")
    if grow["signals"]:
        echo(f"{'sink, growing the graph':<26}{grow['signals']:>9}{grow['seconds']:>10.1f}"
             f"{grow['per_s']:>11,.0f}{grow['per_s'] / raw['per_s']:>8.2f}")
    echo(f"raw wrote {raw['nodes']:,} nodes / {raw['relationships']:,} relationships, the sink "
         f"{sink['nodes']:,} / {sink['relationships']:,}; sink batches: median "
         f"{sink.get('median_s', 0):.2f} s, max {sink.get('max_s', 0):.2f} s, "
         f"{sink.get('stalls', 0)} stalls ({sink.get('stall_s', 0):.0f} s)")


def _print_latency(figures: dict[str, Any], echo: Callable[[str], None]) -> None:
    echo(f"graph: {figures['nodes']:,} nodes, {figures['relationships']:,} relationships; "
         f"2-hop neighbourhood, limit 500, caller: {figures['caller']}")
    echo(f"{'way':<26}{'queries':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
         f"{'rows':>7}{'warm p95':>10}")
    for name, way in figures["latency"].items():
        lat, warm = way["latency_ms"], way["warmup_ms"] or {}
        echo(f"{name:<26}{lat['queries']:>9}{lat['p50']:>9.1f}{lat['p95']:>9.1f}{lat['p99']:>9.1f}"
             f"{lat['max']:>9.1f}{lat['mean_rows']:>7.0f}{warm.get('p95', 0):>10.1f}")
