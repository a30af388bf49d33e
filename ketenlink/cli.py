"""``ketenlink``: one command line for the whole platform.

Settings are resolved here, once, and passed down; logging is configured here, once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import structlog
import typer
from pydantic import ValidationError

from alerts.cli import alerts_app
from core.exceptions import KetenlinkError
from core.kafka_clients import for_service
from core.logging import configure_logging
from core.settings import Settings
from explorer.cli import explorer_app
from graph.cli import graph_app
from policy.cli import partners_app
from schemas.errors import describe

app = typer.Typer(help="Ketenlink: signal sharing for chain partners against human trafficking.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
stack_app = typer.Typer(help="The local Kafka broker and Neo4j server.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
gateway_app = typer.Typer(help="The HTTP gateway partners publish through, and its tokens.")
app.add_typer(gateway_app, name="gateway")
token_app = typer.Typer(help="Issue, revoke and list partner tokens of the gateway.",
                        no_args_is_help=True)
gateway_app.add_typer(token_app, name="token")
deliver_app = typer.Typer(help="Webhook delivery to partners without a Kafka client: "
                               "`ketenlink deliver` runs it; `deliver secret` signs for it.")
app.add_typer(deliver_app, name="deliver")
bench_app = typer.Typer(help="Benchmarks on the real stack, as ratios to the raw engines.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(graph_app, name="graph")
app.add_typer(alerts_app, name="alerts")
app.add_typer(explorer_app, name="explorer")
app.add_typer(partners_app, name="partners")
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

log = structlog.get_logger("ketenlink.cli")


@app.callback()
def _main(ctx: typer.Context) -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        typer.echo(f"error: settings: {describe(exc)}", err=True)
        raise typer.Exit(code=2) from None
    configure_logging(settings.log_format, settings.log_level)
    ctx.obj = settings


def _settings(ctx: typer.Context, service: str = "operator") -> Settings:
    """The settings for this command, as ``service`` (its own Kafka user under sasl)."""
    settings: Settings = ctx.obj
    return for_service(settings, service)


def _warn_default_secrets(settings: Settings) -> None:
    """Say on stderr which secrets still hold the development default printed in the source."""
    for name in settings.secrets_at_default():
        typer.echo(f"warning: {name} is the development default from the source; set "
                   f"KETENLINK_{name.upper().replace('.', '__')} or remove it to use this "
                   f"installation's own ({settings.secrets_file})", err=True)


def _fail(exc: KetenlinkError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=1)


@stack_app.command("up")
def stack_up(
    ctx: typer.Context,
    brokers: Annotated[int | None, typer.Option(
        min=1, max=9, help="Kafka nodes: 3 runs a KRaft cluster on loopback (node i on the "
                           "ports + 10·i) with replication factor 3 and min.insync.replicas 2. "
                           "Default: KETENLINK_KAFKA__BROKERS, else what the last `up` here "
                           "started, else 1.")] = None,
) -> None:
    """Fetch (first time only), start and check Kafka and Neo4j; apply topics and graph schema."""
    from infra.bootstrap import bootstrap
    from infra.stack import Stack, with_brokers

    settings = with_brokers(_settings(ctx), brokers)
    t0 = time.monotonic()
    try:
        statuses = Stack(settings).up()
        applied = bootstrap(settings)
    except KetenlinkError as exc:
        _fail(exc)
        return
    width = max(6, *(len(s.name) for s in statuses))
    for status in statuses:
        how = f"started in {status.elapsed_s:.1f} s" if status.started_here else "already running"
        typer.echo(f"{status.name:<{width}} {status.state:<9} {status.address:<24} "
                   f"v{status.version:<9} pid {status.pid}  ({how})")
    typer.echo(f"topics: {applied.topics_created} created, {applied.topics_unchanged} unchanged, "
               f"{applied.topics_changed} changed; graph schema: {applied.schema_statements} "
               f"constraints/indexes ensured")
    typer.echo(f"stack ready in {time.monotonic() - t0:.1f} s")
    _warn_default_secrets(settings)


@stack_app.command("down")
def stack_down(
    ctx: typer.Context,
    brokers: Annotated[int | None, typer.Option(
        min=1, max=9, help="Kafka nodes (default: as for `stack up`).")] = None,
) -> None:
    """Stop the servers that `stack up` started (by pid file), cleanly."""
    from infra.stack import Stack, with_brokers

    try:
        stopped = Stack(with_brokers(_settings(ctx), brokers)).down()
    except KetenlinkError as exc:
        _fail(exc)
        return
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing of ours was running")


@stack_app.command("status")
def stack_status(
    ctx: typer.Context,
    brokers: Annotated[int | None, typer.Option(
        min=1, max=9, help="Kafka nodes (default: as for `stack up`).")] = None,
) -> None:
    """Ports, pids, versions and health of the local servers; exit 1 unless all are healthy."""
    from infra.stack import Stack, with_brokers

    try:
        statuses = Stack(with_brokers(_settings(ctx), brokers)).status()
    except KetenlinkError as exc:
        _fail(exc)
        return
    width = max(6, *(len(s.name) for s in statuses))
    for status in statuses:
        typer.echo(f"{status.name:<{width}} {status.state:<9} {status.address:<24} "
                   f"v{status.version:<9} pid {status.pid if status.pid else '-'}")
    _warn_default_secrets(_settings(ctx))
    if not all(s.healthy for s in statuses):
        raise typer.Exit(code=1)


@app.command("worker")
def worker(ctx: typer.Context) -> None:
    """Run the faust stream workers (intake of every partner's inbound topic)."""
    from streams.worker import run_worker

    run_worker(_settings(ctx, "worker"))


@app.command("router")
def router(ctx: typer.Context) -> None:
    """Route resolved signals to the partners subscribed and entitled to them, each copy
    redacted to the partner's clearance (deliveries.<partner>)."""
    from streams.router import run_router

    run_router(_settings(ctx, "router"))


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option(help="A JSON Lines export instead of the topic.")]
    = None,
) -> None:
    """Check every hash chain of the audit log: exit 1 when an entry was changed, removed,
    forged or reordered."""
    from core.audit_verify import file_entries, topic_entries, verify
    from core.topics import load_layout

    settings = _settings(ctx)
    entries = file_entries(file) if file else topic_entries(
        settings.kafka, load_layout(prefix=settings.topic_prefix).audit_log)
    verdict = verify(entries, settings.audit_key.get_secret_value().encode())
    for problem in verdict.problems:
        typer.echo(f"problem: {problem}")
    state = "intact" if verdict.intact else "NOT intact" if verdict.problems else "empty"
    typer.echo(f"{verdict.entries} entries in {verdict.chains} chains: {state}")
    if not verdict.intact:
        raise typer.Exit(code=1)


