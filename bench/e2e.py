"""``ketenlink bench e2e``: the whole pipeline on the real stack, beside the raw engines.

One run under fresh names (topics ``bench-e2e-<time>-<hex>.``, the same faust app id, consumer
groups after it, partner references suffixed ``-e2e<run>`` so every signal and entity id is the
run's own); a benchmark, nothing asserts a speed:

1. set-up, not timed: generated partner exports through their adapters, interleaved as partners
   send (``route_bench._signals``); in-process dedupe predicts how many records get resolved;
2. raw Kafka: ProducerPerformance and ConsumerPerformance of max(N, 20,000) records of the
   signals' mean size (``bench.e2e_raw``); then Neo4j is warmed up, not timed: 3,000 generated
   signals through the sink's writes, deleted again (``e2e_raw.warm_graph``);
3. ``ketenlink worker``, ``sink`` and ``router`` as child processes (``ServiceProcess``), every
   subscriber subscribed to everything, warmed up by one signal (delivered, committed by the sink);
4. throughput: N signals through the ``Publisher`` as fast as it goes, until every resolved record
   is visible in Neo4j and delivered wherever routing sends it (``bench.e2e_track``). Seconds =
   first publish → last signal visible; per stage, when its last output appeared;
5. latency: R signals/s for S seconds into the state N built; per signal publish → first
   delivery and publish → visible in Neo4j. Waiting stops ``drain_s`` after publishing: what is
   still under way counts as a lower bound (``censored``), the backlog is reported;
6. peak RSS (VmHWM) of each child; raw Neo4j and sink capacity on copies of the run's records;
   then the run's graph (by id: never a wipe) and topics are deleted.
"""

from __future__ import annotations

import os
import platform
import secrets
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from kafka import KafkaAdminClient
from neo4j import Driver

from bench.e2e_phases import Batch, Pipeline, latency, memory_mb, routed, throughput
from bench.e2e_raw import (
    WARM_GRAPH_SIGNALS,
    delete_ids,
    graph_baselines,
    ids_of,
    raw_kafka,
    read_topic,
    warm_graph,
)
from bench.e2e_report import goals, print_table
from bench.e2e_track import TrackedTopics, Tracker
from bench.route import _check, _signals, _subscribe_everyone, _warm_up
from consumers.graph_sink import SinkTopics
from core.exceptions import KetenlinkError
from core.kafka_clients import client_options
from core.neo4j_driver import open_driver
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout, TopicSpec, apply_topics
from infra.offsets import wait_committed
from infra.stack import Stack
from policy.live import LiveRegistry
from policy.retention import topic_layout
from producers.publish_file import record_key
from schemas.signal import Signal, signal_id_for
from streams.app import changelog_topics
from streams.dedupe import deduplicate
from streams.exceptions import E2EBenchError, StreamError

log = structlog.get_logger(__name__)

SERVICES = ("worker", "sink", "router")
RAW_KAFKA_MIN = 20_000
"""Records of the raw Kafka runs at least: fewer measure the JVM's warm-up more than Kafka."""
PARSED_PER_LINE = 0.65
"""Signal v1 records per generated partner line (the rest: invalid lines, KvK rows without an
indicator)."""


@dataclass(frozen=True)
class E2EOptions:
    """What to run; see ``ketenlink bench e2e --help``."""

    signals: int = 10_000
    rate: float = 500.0
    latency_seconds: float = 20.0
    drain_seconds: float = 60.0
    seed: int = 7
    timeout_s: float = 3_600.0
    keep_graph: bool = False


@dataclass(frozen=True)
class Run:
    """The run's names: ``bench-e2e-<time>-<hex>``."""

    run: str

    @property
    def app_id(self) -> str:
        return f"bench-e2e-{self.run}"

    @property
    def prefix(self) -> str:
        return f"{self.app_id}."

    @property
    def tag(self) -> str:
        return self.run.replace("-", "")


