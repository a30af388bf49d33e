"""kill -9 of each platform process, and Neo4j stopped for 30 s, in the middle of a load
through the HTTP gateway: every acknowledged signal arrives exactly once in effect.

"Exactly once in effect": every acknowledged signal is a ``Signal`` node in Neo4j; the
resolve stage emitted exactly the (signal id, revision) pairs in-process dedupe predicts from
the acknowledged signals (a replay may repeat a record, never make a new revision); every
partner got exactly the deliveries routing gives those records, and any second copy carries
the same ``delivery_id`` (a retry it can recognise, never a second delivery).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from neo4j import Driver

from infra.stack import ServerStatus, Stack
from ketenlink.settings import Settings
from tests.integration.faults.pipeline_world import (
    GatewayLoad,
    PipelineWorld,
    generated,
    read_back,
)
from tests.integration.faults.reliability import Outcome, record

SIGNALS, RATE = 1_200, 40.0
"""The load: 30 s of signals at 40/s, well inside what the pipeline sustains on 2 shared cores."""
FAULT_AT = 0.4
DOWN_S = 3.0
"""How long a killed process stays down before it is started again."""
NEO4J_DOWN_S = 30.0
DRAIN_S = 300.0


def _kill_and_restart(service: str) -> Callable[[PipelineWorld], str]:
    def fault(world: PipelineWorld) -> str:
        code = world.kill(service)
        assert code == -9, f"{service} exited with {code}, not by SIGKILL"
        time.sleep(DOWN_S)
        world.restart(service)
        return (f"kill -9 `ketenlink {service}` at {FAULT_AT:.0%} of the load, restarted after "
                f"{DOWN_S:.0f} s")
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


def _run(settings: Settings, admin: KafkaAdminClient, driver: Driver, uid: str,
         tmp_path: Path, scenario: str, fault: Callable[[PipelineWorld], str], seed: int) -> None:
    signals = generated(settings, tmp_path / "generated", SIGNALS, seed, uid)
    started = time.monotonic()
    with PipelineWorld(settings, admin, uid, tmp_path) as world:
        load = GatewayLoad(world, signals, RATE).start()
        load.wait_for(FAULT_AT, timeout=300)
        injected = fault(world)
        report = load.join(timeout=600)
        arrival = read_back(world, driver, report, timeout=DRAIN_S)
        world.check()
    seconds = time.monotonic() - started
    delivered = arrival.delivered_of(report.acknowledged)
    assert not report.refusals, report.refusals[:3]
    assert len(report.acknowledged) == len(signals)
    record(Outcome(
        scenario=scenario,
        load=f"{len(signals):,} generated signals of 4 partners at {RATE:.0f}/s through the "
             "HTTP gateway (batches of 10); worker, sink, router, gateway running",
        faults=injected, sent=len(report.offered), acknowledged=len(report.acknowledged),
        delivered=delivered, lost=len(report.acknowledged) - delivered,
        checks=(f"{len(arrival.acknowledged_ids & arrival.in_graph):,} of "
                f"{len(arrival.acknowledged_ids):,} signal ids in Neo4j; "
                f"{len(arrival.expected_keys & set(arrival.resolved)):,} of the "
                f"{len(arrival.expected_keys):,} revisions dedupe predicts resolved, "
                f"{len(set(arrival.resolved) - arrival.expected_keys)} others, "
                f"{len(arrival.differing)} resolved differently twice; "
                f"{arrival.delivered_count:,} partner deliveries, none a second delivery "
                f"({arrival.retried_deliveries:,} retried copies); {report.retried_posts} "
                "posts retried by the partner"),
        seconds=seconds))
    assert arrival.problems() == []
    assert not arrival.lost_ids
    assert delivered == len(report.acknowledged)


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
