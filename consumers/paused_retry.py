"""Retry one batch while the consumer stays in its group: pause, poll, back off.

The graph sink and the alert engine both hold a polled batch they cannot finish yet (Neo4j
away, the sink behind). ``retry_paused`` calls ``attempt`` until it returns; on an error
``retryable`` accepts it pauses every assigned partition, keeps polling (so the group does not
evict the consumer), and tries again after a delay that doubles up to ``max_delay_s``. Nothing
is committed meanwhile. A partition a rebalance assigns during the wait is not paused and may
return records: the consumer is sought back to the first of them (and the partition paused),
so a later commit never passes records nobody handled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from kafka import KafkaConsumer

T = TypeVar("T")


def retry_paused(consumer: KafkaConsumer, attempt: Callable[[], T],
                 retryable: Callable[[Exception], bool], stop: threading.Event, *,
                 first_delay_s: float, max_delay_s: float,
                 on_retry: Callable[[Exception, float], None]) -> T | None:
    """``attempt()``'s result, or None when ``stop`` was set before it succeeded. An error
    ``retryable`` refuses propagates."""
    delay, paused = first_delay_s, False
    try:
        while True:
            try:
                return attempt()
            except Exception as exc:
                if not retryable(exc):
                    raise
                on_retry(exc, delay)
            if not paused:
                consumer.pause(*consumer.assignment())
                paused = True
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                if stop.is_set():
                    return None
                poll_paused(consumer)
            delay = min(delay * 2, max_delay_s)
    finally:
        if paused:
            consumer.resume(*consumer.paused())


def poll_paused(consumer: KafkaConsumer) -> None:
    """One poll to stay in the group while paused (see the module text)."""
    for partition, records in consumer.poll(timeout_ms=100).items():
        if records:
            consumer.seek(partition, records[0].offset)
            consumer.pause(partition)
