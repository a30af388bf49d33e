"""``ketenlink bench e2e`` as a smoke run on the shared test stack: every figure there and
positive, every signal in Neo4j. Nothing here asserts a speed.

The benchmark isolates itself (fresh topic prefix, faust app id and consumer groups; partner
references suffixed with the run, so its signal and entity ids are its own) and never wipes the
graph: its raw Neo4j baseline writes id-suffixed copies and deletes them by id, as it deletes the
run's own signals at the end. A node written before the run must still be there after it.
"""

from __future__ import annotations

import json
from pathlib import Path

from kafka import KafkaAdminClient
from neo4j import Driver
from typer.testing import CliRunner

from core.settings import Settings
from ketenlink.cli import app
from schemas.graph_model import ENTITY_LABEL

FIGURES = ("signals", "seconds", "e2e_per_s", "raw_kafka_produce_per_s", "raw_kafka_consume_per_s",
           "ratio_e2e_vs_raw_kafka", "sink_per_s", "raw_neo4j_per_s", "ratio_sink_vs_raw_neo4j")


def test_a_small_run_reports_every_figure_and_leaves_the_graph_as_it_was(
        settings: Settings, driver: Driver, admin: KafkaAdminClient, uid: str,
        tmp_path: Path) -> None:
    database = settings.neo4j.database
    driver.execute_query("CREATE (:Signal {signal_id: $id, partner_id: 'riec'})", id=uid,
                         database_=database)
    try:
        result = CliRunner().invoke(app, [
            "bench", "e2e", "--signals", "2000", "--rate", "100", "--latency-seconds", "5",
            "--drain-seconds", "60", "--timeout", "240", "--json", str(tmp_path / "e2e.json"),
            "--plot", str(tmp_path / "e2e.png")])
        assert result.exit_code == 0, result.output
        before, _, _ = driver.execute_query(
            "MATCH (s:Signal {signal_id: $id}) RETURN count(s) AS n", id=uid, database_=database)
        assert before[0]["n"] == 1  # nothing wiped
    finally:
        driver.execute_query("MATCH (s:Signal {signal_id: $id}) DETACH DELETE s", id=uid,
                             database_=database)

    figures = json.loads((tmp_path / "e2e.json").read_text())
    assert figures["signals"] == 2000
    for name in FIGURES:
        assert figures[name] > 0, name
    for latency in (figures["latency_ms"], figures["latency_graph_ms"]):
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert figures["latency"]["published"] == 500
    assert all(figures["peak_rss_mb"][p] > 0 for p in ("worker", "sink", "router"))
    assert all(stage["done_s"] > 0 for stage in figures["stages"].values())
    # every signal reached Neo4j (the resends among the 2000 are suppressed by design)
    assert figures["ended"] == "complete"
    assert figures["resolved_records"] == figures["expected_resolved_records"] > 1900
    assert figures["signals_in_graph"] == figures["signals_resolved"] > 1800
    assert figures["delivered_records"] == figures["deliverable_records"] > 0
    assert set(figures["goals"]) == {"e2e_per_s", "p99_delivery_ms", "ratio_sink_vs_raw_neo4j",
                                     "worker_rss_growth"}
    assert (tmp_path / "e2e.png").read_bytes()[:4] == b"\x89PNG"
    assert "sink capacity /s" in result.output

    left, _, _ = driver.execute_query(
        "MATCH (s:Signal) WHERE s.partner_ref ENDS WITH $run RETURN count(s) AS n",
        run=figures["run"].removeprefix("bench-e2e-"), database_=database)
    assert left[0]["n"] == 0  # the run deleted its own signals, by id
    assert figures["warm_graph_s"] > 0
    warm_suffix = "xg" + figures["run"].removeprefix("bench-e2e-").replace("-", "")
    warm_left, _, _ = driver.execute_query(
        f"MATCH (n) WHERE (n:Signal AND n.signal_id ENDS WITH $suffix) OR "
        f"(n:{ENTITY_LABEL} AND n.entity_id ENDS WITH $suffix) RETURN count(n) AS n",
        suffix=warm_suffix, database_=database)
    assert warm_left[0]["n"] == 0  # the Neo4j warm-up deleted what it wrote
    assert not [t for t in admin.list_topics() if t.startswith(figures["run"])]
