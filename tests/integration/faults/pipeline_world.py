"""The whole platform as child processes, a partner load through the HTTP gateway, and the
ground truth to hold the outcome against.

``PipelineWorld`` runs ``ketenlink worker``, ``sink``, ``router`` and ``gateway`` (each a real
process, killable with SIGKILL and restartable) on the test's own topics (prefix ``<uid>.``),
its own faust app id and consumer groups, every subscriber subscribed to everything. A service
named with an instance suffix (``sink-2``) is a further process of the same command, in the
same consumer group, with a log of its own.
``GatewayLoad`` posts generated signals of every inbound partner to the gateway at a steady
rate, per partner in order, in batches; a batch that gets no 202 (connection refused, 503, a
timeout) is sent again until it does, as a partner would. ``read_back`` reads back what arrived:
``Signal`` nodes in Neo4j, ``signals.resolved`` and every delivery topic, and compares them
with what in-process dedupe predicts from the acknowledged signals; ``graph_entities`` and
``predicted_entities`` compare the entities each signal mentions in Neo4j with those the resolve
stage gives when ``signals.normalised`` is replayed through it in this process.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from neo4j import Driver

from bench.route import _signals, _subscribe_everyone, _warm_up
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout, apply_topics
from graph.cypher_parts import MAX_REDIRECTS
from infra.offsets import wait_committed
from policy.live import LiveRegistry
from policy.registry import Registry, load_registry
from policy.retention import topic_layout
from producers.gateway.server import create_token
from schemas.graph_model import ENTITY_LABEL
from schemas.signal import Signal, signal_id_for
from streams.app import changelog_topics
from streams.dedupe import deduplicate
from streams.pipeline import process
from streams.recipients import route
from streams.resolve import Resolver

SERVICES = ("worker", "sink", "router", "gateway")
BATCH = 10
Key = tuple[str, int]
"""(signal id, revision)."""
Mentions = tuple[int, dict[str, str]]
"""A signal's revision and, per subject ref, the entity id at the end of its merge chain."""


def command_of(name: str) -> str:
    """The ``ketenlink`` command of a service name: ``sink-2`` → ``sink``."""
    command, _, instance = name.rpartition("-")
    return command if command and instance.isdigit() else name


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def generated(settings: Settings, folder: Path, count: int, seed: int, tag: str) -> list[Signal]:
    """``count`` generated signals of every inbound partner, references made the test's own."""
    made = _signals(settings, folder, int(count / 0.6) + 100, seed)[:count]
    assert len(made) == count, f"the generator gave {len(made)} signals, {count} wanted"
    return [s.model_copy(update={"partner_ref": ref, "signal_id": signal_id_for(s.partner, ref)})
            for s in made for ref in [f"{s.partner_ref}-{tag}"]]


