"""Figures of ``ketenlink bench e2e`` as a terminal table, goals and a PNG (matplotlib, Agg)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

GOALS = {
    "e2e_per_s": ("end to end >= 5,000 signals/s", 5_000.0),
    "p99_delivery_ms": ("p99 publish -> delivery <= 250 ms", 250.0),
    "ratio_sink_vs_raw_neo4j": ("sink >= 0.5 x raw Neo4j", 0.5),
    "worker_rss_growth": ("worker memory flat: peak <= 1.1 x after warm-up", 1.1),
}
PROCESSES = ("worker", "sink", "router")


def percentiles(values: Sequence[float], censored: Sequence[float] = ()) -> dict[str, Any]:
    """p50/p95/p99/max in ms of ``values`` plus ``censored`` lower bounds (signals still under
    way when waiting stopped, counted at the time waited). p99 is only a lower bound when a
    censored value takes part in it (``lower_bound``)."""
    every = sorted([*values, *censored])
    if not every:
        return {"p50": None, "p95": None, "p99": None, "max": None, "count": 0, "censored": 0,
                "lower_bound": False}
    cuts = statistics.quantiles(every, n=100, method="inclusive") if len(every) > 1 \
        else [every[0]] * 99
    floor = min(censored, default=None)
    above_p99 = every[math.ceil((len(every) - 1) * 0.99)]  # the upper value p99 interpolates to
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1),
            "max": round(every[-1], 1), "count": len(every), "censored": len(censored),
            "lower_bound": floor is not None and floor <= above_p99}


def goals(figures: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each goal of the issue: its value in this run and whether it was met."""
    rss = figures["rss_after_warmup_mb"]["worker"]
    values = {
        "e2e_per_s": figures["e2e_per_s"],
        "p99_delivery_ms": figures["latency_ms"]["p99"],
        "ratio_sink_vs_raw_neo4j": figures["ratio_sink_vs_raw_neo4j"],
        "worker_rss_growth": round(figures["peak_rss_mb"]["worker"] / rss, 3) if rss else None,
    }
    out = {}
    for key, (text, target) in GOALS.items():
        value = values[key]
        lower_is_better = key in ("p99_delivery_ms", "worker_rss_growth")
        met = value is not None and (value <= target if lower_is_better else value >= target)
        out[key] = {"goal": text, "target": target, "value": value, "met": met}
    return out


def print_table(f: Mapping[str, Any], echo: Callable[[str], None]) -> None:
    """The results: figures against baselines and goals, stages, latency, memory."""
    lat, lat_g = f["latency_ms"], f["latency_graph_ms"]
    raw_k, base = f["raw_kafka"], f["graph_baselines"]
    echo(f"\nbench e2e: {f['signals']:,} signals in {f['seconds']:.1f} s; latency at "
         f"{f['latency']['rate_per_s']:g}/s for {f['latency']['seconds']:g} s")
    echo(f"{'figure':<36}{'value':>12}{'baseline':>12}{'ratio':>8}  goal")
    rows = [("end to end (publish -> Neo4j) /s", f["e2e_per_s"], f["raw_kafka_produce_per_s"],
             f["ratio_e2e_vs_raw_kafka"], "e2e_per_s"),
            ("  vs raw Kafka consume /s", f["e2e_per_s"], raw_k["consume"]["per_s"],
             f["ratio_e2e_vs_raw_kafka_consume"], ""),
            ("sink capacity /s", f["sink_per_s"], f["raw_neo4j_per_s"],
             f["ratio_sink_vs_raw_neo4j"], "ratio_sink_vs_raw_neo4j")]
    for name, value, baseline, ratio, goal in rows:
        echo(f"{name:<36}{value:>12,.0f}{baseline:>12,.0f}{ratio:>8.3f}  {_goal(f, goal)}")
    echo(f"{'stage (throughput phase)':<36}{'records':>12}{'done s':>12}{'per s':>8}  lag s")
    for name, stage in f["stages"].items():
        echo(f"{name:<36}{stage['records']:>12,}{stage['done_s']:>12.1f}{stage['per_s']:>8,.0f}"
             f"  {stage.get('lag_s', '')}")
    echo(f"{'latency at ' + format(f['latency']['rate_per_s'], 'g') + '/s (ms)':<36}"
         f"{'p50':>12}{'p95':>12}{'p99':>12}  max / censored")
    for name, value in (("publish -> delivery", lat), ("publish -> visible in Neo4j", lat_g)):
        bound = ">=" if value["lower_bound"] else ""
        echo(f"{name:<36}{_ms(value['p50']):>12}{_ms(value['p95']):>12}"
             f"{bound + _ms(value['p99']):>12}  {_ms(value['max'])} / {value['censored']}"
             f"  {_goal(f, 'p99_delivery_ms') if value is lat else ''}")
    echo(f"  backlog when publishing stopped: {f['latency']['backlog_at_publish_end']} signals "
         f"not yet in Neo4j; {f['latency']['backlog_at_end']} after {f['latency']['waited_s']} s")
    echo(f"{'memory (MB)':<36}{'warmed up':>12}{'peak':>12}")
    for name in PROCESSES:
        echo(f"{name:<36}{f['rss_after_warmup_mb'][name]:>12,.0f}{f['peak_rss_mb'][name]:>12,.0f}"
             f"  {_goal(f, 'worker_rss_growth') if name == 'worker' else ''}")
    cpu = f.get("cpu_cores_used") or {}
    echo("CPU in the throughput phase (cores of " + str(f["machine"]["cpus"]) + "): " +
         ", ".join(f"{name} {share:.2f}" for name, share in cpu.items()))
    echo(f"raw Neo4j wrote {base['raw']['graph_rows']:,} nodes+relationships in "
         f"{base['raw']['seconds']:.1f} s; sink batches median {base['sink'].get('median_s', 0)} s")


