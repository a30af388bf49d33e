"""``ketenlink audit verify``: check the hash chains of the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
commands.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option(help="A JSON Lines export instead of the topic.")]
    = None,
) -> None:
    """Check every hash chain of the audit log: exit 1 when an entry was changed, removed,
    forged or reordered."""
    from core.audit_verify import file_entries, topic_entries, verify
    from core.topics import topics_of

    settings = command_settings(ctx)
    entries = file_entries(file) if file else topic_entries(
        settings.kafka, topics_of(settings).audit_log)
    verdict = verify(entries, settings.audit_key.get_secret_value().encode())
    for problem in verdict.problems:
        typer.echo(f"problem: {problem}")
    state = "intact" if verdict.intact else "NOT intact" if verdict.problems else "empty"
    typer.echo(f"{verdict.entries} entries in {verdict.chains} chains: {state}")
    if not verdict.intact:
        raise typer.Exit(code=1)
