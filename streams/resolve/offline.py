"""Resolve a file of person or business records without Kafka: a fresh dict store, one record
at a time in file order.

Input: JSON Lines ``{"record_id": "...", "person": {...}}`` (or ``"business"``), the subject as
in Signal v1 without ``ref``, ``role`` and ``type``. Output: one line per input line, same order:
``{"record_id": "...", "entity_id": "..."}`` with the entity id after all records (merge
redirects followed), or ``{"record_id": ..., "error": "<field>: <message>"}`` for a bad line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from schemas.errors import describe
from schemas.subjects import Business, Person
from streams.resolve.config import ResolverConfig
from streams.resolve.resolver import Resolver

MODELS: dict[str, type[Person] | type[Business]] = {"person": Person, "business": Business}


@dataclass(frozen=True)
class OfflineReport:
    records: int
    """Input lines read (bad ones included)."""
    seconds: float
    per_s: float
    entities: int
    """Distinct entities the good records resolved to."""
    errors: int = 0


class _BadLine(ValueError):
    """A line that cannot be resolved; ``record_id`` when the line had one."""

    def __init__(self, message: str, record_id: str | None = None) -> None:
        self.record_id = record_id
        super().__init__(message)


def resolve_file(kind: Literal["person", "business"], src: Path, dst: Path,
                 config: ResolverConfig | None = None) -> OfflineReport:
    """Resolve every record of ``src`` and write the entity ids to ``dst``."""
    if kind not in MODELS:
        raise ValueError(f"kind must be one of {sorted(MODELS)}, not {kind!r}")
    store: dict[str, Any] = {}
    resolver = Resolver(store, config)
    model = MODELS[kind]
    results: list[tuple[Any, str, bool]] = []  # (record id, entity id or error, ok)
    start = time.perf_counter()
    with src.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record_id, subject = _parse(line, number, kind, model)
            except _BadLine as exc:
                results.append((exc.record_id, str(exc), False))
                continue
            results.append((record_id, resolver.resolve(record_id, subject).entity_id, True))
    entities: set[str] = set()
    with dst.open("w", encoding="utf-8") as out:
        for record_id, value, ok in results:
            if ok:
                value = resolver.current(value)
                entities.add(value)
                out.write(json.dumps({"record_id": record_id, "entity_id": value}) + "\n")
            else:
                out.write(json.dumps({"record_id": record_id, "error": value}, ensure_ascii=False) + "\n")
    seconds = time.perf_counter() - start
    errors = sum(1 for _, _, ok in results if not ok)
    return OfflineReport(len(results), round(seconds, 3),
                         round(len(results) / seconds, 1) if seconds > 0 else 0.0, len(entities), errors)


def _parse(line: str, number: int, kind: str, model: type[Person] | type[Business]
           ) -> tuple[str, Person | Business]:
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"line {number}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise _BadLine(f"line {number}: not a JSON object")
    record_id = doc.get("record_id")
    if not isinstance(record_id, str) or not record_id:
        raise _BadLine("record_id: missing or not text")
    body = doc.get(kind)
    if not isinstance(body, dict):
        raise _BadLine(f"{kind}: missing or not an object")
    subject = {k: v for k, v in body.items() if k not in ("ref", "role", "type")}
    subject.update(ref="r1", role="other")
    try:
        return record_id, model.model_validate_json(json.dumps(subject))
    except ValidationError as exc:
        raise _BadLine(describe(exc), record_id) from None
