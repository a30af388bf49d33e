"""Publishing a translation: consecutive records of one partner become one native export file,
published through the partner's adapter with ``publish_file`` exactly as ``ketenlink publish``
does, in time order; what each record became (its signal id and subjects, or why it was not
published) is read back with the same adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import structlog

from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout
from ketenlink.demo.records import Published, Sent
from ketenlink.scenario.translate import NativeRecord, Translation
from producers.adapters import adapter_for
from producers.adapters.base import Parsed, Rejected, Skipped
from producers.adapters.kvk import COLUMNS as KVK_COLUMNS
from producers.pseudonym import Pseudonymiser
from producers.publish_file import publish_file
from schemas.signal import Signal

log = structlog.get_logger(__name__)

SUFFIX = {"kvk": "csv"}


@dataclass
class Outcome:
    """What publishing a scenario's records gave."""

    published: Published = field(default_factory=Published)
    signals: dict[str, list[Signal]] = field(default_factory=dict)
    """Scenario signal id -> the platform signal(s) its records became (a resend: twice)."""
    refused: dict[str, str] = field(default_factory=dict)
    """Scenario signal id -> why its record was not published (adapter skipped or refused it)."""


def native_files(records: list[NativeRecord], folder: Path) -> list[tuple[str, Path, list[NativeRecord]]]:
    """(partner, file, its records): each run of consecutive records of one partner a file."""
    out = []
    for n, (partner, group) in enumerate(groupby(records, key=lambda r: r.partner)):
        batch = list(group)
        path = folder / f"{n:03d}-{partner}.{SUFFIX.get(partner, 'jsonl')}"
        header = [";".join(KVK_COLUMNS)] if partner == "kvk" else []
        path.write_text("\n".join([*header, *(r.line for r in batch)]) + "\n", encoding="utf-8")
        out.append((partner, path, batch))
    return out


def publish_translation(settings: Settings, layout: TopicLayout, translation: Translation,
                        folder: Path, echo: Callable[[str], None]) -> Outcome:
    """Publish every file in order; see the module docstring."""
    outcome = Outcome()
    pseudonyms = Pseudonymiser(settings.pseudonym_key)
    with Publisher(settings.kafka, client_id="ketenlink-scenario") as publisher:
        for partner, path, batch in native_files(translation.records, folder):
            adapter = adapter_for(partner, pseudonyms)
            first = 2 if partner == "kvk" else 1
            for result in adapter.read(path):
                record = batch[result.line - first]
                if isinstance(result, Parsed):
                    outcome.published.sent.append(Sent(partner, result.line,
                                                       str(result.signal.signal_id)))
                    if record.signal:
                        outcome.signals.setdefault(record.signal, []).append(result.signal)
                elif record.signal and isinstance(result, Skipped | Rejected):
                    what = "skipped" if isinstance(result, Skipped) else "refused"
                    outcome.refused[record.signal] = f"the {partner} adapter {what} it: {result.reason}"
            report = publish_file(adapter, path, publisher, layout,
                                  path.with_suffix(".rejects.jsonl"))
            log.info("scenario.published", file=path.name, partner=partner,
                     published=report.published, skipped=report.skipped, rejected=report.rejected)
            echo(f"  {path.name}: {report.published} published, {report.skipped} skipped, "
                 f"{report.rejected} refused")
    return outcome
