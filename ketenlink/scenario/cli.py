"""``ketenlink scenario run FILE...``: see ``ketenlink/scenario/__init__.py``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from core.commands import command_settings

commands = typer.Typer()
scenario_app = typer.Typer(no_args_is_help=True,
                           help="Hand-written scenarios through the running platform.")
commands.add_typer(scenario_app, name="scenario")


@scenario_app.command("run")
def run(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Scenario files (FORMAT.md).")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the verdicts as JSON.")] = None,
    markdown_out: Annotated[Path | None, typer.Option(
        "--markdown", help="Write the verdicts as a generated Markdown report (SCENARIOS.md).")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the services running.")] = False,
    lenient: Annotated[bool, typer.Option(
        "--lenient", help="Exit 0 on FAIL verdicts (non-zero only when the harness breaks).")] = False,
) -> None:
    """Translate each file into the partners' native input, publish it in time order on a topic
    prefix of the run's own, wait for the pipeline, then check every expect item: one line per
    item, PASS or FAIL with its evidence. Exit 0 only when every item passes."""
    from ketenlink.scenario.model import load_scenario
    from ketenlink.scenario.report import markdown, write_json
    from ketenlink.scenario.run import run_scenario
    from ketenlink.scenario.world import platform

    for path in files:  # a malformed file stops the run before anything starts
        load_scenario(path)
    started = time.monotonic()
    with platform(command_settings(ctx), typer.echo, keep=keep) as world:
        results = [run_scenario(world, path, typer.echo) for path in files]
    if json_out:
        write_json(json_out, results)
    if markdown_out:
        markdown_out.write_text(markdown(results, world.run_id, time.monotonic() - started),
                                encoding="utf-8")
    for result in results:
        passed, failed = result.counts()
        typer.echo(f"{result.name}: {passed} PASS, {failed} FAIL")
    if not lenient and not all(r.passed for r in results):
        raise typer.Exit(code=1)
