"""Intake: the first, pure step on a raw partner record — well-formed, and from the right partner?

Full schema validation (Signal v1) and normalisation build on this; the rule here is only that
every record is either passed on or parked with its reason, never dropped.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from streams.exceptions import RecordRejected


@dataclass(frozen=True)
class Source:
    """Where a raw record was read: its topic, partition, offset and the partner owning the topic."""

    topic: str
    partition: int
    offset: int
    partner: str


@dataclass(frozen=True)
class Accepted:
    """A well-formed record, keyed by its signal id for the next stage."""

    key: bytes
    value: bytes


def accept(raw: bytes | None, source: Source) -> Accepted:
    """Parse a raw record; raise ``RecordRejected`` naming what is wrong.

    A record is accepted when it is a UTF-8 JSON object with a non-empty string
    ``signal_id`` and a ``partner`` equal to the partner that owns the topic — a
    partner can only publish as itself.
    """
    def reject(reason: str) -> RecordRejected:
        return RecordRejected(reason, topic=source.topic, partition=source.partition,
                              offset=source.offset)

    if not raw:
        raise reject("empty record")
    try:
        doc: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise reject(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise reject(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(doc, dict):
        raise reject(f"expected a JSON object, got {type(doc).__name__}")
    signal_id = doc.get("signal_id")
    if not isinstance(signal_id, str) or not signal_id.strip():
        raise reject("field 'signal_id' is missing or not a non-empty string")
    partner = doc.get("partner")
    if partner != source.partner:
        raise reject(f"field 'partner' is {partner!r} but topic {source.topic} belongs to "
                     f"partner {source.partner!r}")
    value = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Accepted(key=signal_id.encode(), value=value.encode())


def rejection(raw: bytes | None, error: RecordRejected, partner: str) -> bytes:
    """The rejected-topic record: the original bytes (base64), where they came from, and why."""
    return json.dumps({
        "reason": error.reason,
        "partner": partner,
        "source_topic": error.topic,
        "source_partition": error.partition,
        "source_offset": error.offset,
        "original_base64": base64.b64encode(raw or b"").decode(),
        "rejected_at": datetime.now(UTC).isoformat(),
    }, separators=(",", ":")).encode()
