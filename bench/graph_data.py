"""Resolved signals for the graph benchmark, made in-process exactly as the worker makes them.

``resolved_records`` generates partner exports, reads them through their adapters, puts the
signals in the order the partners reported them (the order ``signals.normalised`` would have)
and runs each through ``streams.pipeline.process`` with one signals store and one resolver: the
values are byte for byte what the worker writes on ``signals.resolved``.

``copy_record`` re-emits a record as a disjoint copy (signal, partner reference and entity ids
suffixed ``x<n>``: still well-formed ids, and ``x`` is no hex digit, so no copy meets a minted
id). The copies have the degree structure of the original, which is how the benchmark grows the
graph past a million nodes without resolving millions of records.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from pydantic import SecretStr

from generator import PARTNER_FILES, generate
from producers.adapters import adapter_for
from producers.adapters.base import Parsed
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver

log = structlog.get_logger(__name__)

LINES_PER_RESOLVED = 1.6
"""Partner lines generated per wanted resolved signal: about 67 % of the lines become one
(the rest are resends, invalid lines and KvK registrations that raise no indicator)."""


@dataclass(frozen=True)
class Resolved:
    """One record for the sink: key and JSON value (``signals.resolved``: key signal id;
    ``entities.merges``: key surviving entity id)."""

    key: bytes
    value: bytes


@dataclass(frozen=True)
class ResolvedSet:
    """The records and how long making them took (set-up, not measured)."""

    records: list[Resolved]
    merges: list[Resolved]
    """The merge events those records caused, as the worker emits them on ``entities.merges``."""
    lines: int
    generate_s: float
    parse_s: float
    resolve_s: float


def resolved_records(count: int, seed: int, pseudonym_key: SecretStr) -> ResolvedSet:
    """The first ``count`` resolved records of a generated world (fewer only if the world
    yields fewer; the caller checks)."""
    lines = int(count * LINES_PER_RESOLVED) + 200
    with tempfile.TemporaryDirectory(prefix="ketenlink-graph-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        generate(folder, lines, seed)
        t1 = time.perf_counter()
        pseudonyms = Pseudonymiser(pseudonym_key)
        signals: list[tuple[str, Signal]] = [
            (partner, result.signal)
            for partner, file in PARTNER_FILES.items()
            for result in adapter_for(partner, pseudonyms).read(folder / file)
            if isinstance(result, Parsed)]
    signals.sort(key=lambda ps: ps[1].reported_at)  # stable: file order within one instant
    t2 = time.perf_counter()
    log.info("graph_bench.parsed", lines=lines, signals=len(signals), seconds=round(t2 - t1, 1))
    store: dict[str, Any] = {}
    resolver = Resolver({})
    records: list[Resolved] = []
    merges: list[Resolved] = []
    for offset, (partner, signal) in enumerate(signals):
        source = {"topic": f"signals.in.{partner}", "partition": 0, "offset": offset}
        outcome = process(signal, source, store, resolver)
        merges.extend(Resolved(m.into.encode(), _dumps(m.to_json())) for m in outcome.merges)
        if outcome.record is not None:
            records.append(Resolved(outcome.record.signal_id.encode(), outcome.record.to_json()))
            if len(records) == count:
                break
    t3 = time.perf_counter()
    log.info("graph_bench.resolved", records=len(records), seconds=round(t3 - t2, 1))
    return ResolvedSet(records, merges, lines, t1 - t0, t2 - t1, t3 - t2)


def _suffix(copy: int | str) -> str:
    return f"x{copy}"


def _dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def copy_record(value: bytes, copy: int | str) -> Resolved:
    """The record as copy ``copy``: every signal and entity id (and the partner reference)
    suffixed ``x<copy>``, so copies never share an entity but keep the original's shape."""
    doc = json.loads(value)
    suffix = _suffix(copy)
    doc["signal_id"] += suffix
    signal = doc["signal"]
    signal["signal_id"] = doc["signal_id"]
    signal["partner_ref"] += suffix
    for entity in doc["entities"]:
        entity["entity_id"] += suffix
    for link in doc["links"]:
        link["source"] += suffix
        link["target"] += suffix
    for merge in doc["merges"]:
        merge["merged"] += suffix
        merge["into"] += suffix
    for review in doc["review"]:
        review["entity_id"] += suffix
        review["candidate"] += suffix
    return Resolved(doc["signal_id"].encode(), _dumps(doc))


def copy_merge(value: bytes, copy: int | str) -> Resolved:
    """A merge event of copy ``copy`` (its entity ids suffixed as ``copy_record`` does)."""
    doc = json.loads(value)
    doc["merged"] += _suffix(copy)
    doc["into"] += _suffix(copy)
    return Resolved(doc["into"].encode(), _dumps(doc))
