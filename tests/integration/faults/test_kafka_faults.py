"""Kafka itself failing under load: one broker of a three-node KRaft cluster killed, and the only
broker killed and started again. The worker and the publisher are never restarted: they recover
by themselves, and every acknowledged signal is resolved as dedupe predicts.

Each test starts its own Kafka with the project's code (``Stack(kafka_only=True)``) on ports
derived from the session's (+100 for the cluster, +200 for the single broker), so sessions with
other base ports never collide; Neo4j is not involved. The load is the ``Publisher`` itself
(``acks=all``, idempotent), as the gateway uses it: a batch that fails is not acknowledged and
is sent again until it is, as a partner would.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

from core.exceptions import PublishError
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import KafkaSettings, Settings
from core.topics import TopicLayout, apply_topics
from infra.kafka_server import KafkaServer
from infra.stack import Stack
from policy.retention import topic_layout
from schemas.signal import Signal, signal_id_for
from streams.app import changelog_topics
from tests.integration.faults.pipeline_world import (
    BATCH,
    generated,
    interleaved_batches,
    predicted_keys,
)
from tests.integration.faults.reliability import Outcome, record
from tests.unit.schemas.signals import valid_doc

SIGNALS, RATE = 2_400, 100.0
"""The load: 24 s of signals at 100/s, in batches of one partner."""
FAULT_AT = 0.4
DOWN_S = 10.0
"""How long the single broker stays down before it is started again."""
DRAIN_S = 180.0
HEAP = "512m"
Key = tuple[str, int]

pytestmark = [
    # kafka-python 3.0.12 does not close a socket whose connect() is refused
    # (kafka/net/inet.py, sock_connect), as every client's are while a broker is down
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
]


@contextmanager
def own_kafka(settings: Settings, folder: Path, port_offset: int, brokers: int
              ) -> Iterator[tuple[Settings, Stack]]:
    """This test's own Kafka (``brokers`` nodes, started by the project's code), stopped on exit
    whatever happened."""
    kafka = KafkaSettings(host=settings.kafka.host, port=settings.kafka.port + port_offset,
                          controller_port=settings.kafka.controller_port + port_offset,
                          version=settings.kafka.version, heap=HEAP, brokers=brokers)
    local = settings.model_copy(update={"kafka": kafka, "var_dir": folder / "var"})
    stack = Stack(local, kafka_only=True)
    try:
        stack.up(timeout=180.0)
        yield local, stack
    finally:  # a node without a quorum would wait for one to shut down cleanly: 10 s is enough
        for server in stack.servers:
            server.process.stop(timeout=10.0)


@dataclass
class Load:
    """What the publisher offered and what the broker acknowledged, in order."""

    offered: list[Signal]
    acknowledged: list[Signal] = field(default_factory=list)
    failed_sends: list[str] = field(default_factory=list)
    """Each failed attempt at a batch (the batch was sent again)."""
    longest_wait_s: float = 0.0
    """The longest a batch waited for its acknowledgement, retries included."""


class PublisherLoad:
    """Publishes ``signals`` with the ``Publisher`` at ``rate`` signals/s from a thread, batches
    of one partner with the partners taking turns; a batch whose send fails is sent again (after
    a second) until the broker acknowledges it."""

    def __init__(self, kafka: KafkaSettings, layout: TopicLayout, signals: list[Signal],
                 rate: float) -> None:
        self.kafka, self.layout, self.rate = kafka, layout, rate
        self.load = Load(offered=list(signals))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._error: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, daemon=True, name="publisher-load")

    def start(self) -> PublisherLoad:
        self._thread.start()
        return self

    @property
    def acknowledged(self) -> int:
        with self._lock:
            return len(self.load.acknowledged)

    def wait_for(self, fraction: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.acknowledged < fraction * len(self.load.offered):
            assert not self._error, repr(self._error)
            assert time.monotonic() < deadline, \
                f"the load reached only {self.acknowledged:,} acknowledgements"
            time.sleep(0.05)

    def join(self, timeout: float) -> Load:
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(60)
            raise AssertionError(f"the load did not finish in {timeout:.0f} s "
                                 f"({self.acknowledged:,} acknowledged)")
        if self._error:
            raise self._error[0]
        return self.load

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        try:
            with Publisher(self.kafka, client_id="fault-load") as publisher:
                started, sent = time.monotonic(), 0
                for partner, batch in interleaved_batches(self.load.offered):
                    pause = started + sent / self.rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    self._send(publisher, partner, batch)
                    sent += len(batch)
        except BaseException as exc:  # handed to the test by join()
            self._error.append(exc)

    def _send(self, publisher: Publisher, partner: str, batch: list[Signal]) -> None:
        topic = self.layout.inbound_of(partner)
        records: list[tuple[bytes | None, bytes | None]] = [
            (f"{s.partner}/{s.partner_ref}".encode(), s.model_dump_json().encode())
            for s in batch]
        first = time.monotonic()
        while not self._stop.is_set():
            try:
                publisher.publish_many(topic, records)
            except (PublishError, KafkaError) as exc:
                self.load.failed_sends.append(f"{type(exc).__name__}: {exc}"[:200])
                time.sleep(1.0)
                continue
            with self._lock:
                self.load.acknowledged.extend(batch)
                self.load.longest_wait_s = max(self.load.longest_wait_s,
                                               time.monotonic() - first)
            return


@dataclass
class Arrival:
    """What the worker made of the acknowledged signals."""

    expected: set[Key]
    """The (signal id, revision) in-process dedupe predicts from the acknowledged signals."""
    resolved: dict[Key, int]
    """(signal id, revision) of an acknowledged signal → copies on ``signals.resolved``."""
    resolved_after: int
    """Records on ``signals.resolved`` written after the fault."""
    normalised_ids: set[str]

    @property
    def resolved_ids(self) -> set[str]:
        return {key[0] for key in self.resolved}

    def problems(self, acknowledged_ids: set[str]) -> list[str]:
        out = []
        if missing := self.expected - set(self.resolved):
            out.append(f"{len(missing)} predicted revisions never resolved, e.g. "
                       f"{sorted(missing)[:3]}")
        if extra := set(self.resolved) - self.expected:
            out.append(f"{len(extra)} resolved revisions dedupe does not predict, e.g. "
                       f"{sorted(extra)[:3]}")
        if not_normalised := acknowledged_ids - self.normalised_ids:
            out.append(f"{len(not_normalised)} acknowledged signals not on signals.normalised")
        return out


def _read_all(kafka: KafkaSettings, topic: str, attempts: int = 3
              ) -> list[tuple[int, dict[str, Any]]]:
    """Every record of ``topic`` up to its end offsets now: (timestamp in ms, decoded value).
    A consumer that stalls (kafka-python 3.0 sometimes loses a fetch to a broker that died) is
    replaced by a new one."""
    for _ in range(attempts - 1):
        read = _read_once(kafka, topic)
        if read is not None:
            return read
    read = _read_once(kafka, topic)
    assert read is not None, f"could not read {topic} to the end in {attempts} attempts"
    return read


def _read_once(kafka: KafkaSettings, topic: str, timeout: float = 30.0
               ) -> list[tuple[int, dict[str, Any]]] | None:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id=None,
                             enable_auto_commit=False)
    out: list[tuple[int, dict[str, Any]]] = []
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in parts):
            if time.monotonic() > deadline:
                return None
            for batch in consumer.poll(timeout_ms=500).values():
                out.extend((m.timestamp, json.loads(m.value)) for m in batch)
    finally:
        consumer.close()
    return out


def _observe(kafka: KafkaSettings, layout: TopicLayout, acknowledged: list[Signal],
             fault_ms: int) -> Arrival:
    ids = {str(s.signal_id) for s in acknowledged}
    resolved: dict[Key, int] = defaultdict(int)
    after = 0
    for timestamp, doc in _read_all(kafka, layout.resolved):
        if doc["signal_id"] in ids:
            resolved[(doc["signal_id"], int(doc["revision"]))] += 1
            after += timestamp > fault_ms
    normalised = {str(doc["signal"]["signal_id"])
                  for _, doc in _read_all(kafka, layout.normalised)}
    return Arrival(predicted_keys(acknowledged), dict(resolved), after, normalised & ids)


def _wait_arrival(kafka: KafkaSettings, layout: TopicLayout, acknowledged: list[Signal],
                  fault_ms: int, worker: ServiceProcess, log_file: Path) -> Arrival:
    ids = {str(s.signal_id) for s in acknowledged}
    deadline = time.monotonic() + DRAIN_S
    while True:
        arrival = _observe(kafka, layout, acknowledged, fault_ms)
        if not arrival.problems(ids) or time.monotonic() > deadline:
            return arrival
        _alive(worker, log_file)
        time.sleep(3)


def _alive(worker: ServiceProcess, log_file: Path) -> None:
    assert worker.returncode is None, \
        f"the worker exited ({worker.returncode}):\n{log_file.read_text(errors='replace')[-3000:]}"


def _start_worker(stack: ExitStack, local: Settings, uid: str, folder: Path
                  ) -> tuple[ServiceProcess, Path]:
    kafka = local.kafka
    env = {"KETENLINK_TOPIC_PREFIX": f"{uid}.", "KETENLINK_FAUST_APP_ID": uid,
           "KETENLINK_VAR_DIR": str(folder / "worker-var"), "KETENLINK_LOG_FORMAT": "json",
           "KETENLINK_KAFKA__PORT": str(kafka.port),
           "KETENLINK_KAFKA__CONTROLLER_PORT": str(kafka.controller_port),
           "KETENLINK_KAFKA__BROKERS": str(kafka.brokers)}
    log_file = folder / "worker.log"
    worker = stack.enter_context(ServiceProcess("worker", log_file, env=env))
    return worker, log_file


def _warm_up(local: Settings, layout: TopicLayout, uid: str, worker: ServiceProcess,
             log_file: Path, timeout: float = 180.0) -> None:
    """Until one signal has come through the worker (its start-up does not count)."""
    ref = f"{uid}-warm-up"
    with Publisher(local.kafka, client_id="fault-warm-up") as publisher:
        publisher.publish(layout.inbound_of("riec"), f"riec/{ref}".encode(),
                          json.dumps(valid_doc(partner="riec", partner_ref=ref)).encode())
    signal_id = str(signal_id_for("riec", ref))
    deadline = time.monotonic() + timeout
    while not any(d["signal_id"] == signal_id
                  for _, d in _read_all(local.kafka, layout.resolved)):
        _alive(worker, log_file)
        assert time.monotonic() < deadline, "the worker resolved nothing during the warm-up"
        time.sleep(1)


def _topics(admin: KafkaAdminClient, uid: str) -> tuple[TopicLayout, list[str]]:
    layout = topic_layout(prefix=f"{uid}.")
    specs = [*layout.topics, *changelog_topics(uid)]
    apply_topics(admin, specs)
    return layout, [s.name for s in specs]


def _replication(admin: KafkaAdminClient, names: list[str]) -> tuple[set[int], set[str]]:
    """The replication factors and min.insync.replicas values found on topics ``names``."""
    deadline = time.monotonic() + 30
    described = admin.describe_topics(names)
    while not all(t["partitions"] for t in described):  # a broker may not know them yet
        assert time.monotonic() < deadline, "topics without partitions after 30 s"
        time.sleep(0.5)
        described = admin.describe_topics(names)
    factors = {len(p["replica_nodes"]) for t in described for p in t["partitions"]}
    configs = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, n, configs={"min.insync.replicas": None})
         for n in names], config_filter="all")
    min_isr = {data["value"] for entries in configs["topic"].values()
               for key, data in entries.items() if key == "min.insync.replicas"}
    return factors, min_isr


def _leader(admin: KafkaAdminClient, topic: str, partition: int) -> int:
    [described] = admin.describe_topics([topic])
    [part] = [p for p in described["partitions"] if p["partition_index"] == partition]
    return int(part["leader_id"])


def _scenario(settings: Settings, uid: str, folder: Path, port_offset: int, brokers: int,
              seed: int, fault: Any) -> tuple[Load, Arrival, str, str, float, int]:
    """Kafka, worker and load; ``fault(servers, admin, layout)`` is injected at ``FAULT_AT`` of the
    load and returns what it did. Returns the load, what arrived, the fault, the topics'
    replication, the seconds taken and how many signals were acknowledged before the fault."""
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool, ExitStack() as stack:
        # the generator takes a minute on a busy machine: meanwhile Kafka and the worker start
        generating = pool.submit(generated, settings, folder / "generated", SIGNALS, seed, uid)
        local, servers = stack.enter_context(own_kafka(settings, folder, port_offset, brokers))
        admin = KafkaAdminClient(bootstrap_servers=local.kafka.bootstrap_servers,
                                 client_id="fault-test")
        stack.callback(admin.close)
        layout, names = _topics(admin, uid)
        factors, min_isr = _replication(admin, names)
        replication = (f"all {len(names)} topics replication factor {'/'.join(map(str, factors))},"
                       f" min.insync.replicas {'/'.join(sorted(min_isr))}")
        if brokers >= 3:
            assert factors == {3} and min_isr == {"2"}, replication
        worker, log_file = _start_worker(stack, local, uid, folder)
        _warm_up(local, layout, uid, worker, log_file)
        signals = generating.result(timeout=600)
        load = PublisherLoad(local.kafka, layout, signals, RATE).start()
        stack.callback(load.stop)
        load.wait_for(FAULT_AT, timeout=300)
        before = load.acknowledged
        fault_ms = int(time.time() * 1000)
        injected = fault(servers, admin, layout)
        report = load.join(timeout=600)
        arrival = _wait_arrival(local.kafka, layout, report.acknowledged, fault_ms, worker,
                                log_file)
        _alive(worker, log_file)
    gc.collect()  # kafka-python's leaked sockets (see pytestmark) are reported in this test
    return report, arrival, injected, replication, time.monotonic() - started, before


def _record(scenario: str, brokers: str, report: Load, arrival: Arrival, injected: str,
            replication: str, seconds: float, before: int) -> int:
    ids = {str(s.signal_id) for s in report.acknowledged}
    delivered = sum(str(s.signal_id) in arrival.resolved_ids for s in report.acknowledged)
    replays = sum(n - 1 for n in arrival.resolved.values())
    record(Outcome(
        scenario=scenario,
        load=f"{len(report.offered):,} generated signals of 4 partners at {RATE:.0f}/s, "
             f"Publisher acks=all + idempotence (batches of {BATCH}), worker running; {brokers}",
        faults=injected, sent=len(report.offered), acknowledged=len(report.acknowledged),
        delivered=delivered, lost=len(report.acknowledged) - delivered,
        checks=(f"{replication}; {len(ids & arrival.normalised_ids):,} of {len(ids):,} "
                f"acknowledged signal ids on signals.normalised; "
                f"{len(arrival.expected & set(arrival.resolved)):,} of the "
                f"{len(arrival.expected):,} revisions dedupe predicts resolved, "
                f"{len(set(arrival.resolved) - arrival.expected)} others ({replays} replayed "
                f"copies); {len(report.acknowledged) - before:,} signals acknowledged and "
                f"{arrival.resolved_after:,} records resolved after the fault; "
                f"{len(report.failed_sends)} failed sends retried by the publisher, the longest "
                f"wait for an acknowledgement {report.longest_wait_s:.0f} s; worker and "
                "publisher never restarted"),
        seconds=seconds))
    return delivered


@pytest.mark.timeout(900)
def test_kill_9_of_one_broker_of_three_under_load_loses_nothing(settings: Settings, uid: str,
                                                                tmp_path: Path) -> None:
    def fault(servers: Stack, admin: KafkaAdminClient, layout: TopicLayout) -> str:
        leader = _leader(admin, layout.normalised, 0)
        [node] = [s for s in servers.servers
                  if isinstance(s, KafkaServer) and s.node_id == leader]
        assert node.process.kill() is not None, f"broker {leader} was not running"
        return (f"kill -9 of broker {leader} of 3 (leader of signals.normalised) at "
                f"{FAULT_AT:.0%} of the load; not restarted")

    report, arrival, injected, replication, seconds, before = _scenario(
        settings, uid, tmp_path, 100, 3, seed=17, fault=fault)
    delivered = _record("kill -9 one Kafka broker of three", "3-node KRaft cluster, "
                        "replication factor 3, min.insync.replicas 2", report, arrival,
                        injected, replication, seconds, before)
    ids = {str(s.signal_id) for s in report.acknowledged}
    assert len(report.acknowledged) == len(report.offered)
    assert arrival.problems(ids) == []
    assert delivered == len(report.acknowledged)
    assert arrival.resolved_after > 0, "nothing was resolved after the broker died"


@pytest.mark.timeout(900)
def test_single_broker_restarted_during_ingest_loses_nothing(settings: Settings, uid: str,
                                                             tmp_path: Path) -> None:
    def fault(servers: Stack, admin: KafkaAdminClient, layout: TopicLayout) -> str:
        [node] = [s for s in servers.servers if isinstance(s, KafkaServer)]
        assert node.process.kill() is not None, "the broker was not running"
        time.sleep(DOWN_S)
        t0 = time.monotonic()
        node.start()
        node.wait_ready(180.0)
        return (f"kill -9 of the only broker at {FAULT_AT:.0%} of the load, started again "
                f"after {DOWN_S:.0f} s (ready {time.monotonic() - t0:.0f} s later)")

    report, arrival, injected, replication, seconds, before = _scenario(
        settings, uid, tmp_path, 200, 1, seed=19, fault=fault)
    delivered = _record("Kafka broker restarted during ingest", "single broker", report,
                        arrival, injected, replication, seconds, before)
    ids = {str(s.signal_id) for s in report.acknowledged}
    assert len(report.acknowledged) == len(report.offered)
    assert arrival.problems(ids) == []
    assert delivered == len(report.acknowledged)
    assert arrival.resolved_after > 0, "nothing was resolved after the broker came back"
