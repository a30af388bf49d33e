"""``ketenlink stack up|down|status``: the local Kafka broker(s) and Neo4j server."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from core.commands import command_settings, warn_default_secrets

commands = typer.Typer()
stack_app = typer.Typer(help="The local Kafka broker and Neo4j server.", no_args_is_help=True)
commands.add_typer(stack_app, name="stack")


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

    settings = with_brokers(command_settings(ctx), brokers)
    t0 = time.monotonic()
    statuses = Stack(settings).up()
    applied = bootstrap(settings)
    width = max(6, *(len(s.name) for s in statuses))
    for status in statuses:
        how = f"started in {status.elapsed_s:.1f} s" if status.started_here else "already running"
        typer.echo(f"{status.name:<{width}} {status.state:<9} {status.address:<24} "
                   f"v{status.version:<9} pid {status.pid}  ({how})")
    typer.echo(f"topics: {applied.topics_created} created, {applied.topics_unchanged} unchanged, "
               f"{applied.topics_changed} changed; graph schema: {applied.schema_statements} "
               f"constraints/indexes ensured")
    typer.echo(f"stack ready in {time.monotonic() - t0:.1f} s")
    warn_default_secrets(settings)


@stack_app.command("down")
def stack_down(
    ctx: typer.Context,
    brokers: Annotated[int | None, typer.Option(
        min=1, max=9, help="Kafka nodes (default: as for `stack up`).")] = None,
) -> None:
    """Stop the servers that `stack up` started (by pid file), cleanly."""
    from infra.stack import Stack, with_brokers

    stopped = Stack(with_brokers(command_settings(ctx), brokers)).down()
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing of ours was running")


@stack_app.command("status")
def stack_status(
    ctx: typer.Context,
    brokers: Annotated[int | None, typer.Option(
        min=1, max=9, help="Kafka nodes (default: as for `stack up`).")] = None,
) -> None:
    """Ports, pids, versions and health of the local servers; exit 1 unless all are healthy."""
    from infra.stack import Stack, with_brokers

    statuses = Stack(with_brokers(command_settings(ctx), brokers)).status()
    width = max(6, *(len(s.name) for s in statuses))
    for status in statuses:
        typer.echo(f"{status.name:<{width}} {status.state:<9} {status.address:<24} "
                   f"v{status.version:<9} pid {status.pid if status.pid else '-'}")
    warn_default_secrets(command_settings(ctx))
    if not all(s.healthy for s in statuses):
        raise typer.Exit(code=1)
