"""``ketenlink bench ...``: benchmarks on the real stack, as ratios to the raw engines, and the
evaluations of deduplication and entity resolution against the generator's ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()
bench_app = typer.Typer(help="Benchmarks on the real stack, as ratios to the raw engines.",
                        no_args_is_help=True)
commands.add_typer(bench_app, name="bench")


@bench_app.command("publish")
def bench_publish(
    ctx: typer.Context,
    signals: Annotated[int, typer.Option(min=200, help="Generated partner records.")] = 20_000,
    seed: Annotated[int, typer.Option()] = 7,
    batch: Annotated[int, typer.Option(min=1, help="Signals per gateway request.")] = 500,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")
                        ] = None,
) -> None:
    """Publishing throughput of the CLI adapters and the gateway, as ratios to Kafka's own
    ProducerPerformance in the same run (needs `ketenlink stack up`)."""
    import json

    from bench.publish import run_publish_bench

    results = run_publish_bench(command_settings(ctx), signals, seed, batch, typer.echo)
    baseline = results[0].per_s
    typer.echo(f"{'variant':<22}{'records':>9}{'seconds':>9}{'per s':>10}{'vs java':>9}")
    rows = []
    for r in results:
        ratio = r.per_s / baseline if baseline else 0.0
        typer.echo(f"{r.name:<22}{r.records:>9}{r.seconds:>9.2f}{r.per_s:>10,.0f}{ratio:>9.2f}")
        rows.append({"variant": r.name, "records": r.records, "seconds": round(r.seconds, 3),
                     "per_s": round(r.per_s, 1), "ratio_vs_java_producer": round(ratio, 3)})
    if json_out is not None:
        json_out.write_text(json.dumps({"signals": signals, "seed": seed, "results": rows},
                                       indent=2) + "\n")


@bench_app.command("route")
def bench_route(
    ctx: typer.Context,
    rate: Annotated[float, typer.Option(help="Signals per second, held steady.")] = 500.0,
    seconds: Annotated[float, typer.Option(help="How long to publish at that rate.")] = 30.0,
    seed: Annotated[int, typer.Option(help="Seed of the generated signals.")] = 7,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
) -> None:
    """Publish -> delivery latency (p50/p95/p99) at a steady rate through worker and router,
    beside the raw broker hop at the same rate."""
    import json

    from bench.route import run_route_bench

    result = run_route_bench(command_settings(ctx), rate, seconds, seed, typer.echo)
    typer.echo(json.dumps(result, indent=2))
    if json_out:
        json_out.write_text(json.dumps(result, indent=2) + "\n")


@bench_app.command("resolve")
def bench_resolve(
    signals: Annotated[int, typer.Option(min=200, help="Generated partner records.")] = 20_000,
    seed: Annotated[int, typer.Option()] = 7,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")
                        ] = None,
) -> None:
    """Deduplication and entity resolution against the generator's ground truth: resends
    suppressed, pairwise precision / recall / F1 for persons and businesses, records/s."""
    import json
    import tempfile

    from bench.dedupe_eval import check_dedupe
    from bench.resolution_eval import run_resolve_bench
    from generator import generate as generate_files
    from streams.resolve.offline import resolve_file

    with tempfile.TemporaryDirectory(prefix="ketenlink-bench-") as tmp:
        out = Path(tmp)
        typer.echo(f"generating {signals} partner records (seed {seed}) ...")
        generate_files(out, signals, seed)
        dedupe = check_dedupe(out).to_json()
        typer.echo(f"dedupe: {dedupe['signals']} signals, resends suppressed "
                   f"{dedupe['resends_suppressed']:.2%}, revisions recognised "
                   f"{dedupe['revisions_recognised']:.2%} ({dedupe['revisions_without_new_facts']} "
                   f"revisions without new facts), originals kept {dedupe['originals_kept']:.2%}")
        figures: dict[str, object] = {"signals": signals, "seed": seed, "dedupe": dedupe}
        for kind in ("person", "business"):
            result = run_resolve_bench(out, kind, resolve_file)
            figures[kind] = result
            typer.echo(f"{kind:<9} {result['records']:>7} records {result['records_per_s']:>9,.0f}/s"
                       f"  precision {result['precision']:.4f}  recall {result['recall']:.4f}  "
                       f"F1 {result['f1']:.4f}  strong-key violations "
                       f"{result['strong_key_violations']}")
            linkable = result["identifiable"]
            typer.echo(f"{'':<9} {linkable['records']:>7} identifiable records"
                       f"{'':>12}precision {linkable['precision']:.4f}  recall "
                       f"{linkable['recall']:.4f}  F1 {linkable['f1']:.4f}")
    if json_out is not None:
        json_out.write_text(json.dumps(figures, indent=2) + "\n")


@bench_app.command("stream")
def bench_stream(
    ctx: typer.Context,
    signals: Annotated[int, typer.Option(min=200, help="Generated partner records.")] = 20_000,
    seed: Annotated[int, typer.Option()] = 7,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")
                        ] = None,
) -> None:
    """The stream worker's throughput (validate, dedupe, resolve) against a raw kafka-python
    consumer of the same topics in the same run (needs `ketenlink stack up`)."""
    import json

    from bench.stream import run_stream_bench

    result = run_stream_bench(command_settings(ctx), signals, seed, typer.echo)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n")


@bench_app.command("graph")
def bench_graph(
    ctx: typer.Context,
    signals: Annotated[int, typer.Option(min=200, help="Resolved signals for the throughput "
                                                      "run.")] = 100_000,
    nodes: Annotated[int, typer.Option(min=1, help="Grow the graph to this many nodes for the "
                                                   "latency run.")] = 1_000_000,
    queries: Annotated[int, typer.Option(min=10, help="Timed 2-hop queries.")] = 1_000,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed queries first.")] = 200,
    seed: Annotated[int, typer.Option()] = 7,
    wipe_graph: Annotated[bool, typer.Option("--wipe-graph", help="Allow deleting every node of "
                                                                  "the database.")] = False,
    latency_only: Annotated[bool, typer.Option("--latency-only", help="Only the latency part, on "
                                                                      "the graph that is there.")
                            ] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")
                        ] = None,
) -> None:
    """Graph sink throughput against plain UNWIND ... CREATE into an empty database, and 2-hop
    neighbourhood latency on a graph of --nodes nodes. WIPES THE DATABASE: run it on a stack of
    its own, e.g. with KETENLINK_VAR_DIR=var/bench KETENLINK_KAFKA__PORT=29092
    KETENLINK_KAFKA__CONTROLLER_PORT=29093 KETENLINK_NEO4J__BOLT_PORT=27687 set for
    `ketenlink stack up`, this command and `ketenlink stack down`."""
    import json

    from bench.graph import GraphBenchOptions, run_graph_bench

    options = GraphBenchOptions(signals=signals, nodes=nodes, queries=queries, warmup=warmup,
                                seed=seed, wipe_graph=wipe_graph, latency_only=latency_only)
    result = run_graph_bench(command_settings(ctx), options, typer.echo)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n")


@bench_app.command("e2e")
def bench_e2e(
    ctx: typer.Context,
    signals: Annotated[int, typer.Option(min=200, help="Signals published for the throughput "
                                                      "run (N).")] = 10_000,
    rate: Annotated[float, typer.Option(min=1, help="Signals per second of the latency run.")
                    ] = 500.0,
    latency_seconds: Annotated[float, typer.Option(min=1, help="How long to publish at --rate.")
                               ] = 20.0,
    drain_seconds: Annotated[float, typer.Option(min=1, help="How long to wait for the latency "
                                                            "run's signals after publishing; "
                                                            "what is still under way then counts "
                                                            "as a lower bound.")] = 60.0,
    seed: Annotated[int, typer.Option()] = 7,
    timeout: Annotated[float, typer.Option(min=10, help="Seconds the throughput run may take.")
                       ] = 3_600.0,
    keep_graph: Annotated[bool, typer.Option("--keep-graph", help="Leave the run's signals in "
                                                                  "Neo4j (deleted by id else).")
                          ] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")
                        ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a PNG: throughput, latency and peak "
                                                   "memory against N.")] = None,
    plot_with: Annotated[list[Path] | None, typer.Option(
        "--plot-with", exists=True, dir_okay=False,
        help="An earlier run's --json to plot beside this one (repeatable).")] = None,
) -> None:
    """The whole pipeline (publisher, worker, sink, router) end to end on the real stack, as
    ratios to Kafka's ProducerPerformance / ConsumerPerformance and a raw UNWIND ... CREATE into
    Neo4j in the same run; latency at a steady rate; peak memory of each process. Fresh topics,
    app id and consumer groups; the graph is never wiped (the run deletes what it wrote, by id).
    Run it on a stack of its own: see BENCHMARKS.md."""
    import json

    from bench.e2e import E2EOptions, run_e2e_bench
    from bench.e2e_report import write_plot

    earlier = [json.loads(p.read_text()) for p in plot_with or ()]
    options = E2EOptions(signals=signals, rate=rate, latency_seconds=latency_seconds,
                         drain_seconds=drain_seconds, seed=seed, timeout_s=timeout,
                         keep_graph=keep_graph)
    result = run_e2e_bench(command_settings(ctx), options, typer.echo)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n")
        typer.echo(f"figures: {json_out}")
    if plot is not None:
        typer.echo(f"plot: {write_plot([*earlier, result], plot)}")
