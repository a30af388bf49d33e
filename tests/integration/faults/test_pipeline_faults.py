"""kill -9 of each platform process, and Neo4j stopped for 30 s, in the middle of a load
through the HTTP gateway: every acknowledged signal arrives exactly once in effect. Harder:
two sinks in one consumer group and one of them killed; the worker killed again while it
restores its tables; ten kills of worker, sink and router in one run, at moments a seeded RNG
picks (``FAULTS_SEED=<n>`` replays a run; the seed is in the row and in every failure).

"Exactly once in effect": every acknowledged signal is a ``Signal`` node in Neo4j; the
resolve stage emitted exactly the (signal id, revision) pairs in-process dedupe predicts from
the acknowledged signals (a replay may repeat a record, never make a new revision); every
partner got exactly the deliveries routing gives those records, and any second copy carries
the same ``delivery_id`` (a retry it can recognise, never a second delivery). The harder
scenarios also hold the graph against the resolve stage replayed in this process
(``predicted_entities``): every signal's newest revision in Neo4j, mentioning the predicted
entities once ``MERGED_INTO`` is followed.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from neo4j import Driver

from core.settings import Settings
from infra.stack import ServerStatus, Stack
from tests.integration.faults.pipeline_world import (
    SERVICES,
    GatewayLoad,
    PipelineWorld,
    command_of,
    end_offsets,
    generated,
    graph_entities,
    predicted_entities,
    read_back,
)
from tests.integration.faults.reliability import Outcome, record

SIGNALS, RATE = 1_200, 40.0
"""The load: 30 s of signals at 40/s, well inside what the pipeline sustains on 2 shared cores."""
FAULT_AT = 0.4
FAULT_AT_ROTATION = 0.1
DOWN_S = 3.0
"""How long a killed process stays down before it is started again."""
NEO4J_DOWN_S = 30.0
DRAIN_S = 300.0
TWO_SINKS = ("worker", "sink", "sink-2", "router", "gateway")
ROTATION = ("worker",) * 4 + ("sink",) * 3 + ("router",) * 3
"""The ten kills of the repeated scenario, in an order the seeded RNG shuffles."""
ROTATION_GAP_S = (0.5, 3.5)
ROTATION_DOWN_S = (0.5, 2.0)
"""The RNG picks each kill's moment (after the previous restart) and downtime in these ranges:
ten kills take about the 30 s the load lasts."""


def _kill_and_restart(service: str) -> Callable[[PipelineWorld], str]:
    def fault(world: PipelineWorld) -> str:
        code = world.kill(service)
        assert code == -9, f"{service} exited with {code}, not by SIGKILL"
        time.sleep(DOWN_S)
        world.restart(service)
        return (f"kill -9 `ketenlink {service}` at {FAULT_AT:.0%} of the load, restarted after "
                f"{DOWN_S:.0f} s")
    return fault


def _kill_one_of_two_sinks(killed_at: list[str]) -> Callable[[PipelineWorld], str]:
    def fault(world: PipelineWorld) -> str:
        deadline = time.monotonic() + 120
        while not (world.events("sink", "sink.batch") and world.events("sink-2", "sink.batch")):
            world.check()
            assert time.monotonic() < deadline, "the two sinks did not both write: nothing shared"
            time.sleep(0.2)
        killed_at.append(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))  # as logged
        code = world.kill("sink-2")
        assert code == -9, f"sink-2 exited with {code}, not by SIGKILL"
        time.sleep(DOWN_S)
        world.restart("sink-2")
        return (f"kill -9 of one of the two `ketenlink sink` processes (both had written) at "
                f"{FAULT_AT:.0%} of the load, restarted after {DOWN_S:.0f} s")
    return fault


def _kill_again_during_recovery(world: PipelineWorld) -> str:
    """The second kill comes as soon as the restarted worker holds its partitions in the faust
    app's consumer group: faust then restores both tables from their changelogs before its
    agents resume, so that nothing on ``signals.resolved`` is new at the kill (checked)."""
    code = world.kill("worker")
    assert code == -9, f"the worker exited with {code}, not by SIGKILL"
    time.sleep(DOWN_S)
    resolved = end_offsets(world, "signals.resolved")
    before = world.assigned_members(world.uid)
    world.restart("worker")
    restarted = time.monotonic()
    while not world.assigned_members(world.uid) - before:
        world.check()
        assert time.monotonic() < restarted + 120, "the restarted worker got no partitions"
        time.sleep(0.1)
    joined = time.monotonic() - restarted
    code = world.kill("worker")
    assert code == -9, f"the restarted worker exited with {code}, not by SIGKILL"
    assert end_offsets(world, "signals.resolved") == resolved, \
        "the restarted worker resolved records before the second kill: it was not recovering"
    time.sleep(DOWN_S)
    world.restart("worker")
    return (f"kill -9 `ketenlink worker` at {FAULT_AT:.0%} of the load, restarted after "
            f"{DOWN_S:.0f} s, killed again as soon as it held its partitions ({joined:.1f} s "
            "after the restart; restoring its tables, nothing resolved yet), restarted after "
            f"{DOWN_S:.0f} s")


def _rotating_kills(seed: int) -> Callable[[PipelineWorld], str]:
    def fault(world: PipelineWorld) -> str:
        rng = random.Random(seed)
        order = list(ROTATION)
        rng.shuffle(order)
        done: list[str] = []
        for name in order:
            time.sleep(rng.uniform(*ROTATION_GAP_S))
            code = world.kill(name)
            assert code == -9, f"{name} exited with {code}, not by SIGKILL (kills: {done})"
            down = rng.uniform(*ROTATION_DOWN_S)
            time.sleep(down)
            world.restart(name)
            done.append(f"{name} {down:.1f} s")
        return (f"{len(order)} kill -9 from {FAULT_AT_ROTATION:.0%} of the load on, each "
                f"{ROTATION_GAP_S[0]:g} to {ROTATION_GAP_S[1]:g} s after the previous restart, "
                f"in the order and with the downtimes RNG seed {seed} gives: " + ", ".join(done))
    return fault


def _neo4j_outage(settings: Settings) -> Callable[[PipelineWorld], str]:
    def fault(world: PipelineWorld) -> str:
        [neo4j] = [s for s in Stack(settings).servers if s.name == "neo4j"]
        assert neo4j.process.stop(), "Neo4j was not running under this stack's pid file"
        time.sleep(NEO4J_DOWN_S)
        world.check()  # nothing died of the outage
        neo4j.start()
        neo4j.wait_ready(180.0)
        return (f"Neo4j stopped at {FAULT_AT:.0%} of the load for {NEO4J_DOWN_S:.0f} s, then "
                "started again")
    return fault


def _running(services: Sequence[str]) -> str:
    counts = Counter(command_of(s) for s in services)
    return ", ".join(c if n == 1 else f"{n} {c}s in one consumer group" for c, n in counts.items())


def _run(settings: Settings, admin: KafkaAdminClient, driver: Driver, uid: str,
         tmp_path: Path, scenario: str, fault: Callable[[PipelineWorld], str], seed: int,
         services: Sequence[str] = SERVICES, entities: bool = False,
         fault_at: float = FAULT_AT) -> PipelineWorld:
    """The load, ``fault`` at ``fault_at`` of it, the read-back and the row; with ``entities``,
    the graph's entities are also held against ``predicted_entities``. The world returned has
    stopped; its logs remain."""
    signals = generated(settings, tmp_path / "generated", SIGNALS, seed, uid)
    started = time.monotonic()
    with PipelineWorld(settings, admin, uid, tmp_path, services) as world:
        load = GatewayLoad(world, signals, RATE).start()
        load.wait_for(fault_at, timeout=300)
        injected = fault(world)
        report = load.join(timeout=600)
        arrival = read_back(world, driver, report, timeout=DRAIN_S)
        graph = (graph_entities(world, driver, predicted_entities(world, arrival.acknowledged_ids),
                                timeout=60) if entities else None)
        world.check()
    seconds = time.monotonic() - started
    delivered = arrival.delivered_of(report.acknowledged)
    assert not report.refusals, report.refusals[:3]
    assert len(report.acknowledged) == len(signals)
    checks = (f"{len(arrival.acknowledged_ids & arrival.in_graph):,} of "
              f"{len(arrival.acknowledged_ids):,} signal ids in Neo4j; "
              f"{len(arrival.expected_keys & set(arrival.resolved)):,} of the "
              f"{len(arrival.expected_keys):,} revisions dedupe predicts resolved, "
              f"{len(set(arrival.resolved) - arrival.expected_keys)} others, "
              f"{len(arrival.differing)} resolved differently twice; "
              f"{arrival.delivered_count:,} partner deliveries, none a second delivery "
              f"({arrival.retried_deliveries:,} retried copies); {report.retried_posts} "
              "posts retried by the partner")
    if graph is not None:
        checks += (f"; {len(graph.predicted) - len(graph.differing):,} of {len(graph.predicted):,}"
                   " signals in Neo4j at the revision and with the entities (MERGED_INTO "
                   "followed) the resolve stage replayed in-process gives "
                   f"({graph.on_merged} mentions left on a merged entity)")
    record(Outcome(
        scenario=scenario,
        load=f"{len(signals):,} generated signals of 4 partners at {RATE:.0f}/s through the "
             f"HTTP gateway (batches of 10); {_running(services)} running",
        faults=injected, sent=len(report.offered), acknowledged=len(report.acknowledged),
        delivered=delivered, lost=len(report.acknowledged) - delivered, checks=checks,
        seconds=seconds))
    assert arrival.problems() == []
    assert not arrival.lost_ids
    assert delivered == len(report.acknowledged)
    if graph is not None:
        assert graph.problems() == []
    return world


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("service", ["worker", "sink", "router", "gateway"])
def test_kill_9_of_a_service_under_load_loses_and_duplicates_nothing(
        stack: list[ServerStatus], settings: Settings, admin: KafkaAdminClient, driver: Driver,
        uid: str, tmp_path: Path, service: str) -> None:
    _run(settings, admin, driver, uid, tmp_path, f"kill -9 {service}",
         _kill_and_restart(service), seed=11)


@pytest.mark.timeout(1200)
def test_neo4j_stopped_for_30_s_under_load_loses_nothing(
        stack: list[ServerStatus], settings: Settings, admin: KafkaAdminClient, driver: Driver,
        uid: str, tmp_path: Path) -> None:
    _run(settings, admin, driver, uid, tmp_path, "Neo4j stopped for 30 s",
         _neo4j_outage(settings), seed=13)


@pytest.mark.timeout(1200)
def test_kill_9_of_one_of_two_sinks_under_load_loses_nothing_and_converges(
        stack: list[ServerStatus], settings: Settings, admin: KafkaAdminClient, driver: Driver,
        uid: str, tmp_path: Path) -> None:
    killed_at: list[str] = []
    world = _run(settings, admin, driver, uid, tmp_path, "kill -9 one of two sinks",
                 _kill_one_of_two_sinks(killed_at), seed=19, services=TWO_SINKS,
                 entities=True)
    for name in ("sink", "sink-2"):  # the group re-formed: both wrote after the kill
        assert [e for e in world.events(name, "sink.batch") if e["timestamp"] > killed_at[0]], \
            f"{name} wrote nothing after the kill"


@pytest.mark.timeout(1200)
def test_kill_9_of_the_worker_while_it_recovers_loses_nothing(
        stack: list[ServerStatus], settings: Settings, admin: KafkaAdminClient, driver: Driver,
        uid: str, tmp_path: Path) -> None:
    _run(settings, admin, driver, uid, tmp_path, "kill -9 worker, again while it recovers",
         _kill_again_during_recovery, seed=23, entities=True)


@pytest.mark.timeout(1500)
def test_ten_kills_of_worker_sink_and_router_under_load_lose_nothing(
        stack: list[ServerStatus], settings: Settings, admin: KafkaAdminClient, driver: Driver,
        uid: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("FAULTS_SEED") or secrets.randbelow(1_000_000))
    print(f"kill schedule: FAULTS_SEED={seed}")
    try:
        _run(settings, admin, driver, uid, tmp_path, "ten kill -9 of worker, sink and router",
             _rotating_kills(seed), seed=29, entities=True, fault_at=FAULT_AT_ROTATION)
    except BaseException as exc:
        exc.add_note(f"replay the kill schedule with FAULTS_SEED={seed}")
        raise
