"""Whether a consumer group has caught up: committed the end of every partition of its topics."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from kafka import KafkaConsumer, TopicPartition

from core.kafka_clients import client_options
from core.settings import KafkaSettings


def wait_committed(kafka: KafkaSettings | str, group: str, topics: Iterable[str], timeout_s: float,
                   healthy: Callable[[], None] = lambda: None) -> bool:
    """Until ``group`` has committed the end offsets (as of the call) of every partition of
    ``topics``: True, or False when ``timeout_s`` ran out. ``healthy`` is called on every
    check and may raise to stop waiting."""
    probe = KafkaConsumer(**client_options(kafka), group_id=group,
                          enable_auto_commit=False)
    try:
        partitions = [TopicPartition(t, p) for t in topics
                      for p in probe.partitions_for_topic(t) or ()]
        ends = probe.end_offsets(partitions)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            healthy()
            if all((probe.committed(tp) or 0) >= ends[tp] for tp in partitions):
                return True
            time.sleep(0.2)
        return False
    finally:
        probe.close()