@app.command("sink")
def sink(ctx: typer.Context) -> None:
    """Write resolved signals and entity merges into the Neo4j graph until stopped (SIGTERM /
    Ctrl-C); waits out Neo4j outages, parks records the graph refuses on signals.rejected."""
    import signal
    import threading

    from consumers.graph_sink import DRIVER_RETRY_S, SinkTopics, open_consumer, run_sink
    from core.neo4j_driver import open_driver
    from core.publisher import Publisher
    from core.topics import load_layout
    from policy.registry import load_registry
    from policy.suppression import Suppressions

    settings = _settings(ctx, "sink")
    layout = load_layout(prefix=settings.topic_prefix)
    topics = SinkTopics(resolved=layout.resolved,
                        merges=layout.merges,
                        rejected=layout.rejected)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    consumer = open_consumer(settings.kafka, topics,
                             group_id=f"{settings.faust_app_id}-graph-sink")
    try:
        with open_driver(settings.neo4j, retry_s=DRIVER_RETRY_S) as driver, \
                Publisher(settings.kafka, client_id="ketenlink-graph-sink") as parking, \
                Suppressions.open(settings, layout) as suppressions:
            stats = run_sink(consumer, driver, settings.neo4j.database, topics, parking, stop,
                             registry=load_registry(), suppressions=suppressions)
    finally:
        consumer.close()
    log.info("sink.stopped", written=stats.written, parked=stats.parked, retries=stats.retries)


