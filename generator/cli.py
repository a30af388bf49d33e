"""``ketenlink generate``: realistic partner exports with their hidden ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

commands = typer.Typer()


@commands.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Folder for the partner files and ground truth.")
                   ] = Path("var/generated"),
    signals: Annotated[int, typer.Option(min=200, help="Data lines in total over the four "
                                                      "partner files.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Same seed and count, byte-identical files.")] = 7,
) -> None:
    """Write realistic partner exports (rings among innocent records, resends, revisions and
    invalid lines) with the hidden ground truth."""
    from generator.run import generate as generate_files

    report = generate_files(out, signals, seed)
    typer.echo(f"{report.signals} lines in {report.out_dir} in {report.elapsed_s:.1f} s: "
               f"kvk {report.kvk_rows}, riec {report.riec_signals}, zorg {report.zorg_reports}, "
               f"tips {report.tips}; {report.rings} rings, {report.entities} entities, "
               f"{report.resends} resends, {report.revisions} revisions, "
               f"{report.invalid} invalid")
