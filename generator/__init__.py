"""``ketenlink generate``: synthetic, realistic exports of the four chain partners in their native
formats (producers/FORMATS.md), with the hidden true world and a ground truth for every line.

Files written to the output folder:

- ``kvk-mutaties.csv``, ``riec-casussignalen.jsonl``, ``zorg-meldingen.jsonl``,
  ``meldmisdaadanoniem-tips.jsonl``: N data lines in total (45/20/10/25 %), resends, revisions and
  deliberately invalid lines included.
- ``ground-truth.jsonl``: one line per data line: ``file``, ``line`` (physical line number; the
  CSV header is line 1), ``ref`` (the partner reference), ``kind`` (original, resend, revision,
  invalid), ``reason`` and ``field`` (invalid only), ``of_line`` (resend/revision: the line of the
  original), ``changed`` (revision: the fields that differ), ``ring`` (the ring the record is
  about, or null) and ``mentions``: per subject ``subject`` (RIEC id 's1', a field name such as
  'functionaris' or 'begeleider.telefoon', or 'tekst' for tip text), ``type``, ``entity`` (true
  entity id), ``ring``, and for tip text the literal ``surface`` (``reporter`` when it is the
  reporter's own phone or e-mail address).
- ``entities.jsonl``: every true entity once, noise-free (innocent ones as first created, ring
  ones in their final state).
- ``world.json``: window, per-file counts, and the rings with their members.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.run import GenerateReport, generate

PARTNER_FILES = {"kvk": "kvk-mutaties.csv", "riec": "riec-casussignalen.jsonl",
                 "zorg": "zorg-meldingen.jsonl", "stichting-m": "meldmisdaadanoniem-tips.jsonl"}
"""Partner id -> the export ``generate`` writes for it."""

__all__ = ["PARTNER_FILES", "GenerateReport", "generate"]


def __getattr__(name: str) -> object:
    """``generate`` and ``GenerateReport`` load the generator at first use, so that importing
    a module of this package (``ketenlink``'s start imports ``generator.cli``) stays cheap."""
    if name in ("GenerateReport", "generate"):
        from generator import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