@app.command("publish")
def publish(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="The partner's native export.")],
    partner: Annotated[str, typer.Option(help="kvk, riec, zorg or stichting-m.")],
    rejects: Annotated[Path | None, typer.Option(help="Where rejected lines go "
                                                      "(default: FILE.rejects.jsonl).")] = None,
) -> None:
    """Publish a partner export; exit 0 when every line was published or skipped, 2 when some
    lines were rejected (see the rejects file), 1 when the broker failed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from core.exceptions import PublishError
    from core.publisher import Publisher
    from core.topics import load_layout
    from producers.adapters import adapter_for
    from producers.pseudonym import Pseudonymiser
    from producers.publish_file import publish_file

    settings = _settings(ctx)
    rejects_path = rejects or file.with_name(file.name + ".rejects.jsonl")
    try:
        adapter = adapter_for(partner, Pseudonymiser(settings.pseudonym_key))
        layout = load_layout(prefix=settings.topic_prefix)
        total = sum(1 for _ in file.open(encoding="utf-8", errors="replace"))
        with Publisher(settings.kafka, client_id=f"ketenlink-publish-{partner}") as publisher, \
                Progress("[progress.description]{task.description}", BarColumn(),
                         MofNCompleteColumn(), TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task(f"{partner}: {file.name}", total=total)
            report = publish_file(adapter, file, publisher, layout, rejects_path,
                                  progress=lambda n: bar.advance(task, n))
    except PublishError as exc:
        typer.echo(f"error: {exc}; unacknowledged records are in {rejects_path}", err=True)
        raise typer.Exit(code=1) from exc
    except KetenlinkError as exc:
        _fail(exc)
        return
    skipped = ", ".join(f"{n} {why}" for why, n in report.skip_reasons.items())
    typer.echo(f"{partner}: {report.published} published, {report.rejected} rejected, "
               f"{report.skipped} skipped{f' ({skipped})' if skipped else ''}")
    if report.rejected:
        typer.echo(f"rejected lines with reasons: {rejects_path}")
        raise typer.Exit(code=2)


@app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Folder for the partner files and ground truth.")
                   ] = Path("var/generated"),
    signals: Annotated[int, typer.Option(min=200, help="Data lines in total over the four "
                                                      "partner files.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Same seed and count, byte-identical files.")] = 7,
) -> None:
    """Write realistic partner exports (rings among innocent records, resends, revisions and
    invalid lines) with the hidden ground truth."""
    from generator import generate as generate_files

    try:
        report = generate_files(out, signals, seed)
    except KetenlinkError as exc:
        _fail(exc)
        return
    typer.echo(f"{report.signals} lines in {report.out_dir} in {report.elapsed_s:.1f} s: "
               f"kvk {report.kvk_rows}, riec {report.riec_signals}, zorg {report.zorg_reports}, "
               f"tips {report.tips}; {report.rings} rings, {report.entities} entities, "
               f"{report.resends} resends, {report.revisions} revisions, "
               f"{report.invalid} invalid")


@gateway_app.callback(invoke_without_command=True)
def gateway(ctx: typer.Context) -> None:
    """Serve POST /v1/signals on the configured host and port until SIGINT / SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    from producers.gateway.server import run_gateway

    try:
        run_gateway(_settings(ctx, "gateway"))
    except KetenlinkError as exc:
        _fail(exc)


@token_app.command("create")
def token_create(ctx: typer.Context,
                 partner: Annotated[str, typer.Option(help="The partner the token publishes as.")],
                 ) -> None:
    """Issue a token for a partner; it is printed once and stored only as a salted digest."""
    from producers.gateway.server import create_token

    try:
        typer.echo(create_token(_settings(ctx), partner))
    except KetenlinkError as exc:
        _fail(exc)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context,
                 partner: Annotated[str, typer.Option(help="Revoke every token of it.")]) -> None:
    """Revoke every active token of a partner; a running gateway refuses them at once."""
    from producers.gateway.server import revoke_tokens

    try:
        typer.echo(f"{revoke_tokens(_settings(ctx), partner)} token(s) of {partner} revoked")
    except KetenlinkError as exc:
        _fail(exc)


@token_app.command("list")
def token_list(ctx: typer.Context) -> None:
    """Every issued token: id, partner, created, revoked. Never a secret."""
    from producers.gateway.server import list_tokens

    try:
        records = list_tokens(_settings(ctx))
    except KetenlinkError as exc:
        _fail(exc)
        return
    for record in records:
        revoked = record.revoked_at.isoformat() if record.revoked_at else "active"
        typer.echo(f"{record.token_id}  {record.partner:<12} {record.created_at.isoformat()}  "
                   f"{revoked}")


