"""Intake: the first, pure step on a raw partner record — is it a Signal v1 from the right partner?

Every record is either passed on (validated and normalised by the contract, with where it came
from) or parked with its reason, never dropped. The contract's validators normalise what they
check: postcodes to ``1234 AB``, phones to E.164, IBANs, KvK numbers and plates to their compact
forms; names keep the partner's spelling (the resolver compares normalised forms).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from core.partner_ids import partner_kind
from schemas.errors import describe
from schemas.signal import Signal
from streams.exceptions import RecordRejected


@dataclass(frozen=True)
class Source:
    """Where a raw record was read: its topic, partition, offset and the kind of partner owning
    the topic (``riec`` for ``signals.in.riec``)."""

    topic: str
    partition: int
    offset: int
    partner: str


@dataclass(frozen=True)
class Accepted:
    """A valid signal for the next stage, keyed by its idempotency key ``partner/partner_ref``."""

    key: bytes
    value: bytes
    signal: Signal


def accept(raw: bytes | None, source: Source) -> Accepted:
    """Parse and validate a raw record; raise ``RecordRejected`` naming what is wrong.

    A record is accepted when it is a UTF-8 JSON object whose ``partner`` is of the kind that
    owns the topic (``riec:rotterdam`` on ``signals.in.riec``: the broker's ACLs let only that
    kind write there; within a kind the gateway token decides who publishes as whom) and that
    satisfies Signal v1.
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
    except RecursionError as exc:
        raise reject("not JSON: nested too deeply") from exc
    if not isinstance(doc, dict):
        raise reject(f"expected a JSON object, got {type(doc).__name__}")
    partner = doc.get("partner")
    if not isinstance(partner, str) or partner_kind(partner) != source.partner:
        raise reject(f"field 'partner' is {partner!r} but topic {source.topic} belongs to "
                     f"partners of kind {source.partner!r}")
    try:
        signal = Signal.model_validate_json(raw)
    except ValidationError as exc:
        raise reject(f"not a valid Signal v1: {describe(exc)}") from exc
    value = json.dumps({"source": {"topic": source.topic, "partition": source.partition,
                                   "offset": source.offset},
                        "signal": signal.model_dump(mode="json")},
                       ensure_ascii=False, separators=(",", ":"))
    return Accepted(key=f"{signal.partner}/{signal.partner_ref}".encode(), value=value.encode(),
                    signal=signal)


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
