"""``ketenlink``: one command line for the whole platform.

Settings are resolved here, once, and passed down on the click context (``core/commands.py``
reads them); logging is configured here, once. Each package brings its own commands in its
``cli.py`` (a typer app mounted here without a name, so that its commands and groups sit at the
top level); the one error hook turns a ``KetenlinkError`` from any command into ``error: ...`` on
stderr and exit 1.
"""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from alerts.cli import commands as alerts_commands
from bench.cli import commands as bench_commands
from consumers.cli import commands as consumers_commands
from core.cli import commands as audit_commands
from core.exceptions import KetenlinkError
from core.logging import configure_logging
from core.settings import Settings
from explorer.cli import commands as explorer_commands
from generator.cli import commands as generator_commands
from graph.cli import commands as graph_commands
from graph.privacy_cli import commands as privacy_commands
from infra.cli import commands as stack_commands
from ketenlink.demo_cli import commands as demo_commands
from ketenlink.scenario.cli import commands as scenario_commands
from policy.cli import commands as partners_commands
from producers.cli import commands as producers_commands
from schemas.cli import commands as schema_commands
from schemas.errors import describe
from streams.cli import commands as streams_commands


class RootCommand(TyperGroup):
    """``ketenlink`` itself: the error hook of every command, and the listing in ``--help``
    (commands first, then groups, each in the order they were mounted)."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except KetenlinkError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from exc

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return sorted(super().list_commands(ctx),
                      key=lambda name: isinstance(self.commands[name], TyperGroup))


app = typer.Typer(cls=RootCommand, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ketenlink: signal sharing for chain partners against human trafficking.")
for package_commands in (stack_commands, streams_commands, consumers_commands,
                         producers_commands, generator_commands, schema_commands, demo_commands,
                         bench_commands, graph_commands, alerts_commands, explorer_commands,
                         partners_commands, audit_commands, privacy_commands, scenario_commands):
    app.add_typer(package_commands)


@app.callback()
def _main(ctx: typer.Context) -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        typer.echo(f"error: settings: {describe(exc)}", err=True)
        raise typer.Exit(code=2) from None
    configure_logging(settings.log_format, settings.log_level)
    ctx.obj = settings


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="ketenlink")


if __name__ == "__main__":  # pragma: no cover
    main()