@deliver_app.callback(invoke_without_command=True)
def deliver(ctx: typer.Context) -> None:
    """POST every partner's deliveries to its webhook (registry entry ``webhook``), signed,
    in order per partition, with retries; dead letters on deliveries.dead. Runs until SIGINT /
    SIGTERM and follows webhook changes in the run-time registry."""
    if ctx.invoked_subcommand is not None:
        return
    import signal
    import threading

    from consumers.webhook import Deliverer
    from consumers.webhook_secrets import SecretStore
    from core.publisher import Publisher
    from core.topics import load_layout
    from policy.live import LiveRegistry
    from policy.suppression import Suppressions

    settings = _settings(ctx, "deliver")
    layout = load_layout(prefix=settings.topic_prefix)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with LiveRegistry.open(settings, layout) as registry, \
                Suppressions.open(settings, layout) as suppressions, \
                Publisher(settings.kafka, client_id="ketenlink-deliver") as dead_letters:
            stats = Deliverer(settings.kafka, settings.webhook, layout, registry.current,
                              SecretStore(settings.webhook.secrets_file), dead_letters,
                              group_prefix=settings.faust_app_id,
                              suppressions=suppressions).run(stop)
    except KetenlinkError as exc:
        _fail(exc)
        return
    log.info("deliver.stopped", delivered=stats.delivered, dead_lettered=stats.dead_lettered,
             retries=stats.retries)


@deliver_app.command("secret")
def deliver_secret(ctx: typer.Context,
                   partner: Annotated[str, typer.Argument(help="A partner with a delivery "
                                                               "topic.")]) -> None:
    """Create or rotate a partner's webhook signing secret; it is printed once.

    A running deliverer signs with the new secret from its next attempt on."""
    from consumers.exceptions import UnknownRecipientError
    from consumers.webhook_secrets import SecretStore
    from core.topics import load_layout

    settings = _settings(ctx)
    try:
        recipients = load_layout(prefix=settings.topic_prefix).recipients
        if partner not in recipients:
            raise UnknownRecipientError(partner, recipients)
        typer.echo(SecretStore(settings.webhook.secrets_file).rotate(partner))
    except KetenlinkError as exc:
        _fail(exc)


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

    try:
        results = run_publish_bench(_settings(ctx), signals, seed, batch, typer.echo)
    except KetenlinkError as exc:
        _fail(exc)
        return
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


@app.command("resolve")
def resolve(
    kind: Annotated[str, typer.Option(help="person or business.")],
    src: Annotated[Path, typer.Option("--in", exists=True, dir_okay=False,
                                      help='JSON Lines {"record_id": ..., "<kind>": {...}}.')],
    dst: Annotated[Path, typer.Option("--out", help='JSON Lines {"record_id", "entity_id"}.')],
) -> None:
    """Resolve subjects offline with the stream's resolver, one record at a time in file order."""
    from streams.resolve.offline import resolve_file

    if kind not in ("person", "business"):
        typer.echo(f"error: --kind must be person or business, not {kind!r}", err=True)
        raise typer.Exit(code=1)
    try:
        report = resolve_file(kind, src, dst)  # type: ignore[arg-type]
    except KetenlinkError as exc:
        _fail(exc)
        return
    typer.echo(f"{report.records} {kind} records -> {report.entities} entities in "
               f"{report.seconds:.2f} s ({report.per_s:,.0f} records/s)", err=True)


