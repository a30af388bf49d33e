"""``generate``: write the four partner exports, the ground truth and the world summary.

Records are streamed: each partner file is a channel that emits its quota of lines in time order,
interleaved with the others so that they share the innocent entities they mention. Resends and
revisions are queued and emitted a little later; invalid records replace an original.
"""

from __future__ import annotations

import heapq
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import structlog

from core.private_files import open_private, private_dir, write_private_text
from generator.common import Draft, Source
from generator.entities import Entity, Window, describe
from generator.exceptions import OutputDirError, TooFewSignalsError
from generator.kvk import KvkSource
from generator.riec import RiecSource
from generator.tips import TipsSource
from generator.world import build_world, summary
from generator.zorg import ZorgSource

log = structlog.get_logger("generator")

MIN_SIGNALS = 200
SHARES = (("kvk", 0.45), ("riec", 0.20), ("zorg", 0.10), ("stichting-m", 0.25))
"""Share of N per partner file, in the order of the files."""
KVK_RING_BUDGET = 0.35
"""At most this share of the KvK rows are ring events (matters only for small N)."""

GROUND_TRUTH = "ground-truth.jsonl"
ENTITIES = "entities.jsonl"
WORLD = "world.json"


@dataclass(frozen=True, slots=True)
class Rates:
    """Per original record: the chance it is invalid, resent unchanged, or revised later."""

    invalid: float = 0.01
    resend: float = 0.02
    revision: float = 0.015


@dataclass(frozen=True, slots=True)
class GenerateReport:
    """What ``generate`` wrote."""

    out_dir: Path
    signals: int
    seed: int
    kvk_rows: int
    riec_signals: int
    zorg_reports: int
    tips: int
    rings: int
    resends: int
    revisions: int
    invalid: int
    duplicates: int
    """Resends plus revisions: lines whose reference appeared before in the same file."""
    entities: int
    elapsed_s: float


@dataclass(order=True, slots=True)
class _Pending:
    due: int
    seq: int
    line: str = field(compare=False)
    kind: str = field(compare=False)
    draft: Draft = field(compare=False)
    of_line: int = field(compare=False)
    changed: list[str] | None = field(compare=False, default=None)


class Channel:
    """One partner file: emits exactly ``quota`` data lines and their ground truth."""

    def __init__(self, source: Source, out_dir: Path, quota: int, rng: random.Random, rates: Rates,
                 window: Window, truth: TextIO) -> None:
        self.source, self.quota, self.rng, self.rates, self.window = source, quota, rng, rates, window
        self.truth = truth
        self.out = open_private(out_dir / source.file, "w", newline="\n")
        self.first_line = 1
        if source.header is not None:
            self.out.write(source.header + "\n")
            self.first_line = 2
        self.written = 0
        self.pending: list[_Pending] = []
        self.counts = {"original": 0, "resend": 0, "revision": 0, "invalid": 0}
        self._seq = 0

    @property
    def done(self) -> bool:
        return self.written >= self.quota

    def step(self) -> None:
        """Emit the next line: a due resend or revision, else a new (maybe invalid) record."""
        remaining = self.quota - self.written
        if self.pending and (self.pending[0].due <= self.written or remaining <= len(self.pending)):
            item = heapq.heappop(self.pending)
            self._emit(item.line, item.draft, item.kind, of_line=item.of_line, changed=item.changed)
            return
        rng, rates = self.rng, self.rates
        day = self.window.day((self.written + rng.random()) / self.quota)
        draft = self.source.next(day)
        r = rng.random()
        if r < rates.invalid:
            bad = self.source.invalidate(draft)
            self._emit(bad.line, draft, "invalid", reason=bad.reason, field_name=bad.field)
            return
        line_no = self._emit(self.source.serialize(draft.payload), draft, "original")
        if r < rates.invalid + rates.resend:
            self._queue(_Pending(self.written + rng.randint(1, 300), self._next_seq(),
                                 self.source.serialize(draft.payload), "resend", draft, line_no))
        elif r < rates.invalid + rates.resend + rates.revision:
            payload, changed = self.source.revise(draft)
            self._queue(_Pending(self.written + rng.randint(5, 600), self._next_seq(),
                                 self.source.serialize(payload), "revision", draft, line_no, changed))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _queue(self, item: _Pending) -> None:
        heapq.heappush(self.pending, item)

    def _emit(self, line: str, draft: Draft, kind: str, *, of_line: int | None = None,
              changed: list[str] | None = None, reason: str | None = None,
              field_name: str | None = None) -> int:
        line_no = self.first_line + self.written
        self.out.write(line + "\n")
        self.written += 1
        self.counts[kind] += 1
        truth: dict[str, Any] = {
            "file": self.source.file, "line": line_no, "ref": draft.ref, "kind": kind,
            "reason": reason, "field": field_name, "of_line": of_line, "changed": changed,
            "ring": draft.ring, "mentions": [m.as_json() for m in draft.mentions],
        }
        self.truth.write(json.dumps(truth, ensure_ascii=False, separators=(",", ":")) + "\n")
        return line_no

    def close(self) -> None:
        self.out.close()


