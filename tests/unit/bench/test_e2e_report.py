"""The end-to-end benchmark's report: percentiles with lower bounds, goals, table and plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.e2e_report import goals, percentiles, print_table, write_plot


def _figures(signals: int, e2e: float, p99: float, worker_peak: float) -> dict[str, Any]:
    lat = {"p50": p99 / 4, "p95": p99 / 2, "p99": p99, "max": p99 * 2, "count": 100,
           "censored": 0, "lower_bound": False, "never_arrived": 0}
    f: dict[str, Any] = {
        "signals": signals, "seconds": signals / e2e, "e2e_per_s": e2e, "machine": {"cpus": 2},
        "raw_kafka": {"consume": {"per_s": 20_000.0}},
        "raw_kafka_produce_per_s": 5_000.0, "ratio_e2e_vs_raw_kafka": e2e / 5_000,
        "ratio_e2e_vs_raw_kafka_consume": e2e / 20_000,
        "sink_per_s": 800.0, "raw_neo4j_per_s": 1_600.0, "ratio_sink_vs_raw_neo4j": 0.5,
        "graph_baselines": {"raw": {"graph_rows": 1_000, "seconds": 1.0},
                            "sink": {"median_s": 0.5}},
        "stages": {"publish": {"records": signals, "done_s": 1.0, "per_s": float(signals)},
                   "sink (in Neo4j)": {"records": signals, "done_s": 2.0, "per_s": 1.0,
                                       "lag_s": 0.5}},
        "latency_ms": lat, "latency_graph_ms": {**lat, "censored": 3, "lower_bound": True},
        "latency": {"rate_per_s": 500.0, "seconds": 20.0, "backlog_at_publish_end": 12,
                    "backlog_at_end": 0, "waited_s": 3.0},
        "rss_after_warmup_mb": {"worker": 100.0, "sink": 100.0, "router": 80.0},
        "peak_rss_mb": {"worker": worker_peak, "sink": 150.0, "router": 90.0},
        "cpu_cores_used": {"worker": 0.97, "neo4j": 0.6},
    }
    f["goals"] = goals(f)
    return f


def test_percentiles_of_complete_values() -> None:
    out = percentiles([float(v) for v in range(1, 101)])
    assert (out["p50"], out["p95"], out["p99"], out["max"]) == (50.5, 95.0, 99.0, 100.0)
    assert out["count"] == 100 and out["censored"] == 0 and not out["lower_bound"]


def test_censored_values_make_a_percentile_a_lower_bound_only_when_they_reach_it() -> None:
    values = [float(v) for v in range(1, 100)]
    late = percentiles(values, censored=[5_000.0])  # one signal still under way after 5 s
    assert late["censored"] == 1 and late["max"] == 5_000.0
    assert late["lower_bound"]  # p99 of 100 values lies between the 99th and the censored one
    early = percentiles([*values, *values], censored=[150.0])
    assert not early["lower_bound"] and early["p99"] < 150.0


def test_percentiles_of_nothing_and_of_one_value() -> None:
    assert percentiles([])["p99"] is None
    assert percentiles([7.0])["p50"] == percentiles([7.0])["p99"] == 7.0


@pytest.mark.parametrize(("e2e", "p99", "peak", "met"), [
    (6_000.0, 200.0, 105.0, {"e2e_per_s": True, "p99_delivery_ms": True,
                             "ratio_sink_vs_raw_neo4j": True, "worker_rss_growth": True}),
    (90.0, 4_000.0, 300.0, {"e2e_per_s": False, "p99_delivery_ms": False,
                            "ratio_sink_vs_raw_neo4j": True, "worker_rss_growth": False}),
])
def test_goals(e2e: float, p99: float, peak: float, met: dict[str, bool]) -> None:
    result = _figures(10_000, e2e, p99, peak)["goals"]
    assert {k: v["met"] for k, v in result.items()} == met
    assert result["worker_rss_growth"]["value"] == round(peak / 100.0, 3)


def test_table_names_each_figure_and_goal() -> None:
    lines: list[str] = []
    print_table(_figures(2_000, 90.0, 4_000.0, 120.0), lines.append)
    text = "\n".join(lines)
    for expected in ("end to end (publish -> Neo4j) /s", "sink capacity /s", "publish -> delivery",
                     "publish -> visible in Neo4j", "NOT met", ">=4,000", "backlog",
                     "worker 0.97, neo4j 0.60"):
        assert expected in text


def test_plot_is_a_png_of_every_run(tmp_path: Path) -> None:
    runs = [_figures(10_000, 90.0, 4_000.0, 120.0), _figures(2_000, 95.0, 3_000.0, 110.0)]
    runs[0]["latency_ms"]["p50"] = None  # nothing arrived: a gap, not a crash
    path = write_plot(runs, tmp_path / "e2e.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