@app.command("judge")
def judge(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="An entity id.")],
    b: Annotated[str, typer.Argument(help="The other entity id.")],
    verdict: Annotated[str, typer.Option(help="confirm (merge them) or reject (never merge).")],
    analyst: Annotated[str, typer.Option(help="Who decides; kept in the decision log.")],
) -> None:
    """Record an analyst's judgement on a proposed link; the resolver honours it from then on."""
    import json

    from core.publisher import Publisher
    from core.topics import load_layout

    if verdict not in ("confirm", "reject"):
        typer.echo(f"error: --verdict must be confirm or reject, not {verdict!r}", err=True)
        raise typer.Exit(code=1)
    settings = _settings(ctx)
    topic = load_layout(prefix=settings.topic_prefix).judgements
    doc = {"a": a, "b": b, "verdict": verdict, "analyst": analyst}
    try:
        with Publisher(settings.kafka, client_id="ketenlink-judge") as publisher:
            where = publisher.publish(topic, "|".join(sorted((a, b))).encode(),
                                      json.dumps(doc).encode())
    except KetenlinkError as exc:
        _fail(exc)
        return
    typer.echo(f"judgement recorded at {where.topic}[{where.partition}]@{where.offset}")


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

    try:
        result = run_route_bench(_settings(ctx), rate, seconds, seed, typer.echo)
    except KetenlinkError as exc:
        _fail(exc)
        return
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

    try:
        result = run_stream_bench(_settings(ctx), signals, seed, typer.echo)
    except KetenlinkError as exc:
        _fail(exc)
        return
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
    try:
        result = run_graph_bench(_settings(ctx), options, typer.echo)
    except KetenlinkError as exc:
        _fail(exc)
        return
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
    try:
        result = run_e2e_bench(_settings(ctx), options, typer.echo)
    except KetenlinkError as exc:
        _fail(exc)
        return
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n")
        typer.echo(f"figures: {json_out}")
    if plot is not None:
        typer.echo(f"plot: {write_plot([*earlier, result], plot)}")


@app.command("schema")
def schema(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the file is out of date.")
                     ] = False,
) -> None:
    """Write (or check) schemas/json/signal-v1.schema.json from the Signal v1 model."""
    from schemas.export import SCHEMA_FILE, signal_json_schema, write_schema

    if check:
        current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
        if current != signal_json_schema():
            typer.echo(f"{SCHEMA_FILE} is out of date: run `ketenlink schema`", err=True)
            raise typer.Exit(code=1)
        typer.echo(f"{SCHEMA_FILE} is current")
        return
    typer.echo(f"wrote {write_schema()}")


@app.command("demo")
def demo(
    ctx: typer.Context,
    no_wait: Annotated[bool, typer.Option(
        "--no-wait", help="End right after the summary instead of keeping the services and the "
                          "explorer running until Ctrl-C.")] = False,
) -> None:
    """Stack, worker, sink, router, alert engine, gateway and explorer up; a generated scenario
    published as each partner; a summary measured from Kafka, Neo4j and the ground truth; then
    the explorer to look around in until Ctrl-C, which stops every process the demo started."""
    from ketenlink.demo import run_demo

    try:
        run_demo(_settings(ctx), typer.echo, wait=not no_wait)
    except KeyboardInterrupt:  # every child process was stopped on the way out of run_demo
        typer.echo("stopped")
    except KetenlinkError as exc:
        _fail(exc)


retention_app = typer.Typer(help="Retention per source partner and purpose "
                                 "(policy/retention.yaml).", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("purge")
def retention_purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; change "
                                                            "nothing.")] = False,
    now: Annotated[str | None, typer.Option(help="ISO time with zone to judge expiry at "
                                                 "(default: the current time).")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Signals examined per transaction.")] = 500,
) -> None:
    """Delete expired signals with their edges, then the entities no signal mentions any more;
    one audit entry per run (actor retention-purge, the policy version, the counts)."""
    from datetime import UTC, datetime

    from core.audit import AuditLog
    from core.neo4j_driver import open_driver
    from core.publisher import Publisher
    from core.topics import load_layout
    from graph.purge import RetentionPurge
    from policy.retention import load_retention
    from policy.suppression import SuppressionWriter

    settings = _settings(ctx)
    try:
        at = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError:
        typer.echo(f"error: --now {now!r} is not an ISO time", err=True)
        raise typer.Exit(code=1) from None
    if at.tzinfo is None:
        typer.echo("error: --now needs a time zone, e.g. 2027-01-01T00:00:00+00:00", err=True)
        raise typer.Exit(code=1)
    try:
        policy = load_retention()
        topic = load_layout(prefix=settings.topic_prefix).suppressions
        with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit, \
                Publisher(settings.kafka, client_id="ketenlink-retention") as publisher:
            report = RetentionPurge(driver, settings.neo4j.database, policy, audit,
                                    SuppressionWriter(publisher, topic),
                                    batch_size=batch).run(at, dry_run=dry_run)
    except KetenlinkError as exc:
        _fail(exc)
        return
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"policy {report.policy_version} at {report.now}: {report.examined} signals "
               f"examined, {report.kept_for_alerts} expired but kept as alert evidence; {verb} "
               f"{report.signals} signals, {report.mentions} mentions, {report.relations} "
               f"relation edges ({report.relations_updated} kept with less provenance), "
               f"{report.entities} entities, {report.review_candidates} review candidates; "
               f"{report.suppressions} signals suppressed on Kafka (replays skip them)")


