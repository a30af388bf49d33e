"""``ketenlink bench graph`` end to end on a tiny scale. The benchmark wipes its database, so it
runs on a stack of its own (own ports, own var dir: the recipe the help text gives), never on
the shared test stack. Nothing here asserts a speed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.graph import GraphBenchOptions, run_graph_bench
from core.settings import KafkaSettings, Neo4jSettings, Settings
from infra.stack import Stack
from tests.own_stack import BENCH_PORT_OFFSET


@pytest.fixture(scope="module")
def bench_settings(tmp_path_factory: pytest.TempPathFactory,
                   settings: Settings) -> Iterator[Settings]:
    """The session's ports moved by ``BENCH_PORT_OFFSET``, in a var dir of its own."""
    own = Settings(var_dir=tmp_path_factory.mktemp("bench-stack") / "var",
                   kafka=KafkaSettings(port=settings.kafka.port + BENCH_PORT_OFFSET,
                                       controller_port=settings.kafka.controller_port
                                       + BENCH_PORT_OFFSET),
                   neo4j=Neo4jSettings(bolt_port=settings.neo4j.bolt_port + 1))
    stack = Stack(own)
    statuses = stack.up()
    try:
        yield own
    finally:
        stack.down(names=[s.name for s in statuses if s.started_here])


def test_small_run_reports_sane_figures(bench_settings: Settings, tmp_path: Path) -> None:
    lines: list[str] = []
    figures = run_graph_bench(bench_settings, GraphBenchOptions(
        signals=300, nodes=2_000, queries=20, warmup=5, wipe_graph=True), lines.append)

    assert figures["signals"] == 300
    assert figures["sink_per_s"] > 0 and figures["raw_neo4j_per_s"] > 0
    assert figures["ratio_sink_vs_raw_neo4j"] == pytest.approx(
        figures["sink_per_s"] / figures["raw_neo4j_per_s"], rel=0.01)
    # the baseline writes the graph the sink ends with (the sink keeps a few more edges: a
    # relation retracted by a revision is only dropped once no signal supports it)
    raw, sink = figures["raw_neo4j"], figures["sink"]
    assert sink["nodes"] == pytest.approx(raw["nodes"], rel=0.02)
    assert sink["relationships"] == pytest.approx(raw["relationships"], rel=0.02)
    assert figures["nodes"] >= 2_000 and figures["relationships"] > figures["nodes"]
    assert figures["growth"]["copies"] >= 1
    latency = figures["latency_ms"]
    assert latency["queries"] == 20
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert figures["warmup_ms"]["queries"] == 5
    assert figures["settings"]["neo4j_uri"] == bench_settings.neo4j.uri
    assert any(line.startswith("sink (run_sink)") for line in lines)