def run_e2e_bench(settings: Settings, options: E2EOptions,
                  echo: Callable[[str], None]) -> dict[str, Any]:
    """Run every phase; print the table and return every figure."""
    names = Run(f"{int(time.time())}-{secrets.token_hex(2)}")
    layout = topic_layout(prefix=names.prefix)
    capacity = SinkTopics(resolved=f"{names.prefix}capacity.signals.resolved",
                          merges=f"{names.prefix}capacity.entities.merges",
                          rejected=f"{names.prefix}capacity.signals.rejected")
    figures: dict[str, Any] = {"signals": options.signals, "seed": options.seed,
                               "run": names.app_id, "machine": _machine(),
                               "settings": _settings_used(settings)}
    with tempfile.TemporaryDirectory(prefix="ketenlink-bench-e2e-") as tmp, \
            open_driver(settings.neo4j) as driver:
        folder = Path(tmp)
        started = time.perf_counter()
        batches = _prepare(settings, folder, options, names)
        figures["setup_s"] = round(time.perf_counter() - started, 1)
        records = batches[0].records
        size = round(sum(len(v) for _, _, v in records) / len(records))
        echo(f"{len(records):,} + {len(batches[1].records):,} signals of {size} bytes on "
             f"average; topics {names.prefix}*")
        try:
            _create_topics(settings, layout, names, capacity)
            figures["raw_kafka"] = raw_kafka(settings, f"{names.prefix}raw.kafka",
                                             max(options.signals, RAW_KAFKA_MIN), size)
            echo(f"raw Kafka: produce {figures['raw_kafka']['produce']['per_s']:,.0f}/s, "
                 f"consume {figures['raw_kafka']['consume']['per_s']:,.0f}/s")
            echo(f"warming Neo4j up with {WARM_GRAPH_SIGNALS:,} generated signals (written "
                 "by the sink's queries, then deleted) ...")
            figures["warm_graph_s"] = round(warm_graph(settings, driver, f"g{names.tag}",
                                                       options.seed), 1)
            figures.update(_pipeline(settings, driver, layout, names, batches, folder, options,
                                     echo))
            echo("raw Neo4j and sink capacity on copies of the run's records ...")
            figures["graph_baselines"] = graph_baselines(
                settings, driver, read_topic(settings.kafka,
                                             layout.resolved),
                read_topic(settings.kafka, layout.merges),
                capacity, names.tag, options.timeout_s)
        finally:
            _clean_up(settings, driver, layout, names, options.keep_graph)
    figures["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    figures.update(_ratios(figures))
    figures["goals"] = goals(figures)
    print_table(figures, echo)
    return figures


def _prepare(settings: Settings, folder: Path, options: E2EOptions, names: Run
             ) -> tuple[Batch, Batch]:
    """The throughput and latency signals, with the run's own references and ids."""
    wanted = options.signals + max(int(options.rate * options.latency_seconds), 1)
    made = _signals(settings, folder, int(wanted / PARSED_PER_LINE) + 200, options.seed)
    if len(made) < wanted:
        raise E2EBenchError("set-up", f"the generator gave {len(made)} signals, {wanted} wanted")
    own = [s.model_copy(update={"partner_ref": ref, "signal_id": signal_id_for(s.partner, ref)})
           for s in made[:wanted] for ref in [f"{s.partner_ref}-e2e{names.run}"]]
    store: dict[str, Any] = {}
    kept = [not deduplicate(store, s, f"bench/{i}").suppressed for i, s in enumerate(own)]
    return _batch(own[:options.signals], kept[:options.signals], names), \
        _batch(own[options.signals:], kept[options.signals:], names)


def _batch(signals: list[Signal], kept: list[bool], names: Run) -> Batch:
    layout = topic_layout(prefix=names.prefix)
    records = [(layout.inbound_of(s.partner), record_key(s),
                s.model_dump_json().encode()) for s in signals]
    return Batch(signals, records, kept)


def _create_topics(settings: Settings, layout: TopicLayout, names: Run,
                   capacity: SinkTopics) -> None:
    admin = KafkaAdminClient(**client_options(settings.kafka))
    try:
        apply_topics(admin, [*layout.topics, *changelog_topics(names.app_id),
                             TopicSpec(name=f"{names.prefix}raw.kafka", partitions=3),
                             TopicSpec(name=capacity.resolved, partitions=6),
                             TopicSpec(name=capacity.merges, partitions=3),
                             TopicSpec(name=capacity.rejected, partitions=1)])
    finally:
        admin.close()


def _pipeline(settings: Settings, driver: Driver, layout: TopicLayout, names: Run,
              batches: tuple[Batch, Batch], folder: Path, options: E2EOptions,
              echo: Callable[[str], None]) -> dict[str, Any]:
    """Phases 3-5 with the child processes; their memory before they stop."""
    _subscribe_everyone(settings, layout)
    with LiveRegistry.open(settings, layout) as live:
        registry = live.current()
    env = {"KETENLINK_TOPIC_PREFIX": names.prefix, "KETENLINK_FAUST_APP_ID": names.app_id,
           "KETENLINK_VAR_DIR": str(folder / "var"), "KETENLINK_LOG_LEVEL": "warning",
           "KETENLINK_KAFKA__HOST": settings.kafka.host,
           "KETENLINK_KAFKA__PORT": str(settings.kafka.port),
           "KETENLINK_NEO4J__HOST": settings.neo4j.host,
           "KETENLINK_NEO4J__BOLT_PORT": str(settings.neo4j.bolt_port),
           "KETENLINK_NEO4J__DATABASE": settings.neo4j.database}
    sink_group = f"{names.app_id}-graph-sink"  # as `ketenlink sink` names it
    topics = TrackedTopics(layout.normalised, layout.resolved,
                           tuple(layout.delivery(p) for p in layout.recipients), sink_group)
    with ExitStack() as stack:
        services = {name: stack.enter_context(ServiceProcess(name, folder / f"{name}.log",
                                                             env=env)) for name in SERVICES}
        children = list(services.values())
        echo("worker, sink and router started; warming up ...")
        try:
            _warm_up(settings, layout, children, folder)
            if not wait_committed(settings.kafka, sink_group,
                                  [topics.resolved, layout.merges], 120.0,
                                  lambda: _check(children, folder)):
                raise E2EBenchError("warm-up", "the sink did not commit the warm-up signal")
        except E2EBenchError:
            raise
        except StreamError as exc:
            raise E2EBenchError("warm-up", str(exc)) from exc
        warm = {name: memory_mb(service)[0] for name, service in services.items()}
        with Tracker(settings.kafka, driver, settings.neo4j.database, topics,
                     lambda doc: routed(doc, registry, layout)) as tracker:
            pipeline = Pipeline(settings, layout, registry, tracker, services, folder, echo,
                                _server_pids(settings))
            figures = throughput(pipeline, batches[0], options.timeout_s)
            figures.update(latency(pipeline, batches[1], batches[0], options.rate,
                                   options.drain_seconds))
        figures["rss_after_warmup_mb"] = warm
        figures["peak_rss_mb"] = {name: memory_mb(service)[1] for name, service in services.items()}
    return figures


def _server_pids(settings: Settings) -> dict[str, int]:
    """The broker's and Neo4j's pids, when this var dir's pid files know them."""
    try:
        return {s.name: s.pid for s in Stack(settings).status() if s.pid is not None}
    except KetenlinkError as exc:
        log.warning("bench_e2e.no_server_pids", error=str(exc))
        return {}


def _ratios(f: dict[str, Any]) -> dict[str, Any]:
    raw, base = f["raw_kafka"], f["graph_baselines"]
    return {"raw_kafka_produce_per_s": raw["produce"]["per_s"],
            "raw_kafka_consume_per_s": raw["consume"]["per_s"],
            "ratio_e2e_vs_raw_kafka": round(f["e2e_per_s"] / raw["produce"]["per_s"], 4),
            "ratio_e2e_vs_raw_kafka_consume": round(f["e2e_per_s"] / raw["consume"]["per_s"], 4),
            "sink_per_s": base["sink"]["per_s"], "raw_neo4j_per_s": base["raw"]["per_s"],
            "ratio_sink_vs_raw_neo4j": round(base["sink"]["per_s"] / base["raw"]["per_s"], 3)}


def _clean_up(settings: Settings, driver: Driver, layout: TopicLayout, names: Run,
              keep_graph: bool) -> None:
    """Delete the run's graph by id (unless kept) and its topics; warn, never raise."""
    try:
        if not keep_graph:
            ids = ids_of(read_topic(settings.kafka, layout.resolved),
                         read_topic(settings.kafka, layout.merges))
            seconds = delete_ids(driver, settings.neo4j.database, ids)
            log.info("bench_e2e.graph_deleted", nodes=ids.count(), seconds=round(seconds, 1))
    except Exception as exc:  # clean-up must not hide the run's own error
        log.warning("bench_e2e.graph_left", run=names.app_id, error=repr(exc))
    admin = KafkaAdminClient(**client_options(settings.kafka), client_id="ketenlink-bench-e2e")
    try:
        mine = [t for t in admin.list_topics() if t.startswith((names.prefix, f"{names.app_id}-"))]
        admin.delete_topics(mine, timeout_ms=30_000)
    except Exception as exc:
        log.warning("bench_e2e.topics_left", run=names.app_id, error=repr(exc))
    finally:
        admin.close()


def _machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split()
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "memory_gb": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 ** 2, 1),
            "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}


def _settings_used(settings: Settings) -> dict[str, Any]:
    return {"kafka": settings.kafka.bootstrap_servers, "kafka_version": settings.kafka.version,
            "neo4j_uri": settings.neo4j.uri, "neo4j_version": settings.neo4j.version,
            "neo4j_heap": settings.neo4j.heap, "neo4j_pagecache": settings.neo4j.pagecache}