def quotas(signals: int) -> dict[str, int]:
    """Lines per partner file; the last takes the rounding remainder so they sum to N."""
    out = {name: int(signals * share) for name, share in SHARES[:-1]}
    out[SHARES[-1][0]] = signals - sum(out.values())
    return out


def generate(out_dir: Path, signals: int, seed: int) -> GenerateReport:
    """Write ``signals`` records in total across the four partner files in ``out_dir``, with
    ``ground-truth.jsonl``, ``entities.jsonl`` and ``world.json``; the same (signals, seed) gives
    byte-identical files."""
    if signals < MIN_SIGNALS:
        raise TooFewSignalsError(signals, MIN_SIGNALS)
    started = time.perf_counter()
    try:
        private_dir(out_dir)
        entity_file = open_private(out_dir / ENTITIES, "w", newline="\n")
        truth = open_private(out_dir / GROUND_TRUTH, "w", newline="\n")
    except OSError as exc:
        raise OutputDirError(str(out_dir), exc) from exc
    log.info("generate.start", out_dir=str(out_dir), signals=signals, seed=seed)
    entity_count = 0

    def sink(entity: Entity) -> None:
        nonlocal entity_count
        entity_count += 1
        entity_file.write(json.dumps(describe(entity), ensure_ascii=False, separators=(",", ":")) + "\n")

    channels: list[Channel] = []
    try:
        world = build_world(random.Random(f"ketenlink/{seed}/world"), signals, sink)
        share = quotas(signals)
        rates = Rates()
        sources: list[tuple[Source, int]] = [
            (KvkSource(world, random.Random(f"ketenlink/{seed}/kvk"),
                       int(share["kvk"] * KVK_RING_BUDGET)), share["kvk"]),
            (RiecSource(world, random.Random(f"ketenlink/{seed}/riec")), share["riec"]),
            (ZorgSource(world, random.Random(f"ketenlink/{seed}/zorg")), share["zorg"]),
            (TipsSource(world, random.Random(f"ketenlink/{seed}/stichting-m")), share["stichting-m"]),
        ]
        for i, (source, quota) in enumerate(sources):
            channels.append(Channel(source, out_dir, quota, random.Random(f"ketenlink/{seed}/channel/{i}"),
                                    rates, world.window, truth))
        queue = [(0.0, i) for i, ch in enumerate(channels) if not ch.done]
        while queue:
            _, i = heapq.heappop(queue)
            channel = channels[i]
            channel.step()
            if not channel.done:
                heapq.heappush(queue, (channel.written / channel.quota, i))
        doc = {
            "seed": seed, "signals": signals,
            "window": {"start": world.window.start.isoformat(), "end": world.window.end.isoformat()},
            "files": {ch.source.file: {"lines": ch.written, **ch.counts} for ch in channels},
            "rings": summary(world),
        }
        write_private_text(out_dir / WORLD, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        raise OutputDirError(str(out_dir), exc) from exc
    finally:
        for ch in channels:
            ch.close()
        truth.close()
        entity_file.close()
    total = {kind: sum(ch.counts[kind] for ch in channels) for kind in ("resend", "revision", "invalid")}
    report = GenerateReport(
        out_dir=out_dir, signals=signals, seed=seed, kvk_rows=channels[0].written,
        riec_signals=channels[1].written, zorg_reports=channels[2].written, tips=channels[3].written,
        rings=len(world.rings), resends=total["resend"], revisions=total["revision"],
        invalid=total["invalid"], duplicates=total["resend"] + total["revision"], entities=entity_count,
        elapsed_s=round(time.perf_counter() - started, 3))
    log.info("generate.done", **{name: getattr(report, name) for name in report.__dataclass_fields__
                                 if name != "out_dir"})
    return report
