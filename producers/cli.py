"""``ketenlink publish`` and ``ketenlink gateway [token ...]``: a partner export published from
the command line, the HTTP gateway and its partner tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()
gateway_app = typer.Typer(help="The HTTP gateway partners publish through, and its tokens.")
commands.add_typer(gateway_app, name="gateway")
token_app = typer.Typer(help="Issue, revoke and list partner tokens of the gateway.",
                        no_args_is_help=True)
gateway_app.add_typer(token_app, name="token")


@commands.command("publish")
def publish(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="The partner's native export.")],
    partner: Annotated[str, typer.Option(help="kvk, riec[:<region>], zorg[:<institution>], "
                                              "stichting-m, gemeente:GM<code>, inspectie-szw, "
                                              "reclassering.")],
    rejects: Annotated[Path | None, typer.Option(help="Where rejected lines go "
                                                      "(default: FILE.rejects.jsonl).")] = None,
) -> None:
    """Publish a partner export; exit 0 when every line was published or skipped, 2 when some
    lines were rejected (see the rejects file), 1 when the broker failed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from core.exceptions import PublishError
    from core.publisher import Publisher
    from core.topics import topics_of
    from producers.adapters import adapter_for
    from producers.pseudonym import Pseudonymiser
    from producers.publish_file import publish_file

    settings = command_settings(ctx)
    rejects_path = rejects or file.with_name(file.name + ".rejects.jsonl")
    try:
        adapter = adapter_for(partner, Pseudonymiser(settings.pseudonym_key))
        layout = topics_of(settings)
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
    skipped = ", ".join(f"{n} {why}" for why, n in report.skip_reasons.items())
    typer.echo(f"{partner}: {report.published} published, {report.rejected} rejected, "
               f"{report.skipped} skipped{f' ({skipped})' if skipped else ''}")
    if report.rejected:
        typer.echo(f"rejected lines with reasons: {rejects_path}")
        raise typer.Exit(code=2)


@gateway_app.callback(invoke_without_command=True)
def gateway(ctx: typer.Context) -> None:
    """Serve POST /v1/signals on the configured host and port until SIGINT / SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    from producers.gateway.server import run_gateway

    run_gateway(command_settings(ctx, "gateway"))


@token_app.command("create")
def token_create(ctx: typer.Context,
                 partner: Annotated[str, typer.Option(help="The partner the token publishes as.")],
                 ) -> None:
    """Issue a token for a partner; it is printed once and stored only as a salted digest."""
    from producers.gateway.server import create_token

    typer.echo(create_token(command_settings(ctx), partner))


@token_app.command("revoke")
def token_revoke(ctx: typer.Context,
                 partner: Annotated[str, typer.Option(help="Revoke every token of it.")]) -> None:
    """Revoke every active token of a partner; a running gateway refuses them at once."""
    from producers.gateway.server import revoke_tokens

    typer.echo(f"{revoke_tokens(command_settings(ctx), partner)} token(s) of {partner} revoked")


@token_app.command("list")
def token_list(ctx: typer.Context) -> None:
    """Every issued token: id, partner, created, revoked. Never a secret."""
    from producers.gateway.server import list_tokens

    for record in list_tokens(command_settings(ctx)):
        revoked = record.revoked_at.isoformat() if record.revoked_at else "active"
        typer.echo(f"{record.token_id}  {record.partner:<12} {record.created_at.isoformat()}  "
                   f"{revoked}")
