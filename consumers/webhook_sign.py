"""Signing webhook deliveries, and the check a receiver runs.

Every POST carries::

    X-Ketenlink-Timestamp: <unix seconds>
    X-Ketenlink-Signature: sha256=<hex HMAC-SHA256(secret, b"<timestamp>." + body)>

The timestamp is inside the MAC, so a receiver that also refuses timestamps older than a few
minutes (``verify``'s ``tolerance_s``) refuses a captured request replayed later. Each attempt
is signed afresh; the delivery id (``X-Ketenlink-Delivery``) stays the same across retries, so a
receiver deduplicates on it.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_SCHEME = "sha256="
DELIVERY_HEADER = "X-Ketenlink-Delivery"
TIMESTAMP_HEADER = "X-Ketenlink-Timestamp"
SIGNATURE_HEADER = "X-Ketenlink-Signature"
ATTEMPT_HEADER = "X-Ketenlink-Attempt"
DEFAULT_TOLERANCE_S = 300


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def signature(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` over ``f"{timestamp}."`` followed by the exact body bytes."""
    mac = hmac.new(_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_SCHEME + mac.hexdigest()


def signed_headers(secret: str | bytes, delivery_id: str, body: bytes, now: float,
                   attempt: int = 1) -> dict[str, str]:
    """The headers of one POST attempt of ``body``."""
    timestamp = int(now)
    return {
        "Content-Type": "application/json",
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        ATTEMPT_HEADER: str(attempt),
    }


def verify(secret: str | bytes, timestamp: str | int, body: bytes, header: str | None,
           now: float, tolerance_s: float = DEFAULT_TOLERANCE_S) -> bool:
    """True when ``header`` is the signature of ``body`` at ``timestamp`` under ``secret`` and
    the timestamp is within ``tolerance_s`` of ``now`` (either side: clocks drift).

    ``timestamp`` and ``header`` are the request's ``X-Ketenlink-Timestamp`` and
    ``X-Ketenlink-Signature`` as received; anything malformed is simply False.
    """
    if header is None:
        return False
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - stamp) > tolerance_s:
        return False
    expected = signature(secret, stamp, body)
    return hmac.compare_digest(expected.encode(), header.strip().encode())