@app.command("erase")
def erase(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (the request, its reference); audited.")],
    actor: Annotated[str, typer.Option(help="Who erases (an analyst); audited.")],
    bsn: Annotated[str | None, typer.Option(help="The person's BSN, or '-' to read it from "
                                                 "stdin (keeps it out of argv and history); "
                                                 "only its keyed pseudonym is used.")] = None,
    pseudonym: Annotated[str | None, typer.Option(help="A bsn- or patient-pseudonym "
                                                       "(ps1:<64 hex>).")] = None,
    entity_id: Annotated[list[str] | None, typer.Option(
        "--entity-id", help="A person's entity id instead (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; change "
                                                            "nothing.")] = False,
) -> None:
    """Erase a pseudonymised person from the graph: their nodes (merges followed), mentions and
    edges, the signals only about them; audited with actor, reason and pseudonym (never a BSN).
    Refused while an alert is about them. Before the graph commits, the person's entities,
    pseudonym and deleted signals are written to the suppressions topic, which the sink, the
    router, the alert engine and the resolve stage honour on every replay (graph/erasure.py)."""
    import re
    import sys

    from core.audit import AuditLog
    from core.neo4j_driver import open_driver
    from core.publisher import Publisher
    from core.topics import load_layout
    from graph.erasure import Erasure, entities_with_identifier
    from policy.suppression import SuppressionWriter
    from producers.pseudonym import Pseudonymiser

    settings = _settings(ctx)
    if sum(x is not None for x in (bsn, pseudonym, entity_id)) != 1:
        typer.echo("error: give exactly one of --bsn, --pseudonym, --entity-id", err=True)
        raise typer.Exit(code=1)
    if bsn is not None:
        clear = sys.stdin.readline().strip() if bsn == "-" else bsn
        try:
            pseudonym = Pseudonymiser(settings.pseudonym_key).bsn(clear)
        except ValueError:
            typer.echo("error: --bsn is not a valid BSN (elfproef)", err=True)
            raise typer.Exit(code=1) from None
        del clear
    if pseudonym is not None and not re.fullmatch(r"ps1:[0-9a-f]{64}", pseudonym):
        typer.echo("error: --pseudonym must look like ps1:<64 hex digits>", err=True)
        raise typer.Exit(code=1)
    try:
        records = 0
        layout = load_layout(prefix=settings.topic_prefix)
        if pseudonym is not None:
            ids, records = entities_with_identifier(settings.kafka,
                                                    layout.resolved, pseudonym)
            subject = pseudonym
        else:
            ids = set(entity_id or ())
            subject = "entity:" + ",".join(sorted(ids))
        with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit, \
                Publisher(settings.kafka, client_id="ketenlink-erase") as publisher:
            suppressor = SuppressionWriter(publisher, layout.suppressions)
            report = Erasure(driver, settings.neo4j.database, audit, suppressor).erase(
                ids, subject, reason, actor, dry_run=dry_run, resolved_records=records)
    except KetenlinkError as exc:
        _fail(exc)
        return
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{subject}: {verb} {len(report.entity_ids)} person node(s) "
               f"{', '.join(report.entity_ids) or '(none in the graph)'}, {report.mentions} "
               f"mentions, {report.relations} relation edges, {report.signals_deleted} signals "
               f"only about them ({report.signals_kept} kept without them), {report.entities} "
               f"other entities, {report.review_candidates} review candidates")
    if report.suppressions:
        typer.echo(f"suppressed on Kafka: {report.suppressions} entity/pseudonym/signal key(s); "
                   f"the {records} record(s) on signals.resolved carrying the pseudonym stay "
                   "there but every reader skips them")
    if records:
        typer.echo("note: copies already delivered to partners (deliveries.<partner>, "
                   "webhooks) cannot be recalled")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="ketenlink")


if __name__ == "__main__":  # pragma: no cover
    main()
