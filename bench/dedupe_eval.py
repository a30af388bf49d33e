"""Deduplication measured against the generator's ground truth.

Every line of the generated exports is mapped by its partner's adapter and classified by
``streams.dedupe`` in file order (a fresh dict store, as the worker's table would start); the
verdict is compared with the line's true kind: ``original`` → new, ``resend`` → resend,
``revision`` → revision. Lines the adapter rejects or skips are not signals and are left out.

A revision can change only what the adapter does not keep or normalises away (an exact age
becomes the same age band, "4811AB" the same postcode as "4811 AB"): its signal then has the
facts of the version before, and suppressing it as a resend is right. Such lines are counted
apart (``revisions_without_new_facts``) instead of as errors.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from generator import PARTNER_FILES
from producers.adapters import adapter_for
from producers.adapters.base import Parsed
from producers.pseudonym import Pseudonymiser
from streams.dedupe import Verdict, deduplicate

EXPECTED = {"original": Verdict.NEW, "resend": Verdict.RESEND, "revision": Verdict.REVISION}


@dataclass(frozen=True)
class DedupeCheck:
    """How the verdicts compare with the truth: ``confusion[true kind][verdict]``."""

    signals: int
    seconds: float
    confusion: dict[str, dict[str, int]]

    revisions_without_new_facts: int

    def share(self, kind: str) -> float:
        """The share of lines of ``kind`` that got the right verdict (1.0 when there are none)."""
        row = self.confusion.get(kind, {})
        total = sum(row.values()) - (self.revisions_without_new_facts if kind == "revision" else 0)
        return row.get(EXPECTED[kind].value, 0) / total if total else 1.0

    def to_json(self) -> dict[str, Any]:
        return {"signals": self.signals, "seconds": round(self.seconds, 3),
                "signals_per_s": round(self.signals / self.seconds, 1) if self.seconds else 0.0,
                "resends_suppressed": round(self.share("resend"), 4),
                "revisions_recognised": round(self.share("revision"), 4),
                "originals_kept": round(self.share("original"), 4),
                "revisions_without_new_facts": self.revisions_without_new_facts,
                "confusion": self.confusion}


def check_dedupe(gen_dir: Path) -> DedupeCheck:
    """Run every generated export through its adapter and the deduplicator; compare with truth."""
    truth: dict[tuple[str, int], str] = {}
    with (gen_dir / "ground-truth.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            truth[(doc["file"], doc["line"])] = doc["kind"]
    pseudonyms = Pseudonymiser(SecretStr("dedupe-check-key-0123456789"))
    confusion: dict[str, Counter[str]] = {kind: Counter() for kind in EXPECTED}
    store: dict[str, Any] = {}
    fingerprints: dict[str, set[str]] = {}
    signals = no_new_facts = 0
    started = time.perf_counter()
    for partner, file in PARTNER_FILES.items():
        for result in adapter_for(partner, pseudonyms).read(gen_dir / file):
            if not isinstance(result, Parsed):
                continue
            kind = truth[(file, result.line)]
            verdict = deduplicate(store, result.signal, f"{file}/0/{result.line}")
            seen = fingerprints.setdefault(f"{partner}/{result.signal.partner_ref}", set())
            if kind == "revision" and verdict.fingerprint in seen:
                no_new_facts += 1
            seen.add(verdict.fingerprint)
            confusion[kind][verdict.verdict.value] += 1
            signals += 1
    return DedupeCheck(signals, time.perf_counter() - started,
                       {kind: dict(row) for kind, row in confusion.items()}, no_new_facts)
