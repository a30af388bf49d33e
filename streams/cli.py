"""``ketenlink worker|router|resolve|judge``: the stream processes, offline resolution and an
analyst's judgement on a proposed link."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()


@commands.command("worker")
def worker(ctx: typer.Context) -> None:
    """Run the faust stream workers (intake of every partner's inbound topic)."""
    from streams.worker import run_worker

    run_worker(command_settings(ctx, "worker"))


@commands.command("router")
def router(ctx: typer.Context) -> None:
    """Route resolved signals to the partners subscribed and entitled to them, each copy
    redacted to the partner's clearance (deliveries.<partner>)."""
    from streams.router import run_router

    run_router(command_settings(ctx, "router"))


@commands.command("resolve")
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
    report = resolve_file(kind, src, dst)  # type: ignore[arg-type]
    typer.echo(f"{report.records} {kind} records -> {report.entities} entities in "
               f"{report.seconds:.2f} s ({report.per_s:,.0f} records/s)", err=True)


@commands.command("judge")
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
    from core.topics import topics_of

    if verdict not in ("confirm", "reject"):
        typer.echo(f"error: --verdict must be confirm or reject, not {verdict!r}", err=True)
        raise typer.Exit(code=1)
    settings = command_settings(ctx)
    topic = topics_of(settings).judgements
    doc = {"a": a, "b": b, "verdict": verdict, "analyst": analyst}
    with Publisher(settings.kafka, client_id="ketenlink-judge") as publisher:
        where = publisher.publish(topic, "|".join(sorted((a, b))).encode(),
                                  json.dumps(doc).encode())
    typer.echo(f"judgement recorded at {where.topic}[{where.partition}]@{where.offset}")
