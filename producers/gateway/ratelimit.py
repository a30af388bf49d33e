"""Per-partner token buckets: ``per_minute`` signals a minute, with a burst of one minute's worth.

Pure apart from the clock, which is injected; the state lives in the instance (one per app).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    """Whether ``count`` signals may pass now; if not, how long until they would.

    ``exceeds_capacity``: more than a minute's worth at once, which never passes (split it).
    """

    allowed: bool
    retry_after_s: float
    remaining: int
    exceeds_capacity: bool = False


class RateLimiter:
    """Token bucket per key (partner): capacity ``per_minute``, refilled at ``per_minute / 60``/s.

    A request costs one token per signal, all or nothing: a refused request takes nothing.
    """

    def __init__(self, per_minute: int, clock: Clock = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate_per_s = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, count: int = 1) -> Decision:
        """Take ``count`` tokens from ``key``'s bucket if it holds them.

        A ``count`` above the capacity can never pass: it is refused with ``exceeds_capacity``
        and a retry-after of one minute, and the caller should ask for smaller batches.
        """
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=self.capacity, updated=now)
            elapsed = max(0.0, now - bucket.updated)  # a clock that steps back refills nothing
            bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate_per_s)
            bucket.updated = now
            if count <= bucket.tokens:
                bucket.tokens -= count
                return Decision(True, 0.0, int(bucket.tokens))
            if count > self.capacity:
                return Decision(False, 60.0, int(bucket.tokens), exceeds_capacity=True)
            return Decision(False, (count - bucket.tokens) / self.rate_per_s, int(bucket.tokens))