def _goal(f: Mapping[str, Any], key: str) -> str:
    if not key:
        return ""
    goal = f["goals"][key]
    return f"{goal['goal']}: {'met' if goal['met'] else 'NOT met'}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def write_plot(runs: Sequence[Mapping[str, Any]], path: Path) -> Path:
    """Throughput, latency and peak memory against N for ``runs`` (one point per run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted(runs, key=lambda r: r["signals"])
    n = [r["signals"] for r in runs]
    fig, (tp, lat, mem) = plt.subplots(1, 3, figsize=(16, 5))
    for label, key in (("end to end", "e2e_per_s"), ("raw Kafka produce", "raw_kafka_produce_per_s"),
                       ("sink capacity", "sink_per_s"), ("raw Neo4j", "raw_neo4j_per_s")):
        tp.plot(n, [_nan(r[key]) for r in runs], marker="o", label=label)
    tp.axhline(GOALS["e2e_per_s"][1], color="grey", linestyle=":", label="goal end to end")
    tp.set(title="Throughput", ylabel="signals/s", yscale="log")
    for label, key, style in (("delivery", "latency_ms", "-"), ("Neo4j", "latency_graph_ms", "--")):
        for pct in ("p50", "p99"):
            lat.plot(n, [_nan(r[key][pct]) for r in runs], marker="o", linestyle=style,
                     label=f"{label} {pct}")
    for r in runs:
        if r["latency_ms"]["lower_bound"] and r["latency_ms"]["p99"] is not None:
            lat.annotate("p99 >= (backlog)", (r["signals"], r["latency_ms"]["p99"]), fontsize=7,
                         textcoords="offset points", xytext=(4, 4))
    lat.axhline(GOALS["p99_delivery_ms"][1], color="grey", linestyle=":", label="goal p99")
    rates = sorted({r["latency"]["rate_per_s"] for r in runs})
    lat.set(title=f"Latency at {', '.join(f'{x:g}' for x in rates)}/s after N signals",
            ylabel="ms", yscale="log")
    for name in PROCESSES:
        mem.plot(n, [r["peak_rss_mb"][name] for r in runs], marker="o", label=f"{name} peak")
    mem.set(title="Peak RSS (VmHWM)", ylabel="MB")
    for ax in (tp, lat, mem):
        ax.set(xlabel="signals (N)", xscale="log" if len(set(n)) > 1 else "linear")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"ketenlink bench e2e ({runs[-1]['machine']['cpus']} cores, one stack)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