class PipelineWorld:
    """Worker, sink, router and gateway on the test's topics (``services``: more instances of one
    with a suffix, ``sink-2``); ``kill``/``restart`` any of them."""

    def __init__(self, settings: Settings, admin: Any, uid: str, folder: Path,
                 services: Sequence[str] = SERVICES) -> None:
        assert {command_of(s) for s in services} == set(SERVICES), f"not a pipeline: {services}"
        self.settings, self.admin, self.uid, self.folder = settings, admin, uid, folder
        self.names = tuple(services)
        self.layout: TopicLayout = topic_layout(prefix=f"{uid}.")
        apply_topics(admin, [*self.layout.topics, *changelog_topics(uid)])
        self.gateway_port = free_port(settings.gateway.host)
        self.env = {"KETENLINK_TOPIC_PREFIX": f"{uid}.", "KETENLINK_FAUST_APP_ID": uid,
                    "KETENLINK_VAR_DIR": str(folder / "var"), "KETENLINK_LOG_LEVEL": "info",
                    "KETENLINK_LOG_FORMAT": "json",
                    "KETENLINK_GATEWAY__PORT": str(self.gateway_port),
                    "KETENLINK_GATEWAY__TOKENS_FILE": str(folder / "tokens.json"),
                    "KETENLINK_GATEWAY__RATE_LIMIT_PER_MINUTE": "600000"}
        local = settings.model_copy(update={"gateway": settings.gateway.model_copy(
            update={"tokens_file": folder / "tokens.json"})})
        registered = load_registry().entries  # a kind of many (gemeente) is no partner itself
        self.tokens = {p: create_token(local, p) for p in self.layout.partners if p in registered}
        _subscribe_everyone(settings, self.layout)
        with LiveRegistry.open(settings, self.layout) as live:
            self.registry: Registry = live.current()
        self.services: dict[str, ServiceProcess] = {}
        self.restarts: dict[str, int] = defaultdict(int)
        self._stack = ExitStack()

    @property
    def gateway_url(self) -> str:
        return f"http://{self.settings.gateway.host}:{self.gateway_port}"

    def __enter__(self) -> PipelineWorld:
        try:
            for name in self.names:
                self._start(name)
            self._wait_gateway()
            _warm_up(self.settings, self.layout, list(self.services.values()), self.folder)
            assert wait_committed(self.settings.kafka.bootstrap_servers,
                                  f"{self.uid}-graph-sink", [self.layout.resolved],
                                  120.0, self.check), "the sink did not commit the warm-up signal"
        except BaseException:
            self._stack.close()  # a failed start must not leave the services running
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def _start(self, name: str) -> None:
        service = ServiceProcess(command_of(name), self.folder / f"{name}.log", env=self.env)
        self.services[name] = service
        self._stack.enter_context(service)

    def _wait_gateway(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.gateway_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            self.check()
            assert time.monotonic() < deadline, f"the gateway did not answer in {timeout:.0f} s"
            time.sleep(0.3)

    def kill(self, name: str) -> int | None:
        """SIGKILL the service, as a crash would; its exit code."""
        return self.services[name].kill()

    def restart(self, name: str) -> None:
        """Start the service again (after ``kill``), appending to its log."""
        self.restarts[name] += 1
        self._start(name)
        if name == "gateway":
            self._wait_gateway()

    def check(self) -> None:
        """Raise with the log's tail if a service exited that was not killed on purpose."""
        for name, service in self.services.items():
            if service.returncode is not None:
                raise AssertionError(f"{name} exited ({service.returncode}):\n"
                                     f"{self.log_of(name)[-1500:]}")

    def assigned_members(self, group: str) -> set[str]:
        """The member ids of consumer ``group`` that hold partitions, once it is stable (an
        empty set while it rebalances)."""
        described = self.admin.describe_groups([group])[group]
        if described["group_state"] != "Stable":
            return set()
        return {m["member_id"] for m in described["members"] if m["member_assignment"]}

    def log_of(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def events(self, name: str, event: str) -> list[dict[str, Any]]:
        """The JSON log lines of ``event`` in the service's log (every run of it)."""
        out = []
        for line in self.log_of(name).splitlines():
            start = line.find("{")  # a terminal escape can come first
            if start >= 0 and f'"{event}"' in line:
                try:
                    doc = json.loads(line[start:])
                except ValueError:
                    continue
                if doc.get("event") == event:
                    out.append(doc)
        return out


@dataclass
class LoadReport:
    offered: list[Signal] = field(default_factory=list)
    acknowledged: list[Signal] = field(default_factory=list)
    posts: int = 0
    retried_posts: int = 0
    refusals: list[str] = field(default_factory=list)
    """Answers that are neither 202 nor a reason to retry (a test failure)."""
    placed: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    """signal id → (topic, partition, offset) of each acknowledged copy, as the gateway said."""


class GatewayLoad:
    """Posts ``signals`` to the gateway at ``rate`` signals/s from a thread; ``progress`` is the
    fraction of signals acknowledged so far."""

    RETRY = (429, 500, 502, 503, 504)

    def __init__(self, world: PipelineWorld, signals: list[Signal], rate: float) -> None:
        self.world, self.rate = world, rate
        self.report = LoadReport(offered=list(signals))
        self.batches = interleaved_batches(signals)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True, name="gateway-load")
        self._error: list[BaseException] = []
        self._stop = threading.Event()

    @property
    def progress(self) -> float:
        with self._lock:
            return len(self.report.acknowledged) / max(len(self.report.offered), 1)

    def start(self) -> GatewayLoad:
        self._thread.start()
        return self

    def join(self, timeout: float) -> LoadReport:
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stop.set()
            raise AssertionError(f"the load did not finish in {timeout:.0f} s")
        if self._error:
            raise self._error[0]
        return self.report

    def wait_for(self, fraction: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.progress < fraction:
            assert time.monotonic() < deadline, f"the load reached only {self.progress:.0%}"
            assert not self._error, repr(self._error)
            time.sleep(0.05)

    def _run(self) -> None:
        try:
            with httpx.Client(base_url=self.world.gateway_url, timeout=30) as client:
                started = time.monotonic()
                sent = 0
                for partner, batch in self.batches:
                    if self._stop.is_set():
                        return
                    pause = started + sent / self.rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    self._post(client, partner, batch)
                    sent += len(batch)
        except BaseException as exc:  # handed to the test by join()
            self._error.append(exc)

    def _post(self, client: httpx.Client, partner: str, batch: list[Signal]) -> None:
        body = {"signals": [json.loads(s.model_dump_json(exclude={"signal_id"})) for s in batch]}
        headers = {"Authorization": f"Bearer {self.world.tokens[partner]}"}
        first = True
        while not self._stop.is_set():
            self.report.posts += 1
            if not first:
                self.report.retried_posts += 1
            first = False
            try:
                response = client.post("/v1/signals", json=body, headers=headers)
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            if response.status_code == 202:
                accepted = response.json()["accepted"]
                assert [a["signal_id"] for a in accepted] == [s.signal_id for s in batch], \
                    "acknowledged other signals"
                with self._lock:
                    for a in accepted:
                        self.report.placed.setdefault(a["signal_id"], []).append(
                            (a["topic"], a["partition"], a["offset"]))
                    self.report.acknowledged.extend(batch)
                return
            if response.status_code in self.RETRY:
                time.sleep(float(response.headers.get("Retry-After", "0.5")))
                continue
            self.report.refusals.append(f"{response.status_code} {response.text[:300]}")
            return


def interleaved_batches(signals: list[Signal]) -> list[tuple[str, list[Signal]]]:
    """Batches of one partner each, every partner's signals in their order, partners taking
    turns."""
    per_partner: dict[str, list[Signal]] = defaultdict(list)
    for signal in signals:
        per_partner[signal.partner].append(signal)
    queues = {p: [s[i:i + BATCH] for i in range(0, len(s), BATCH)]
              for p, s in per_partner.items()}
    out: list[tuple[str, list[Signal]]] = []
    for i in range(max(len(q) for q in queues.values())):
        out.extend((p, q[i]) for p, q in queues.items() if i < len(q))
    return out


@dataclass
class Arrival:
    """What arrived, against what the acknowledged signals make certain."""

    expected_keys: set[Key]
    resolved: dict[Key, int]
    """(signal id, revision) → copies on ``signals.resolved`` (replays included)."""
    in_graph: set[str]
    expected_deliveries: dict[str, set[Key]]
    delivered: dict[str, dict[Key, int]]
    """recipient → (signal id, revision) → copies (a copy after the first is a retry: the same
    ``delivery_id``)."""
    acknowledged_ids: set[str]
    misordered: set[Key] = field(default_factory=set)
    """Keys whose inbound record comes after the one of the next revision in the partner's
    topic: an older version overtook a newer one on the way and became the newer revision."""
    differing: set[Key] = field(default_factory=set)
    """Keys whose copies on ``signals.resolved`` name different entities, even after following
    ``entities.merges`` (a replay names an entity's survivor if it was merged meanwhile)."""
    normalised: dict[str, int] = field(default_factory=dict)
    """signal id → records on ``signals.normalised`` (to tell where a missing one stopped)."""
    placed: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)

    @property
    def arrived_ids(self) -> set[str]:
        """Acknowledged signals in Neo4j and delivered wherever routing sends them."""
        undelivered = {key[0] for recipient, keys in self.expected_deliveries.items()
                       for key in keys if key not in self.delivered.get(recipient, {})}
        return (self.acknowledged_ids & self.in_graph) - undelivered

    def delivered_of(self, acknowledged: list[Signal]) -> int:
        """How many of the acknowledged signals (resends and revisions each count) arrived."""
        arrived = self.arrived_ids
        return sum(str(s.signal_id) in arrived for s in acknowledged)

    @property
    def lost_ids(self) -> set[str]:
        return self.acknowledged_ids - self.arrived_ids

    @property
    def retried_deliveries(self) -> int:
        return sum(n - 1 for keys in self.delivered.values() for n in keys.values())

    @property
    def delivered_count(self) -> int:
        return sum(len(keys) for keys in self.delivered.values())

    def problems(self) -> list[str]:
        """Every way the outcome differs from the ground truth; empty when exactly once."""
        out = []
        if missing := self.expected_keys - set(self.resolved):
            out.append(f"{len(missing)} acknowledged revisions never resolved, e.g. "
                       f"{sorted(missing)[:3]} (copies on signals.normalised: "
                       f"{[self.normalised.get(k[0], 0) for k in sorted(missing)[:3]]}; "
                       f"inbound: {[self.placed.get(k[0]) for k in sorted(missing)[:3]]})")
        if self.misordered:
            out.append(f"{len(self.misordered)} revisions numbered against the partner's order "
                       f"(an older version resolved as the newer revision), e.g. "
                       f"{sorted(self.misordered)[:3]}")
        if self.differing:
            out.append(f"{len(self.differing)} revisions resolved twice with different entities, "
                       f"e.g. {sorted(self.differing)[:3]}")
        if extra := set(self.resolved) - self.expected_keys:
            out.append(f"{len(extra)} resolved revisions no acknowledged signal makes, e.g. "
                       f"{sorted(extra)[:3]}")
        if missing_nodes := self.acknowledged_ids - self.in_graph:
            out.append(f"{len(missing_nodes)} acknowledged signals not in Neo4j")
        for recipient, keys in sorted(self.expected_deliveries.items()):
            got = set(self.delivered.get(recipient, {}))
            if keys - got:
                out.append(f"{recipient}: {len(keys - got)} deliveries missing")
            if got - keys:
                out.append(f"{recipient}: {len(got - keys)} deliveries it can tell apart from "
                           f"a retry (another revision), e.g. {sorted(got - keys)[:3]}")
        return out


def predicted_keys(acknowledged: list[Signal]) -> set[Key]:
    """The (signal id, revision) the resolve stage emits for these signals, by in-process dedupe
    in each partner's order."""
    store: dict[str, Any] = {}
    keys = set()
    for i, signal in enumerate(acknowledged):
        decision = deduplicate(store, signal, f"load/{i}")
        if not decision.suppressed:
            keys.add((str(decision.signal_id), decision.revision))
    return keys


def read_back(world: PipelineWorld, driver: Driver, report: LoadReport, timeout: float
              ) -> Arrival:
    """Wait until everything acknowledged arrived (or ``timeout``), then return what did."""
    acknowledged_ids = {str(s.signal_id) for s in report.acknowledged}
    expected = predicted_keys(report.acknowledged)
    deadline = time.monotonic() + timeout
    while True:
        outcome = _observe(world, driver, acknowledged_ids, expected)
        if not outcome.problems() or time.monotonic() > deadline:
            outcome.placed = report.placed
            return outcome
        world.check()
        time.sleep(3)


def _observe(world: PipelineWorld, driver: Driver, acknowledged_ids: set[str],
             expected: set[Key]) -> Arrival:
    layout = world.layout
    resolved_docs = _read_all(world.settings, [layout.resolved])
    mine = [d for d in resolved_docs if d["signal_id"] in acknowledged_ids]
    resolved: dict[Key, int] = defaultdict(int)
    first: dict[Key, dict[str, Any]] = {}
    differing: set[Key] = set()
    survivor = _survivors(_read_all(world.settings, [layout.merges]))
    for doc in mine:
        key = (doc["signal_id"], int(doc["revision"]))
        resolved[key] += 1
        if _entities(first.setdefault(key, doc), survivor) != _entities(doc, survivor):
            differing.add(key)
    normalised: dict[str, int] = defaultdict(int)
    misordered = _misordered({key: doc["source"] for key, doc in first.items()})
    for doc in _read_all(world.settings, [layout.normalised]):
        normalised[str(doc["signal"]["signal_id"])] += 1
    now = datetime.now(UTC)
    expected_deliveries: dict[str, set[Key]] = defaultdict(set)
    for key, doc in first.items():
        if key in expected:
            for delivery in route(doc, world.registry, layout.recipients, now):
                expected_deliveries[delivery.recipient].add(key)
    delivered: dict[str, dict[Key, int]] = {}
    for recipient in layout.recipients:
        counts: dict[Key, int] = defaultdict(int)
        for doc in _read_all(world.settings, [layout.delivery(recipient)]):
            if doc["signal_id"] in acknowledged_ids:
                counts[(doc["signal_id"], int(doc["revision"]))] += 1
        delivered[recipient] = dict(counts)
    records, _, _ = driver.execute_query(
        "UNWIND $ids AS id MATCH (s:Signal {signal_id: id}) RETURN s.signal_id AS id",
        ids=sorted(acknowledged_ids), database_=world.settings.neo4j.database)
    return Arrival(expected, dict(resolved), {r["id"] for r in records},
                   dict(expected_deliveries), delivered, acknowledged_ids, misordered,
                   differing, dict(normalised))


def _misordered(sources: dict[Key, dict[str, Any]]) -> set[Key]:
    """Of (signal id, revision) → its inbound record (``source``), the revisions whose record
    comes after the next revision's in the partner's topic partition (one key, one partition)."""
    by_signal: dict[str, list[tuple[int, tuple[str, int, int]]]] = defaultdict(list)
    for (signal_id, revision), src in sources.items():
        by_signal[signal_id].append(
            (revision, (src["topic"], int(src["partition"]), int(src["offset"]))))
    out = set()
    for signal_id, revisions in by_signal.items():
        revisions.sort()
        for (revision, here), (_, after) in pairwise(revisions):
            if here[:2] == after[:2] and here[2] > after[2]:
                out.add((signal_id, revision))
    return out


def _survivors(merges: Iterator[dict[str, Any]]) -> Callable[[str], str]:
    """Entity id → the entity it was finally merged into (itself when never merged)."""
    into = {m["merged"]: m["into"] for m in merges}

    def survivor(entity: str) -> str:
        seen = {entity}
        while entity in into and into[entity] not in seen:
            entity = into[entity]
            seen.add(entity)
        return entity
    return survivor


def _entities(doc: dict[str, Any], survivor: Callable[[str], str]) -> list[str]:
    return [survivor(e["entity_id"]) for e in doc["entities"]]


def records_to_end(settings: Settings, topics: list[str]) -> Iterator[ConsumerRecord]:
    """Every record of ``topics`` up to their end offsets now."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, group_id=None,
                             enable_auto_commit=False)
    try:
        parts = [TopicPartition(t, p) for t in topics
                 for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < end[tp] for tp in parts):
            assert time.monotonic() < deadline, f"could not read {topics} to the end"
            for batch in consumer.poll(timeout_ms=500).values():
                yield from batch
    finally:
        consumer.close()


def _read_all(settings: Settings, topics: list[str]) -> Iterator[dict[str, Any]]:
    """Every record of ``topics`` up to their end offsets now, decoded."""
    for record in records_to_end(settings, topics):
        yield json.loads(record.value)


GRAPH_MENTIONS = f"""
UNWIND $ids AS id
MATCH (s:Signal {{signal_id: id}})
OPTIONAL MATCH (s)-[m:MENTIONS]->(e:{ENTITY_LABEL})
OPTIONAL MATCH (e)-[:MERGED_INTO*1..{MAX_REDIRECTS}]->(t:{ENTITY_LABEL})
  WHERE NOT (t)-[:MERGED_INTO]->()
RETURN id, s.revision AS revision, m.ref AS ref, coalesce(t, e).entity_id AS entity,
       t IS NOT NULL AS redirected
"""


@dataclass
class GraphEntities:
    """What Neo4j holds for some signals, against what the resolve stage predicts."""

    found: dict[str, Mentions]
    predicted: dict[str, Mentions]
    on_merged: int
    """Mentions that point at a merged entity rather than its survivor (followed for the
    comparison; a write racing a merge in another sink instance can leave one)."""

    @property
    def differing(self) -> set[str]:
        """Signal ids whose revision or entities in the graph are not the predicted ones."""
        return {i for i, want in self.predicted.items() if self.found.get(i) != want}

    def problems(self) -> list[str]:
        out = []
        if differing := sorted(self.differing):
            out.append(f"{len(differing)} signals whose graph entities are not the predicted "
                       f"ones, e.g. " + "; ".join(
                           f"{i}: {self.found.get(i)} ≠ {self.predicted[i]}"
                           for i in differing[:2]))
        return out


def predicted_entities(world: PipelineWorld, signal_ids: set[str]) -> dict[str, Mentions]:
    """Signal id → its newest revision and the entities the resolve stage gives it, by replaying
    ``signals.normalised`` (one partition: one total order) through ``streams.pipeline.process``
    with dict stores in this process; entity ids taken to the survivor of every merge.

    Newest means the highest revision, as in the graph (``graph.upsert`` lets only a higher
    revision change a signal): after a kill, intake may write an older revision's record to
    ``signals.normalised`` again after a newer one, and its replayed emission must not count as
    the newest. Of emissions of one revision the last counts (the sink writes each again)."""
    store: dict[str, Any] = {}
    resolver = Resolver({})
    newest: dict[str, Mentions] = {}
    for doc in _read_all(world.settings, [world.layout.normalised]):
        signal = Signal.model_validate_json(json.dumps(doc["signal"]))
        outcome = process(signal, doc["source"], store, resolver)
        signal_id, revision = outcome.dedup.signal_id, outcome.dedup.revision
        if (outcome.resolved is not None and signal_id in signal_ids
                and revision >= newest.get(signal_id, (0, {}))[0]):
            newest[signal_id] = (revision, {
                e["ref"]: e["entity_id"] for e in outcome.resolved["entities"]})
    return {i: (revision, {ref: resolver.current(e) for ref, e in refs.items()})
            for i, (revision, refs) in newest.items()}


def graph_entities(world: PipelineWorld, driver: Driver, predicted: dict[str, Mentions],
                   timeout: float) -> GraphEntities:
    """The revision and mentioned entities (merge chains followed) in Neo4j of each signal of
    ``predicted`` (``predicted_entities``), once they are the predicted ones or ``timeout``
    passed (merges travel on other partitions than the signals they concern). Call after
    ``read_back``."""
    deadline = time.monotonic() + timeout
    while True:
        records, _, _ = driver.execute_query(GRAPH_MENTIONS, ids=sorted(predicted),
                                             database_=world.settings.neo4j.database)
        found: dict[str, Mentions] = {}
        on_merged = 0
        for r in records:
            _, refs = found.setdefault(r["id"], (r["revision"], {}))
            if r["ref"] is not None:
                refs[r["ref"]] = r["entity"]
                on_merged += bool(r["redirected"])
        outcome = GraphEntities(found, predicted, on_merged)
        if not outcome.problems() or time.monotonic() > deadline:
            return outcome
        world.check()
        time.sleep(2)


def end_offsets(world: PipelineWorld, topic: str) -> int:
    """How many records ``topic`` of the world's layout holds (the sum of its end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=world.settings.kafka.bootstrap_servers,
                             group_id=None, enable_auto_commit=False)
    try:
        name = world.layout.name(topic)
        parts = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


Fault = Callable[[PipelineWorld], str]
"""Injects a fault into a running world; returns what it did, for the report."""
