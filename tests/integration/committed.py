"""Waiting for a consumer group to have committed the end of its input topics."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from kafka import KafkaConsumer, TopicPartition


def wait_committed(bootstrap_servers: str, group: str, topics: Iterable[str], timeout: float,
                   healthy: Callable[[], None] = lambda: None) -> None:
    """Until ``group`` has committed the end offsets (as of the call) of every partition of
    ``topics``; ``healthy`` is called on every check and may raise to stop waiting."""
    probe = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group,
                          enable_auto_commit=False)
    try:
        partitions = [TopicPartition(t, p) for t in topics
                      for p in probe.partitions_for_topic(t) or ()]
        ends = probe.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            healthy()
            if all((probe.committed(tp) or 0) >= ends[tp] for tp in partitions):
                return
            time.sleep(0.2)
        raise AssertionError(f"group {group} did not catch up in {timeout} s")
    finally:
        probe.close()
