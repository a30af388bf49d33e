"""``ketenlink schema [--check]``: the Signal v1 JSON Schema file, written from the model."""

from __future__ import annotations

from typing import Annotated

import typer

commands = typer.Typer()


@commands.command("schema")
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
