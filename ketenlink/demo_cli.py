"""``ketenlink demo``: the whole platform on a generated scenario, then the explorer."""

from __future__ import annotations

from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()


@commands.command("demo")
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
        run_demo(command_settings(ctx), typer.echo, wait=not no_wait)
    except KeyboardInterrupt:  # every child process was stopped on the way out of run_demo
        typer.echo("stopped")
