"""``ketenlink bench stream``: the faust worker's throughput, side by side with a raw consumer.

Generated partner records are mapped by their adapters and published to fresh inbound topics
(``bench-<time>.`` prefix); then, in the same run on the same broker:

- ``raw-consume``: kafka-python reads the inbound topics from the start to the end — the floor
  for anything that reads them in Python;
- ``worker``: one ``ketenlink worker`` process (a new consumer group) validates, deduplicates and
  resolves them to ``signals.resolved``. Its rate is taken between the broker timestamps of the
  first and the last resolved record, so the process start-up does not count.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from core.kafka_clients import client_options
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout, apply_topics
from generator import PARTNER_FILES, generate
from policy.retention import topic_layout
from producers.adapters import adapter_for
from producers.adapters.base import Parsed
from producers.pseudonym import Pseudonymiser
from producers.publish_file import record_key
from streams.app import changelog_topics
from streams.dedupe import deduplicate
from streams.exceptions import StreamError


class StreamBenchError(StreamError):
    """The worker did not resolve every signal in time, or exited."""


def run_stream_bench(settings: Settings, signals: int, seed: int, echo: Callable[[str], None],
                     timeout: float = 600.0) -> dict[str, Any]:
    """Publish ``signals`` generated records, then measure the raw consumer and the worker."""
    prefix = f"bench-{int(time.time())}."
    app_id = prefix.rstrip(".")
    layout = topic_layout(prefix=prefix)
    admin = KafkaAdminClient(**client_options(settings.kafka))
    try:
        apply_topics(admin, [*layout.topics, *changelog_topics(app_id)])
    finally:
        admin.close()
    with tempfile.TemporaryDirectory(prefix="ketenlink-bench-") as tmp:
        echo(f"generating {signals} partner records (seed {seed}) ...")
        generate(Path(tmp), signals, seed)
        published, expected = _publish(settings, layout, Path(tmp))
        echo(f"published {published} signals to {prefix}signals.in.*; {expected} will be "
             "resolved (the rest are resends)")
        raw_s = _raw_consume(settings, layout.inbound(), published)
        env = {"KETENLINK_TOPIC_PREFIX": prefix, "KETENLINK_FAUST_APP_ID": app_id,
               "KETENLINK_VAR_DIR": str(Path(tmp, "var")), "KETENLINK_LOG_LEVEL": "warning"}
        started = time.monotonic()
        with ServiceProcess("worker", Path(tmp, "worker.log"), env=env) as worker:
            first_ms, last_ms = _wait_resolved(settings, layout.resolved, expected,
                                               worker, Path(tmp, "worker.log"), timeout, echo)
            wall_s = time.monotonic() - started
    worker_s = max((last_ms - first_ms) / 1000, 1e-3)
    result = {"signals": published, "resolved": expected, "raw_consume_s": round(raw_s, 3),
              "raw_consume_per_s": round(published / raw_s, 1),
              "worker_s": round(worker_s, 3), "worker_per_s": round(published / worker_s, 1),
              "worker_wall_s_with_startup": round(wall_s, 1),
              "ratio_worker_vs_raw_consume": round(raw_s / worker_s, 3)}
    echo(f"raw consume {result['raw_consume_per_s']:,.0f}/s; worker {result['worker_per_s']:,.0f}"
         f"/s (ratio {result['ratio_worker_vs_raw_consume']:.3f}); {wall_s:.0f} s with start-up")
    return result


def _publish(settings: Settings, layout: TopicLayout, folder: Path) -> tuple[int, int]:
    """Publish every parsed signal; return (published, expected to be resolved)."""
    pseudonyms = Pseudonymiser(settings.pseudonym_key)
    store: dict[str, Any] = {}
    published = expected = 0
    with Publisher(settings.kafka, client_id="ketenlink-bench") as publisher:
        for partner, file in PARTNER_FILES.items():
            batch = [r.signal for r in adapter_for(partner, pseudonyms).read(folder / file)
                     if isinstance(r, Parsed)]
            publisher.publish_many(layout.inbound_of(partner),
                                   [(record_key(s), s.model_dump_json().encode()) for s in batch])
            published += len(batch)
            expected += sum(not deduplicate(store, s, f"{partner}/{i}").suppressed
                            for i, s in enumerate(batch))
    return published, expected


def _raw_consume(settings: Settings, topics: list[str], count: int) -> float:
    consumer = KafkaConsumer(**client_options(settings.kafka),
                             auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        partitions = [TopicPartition(t, p) for t in topics
                      for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        seen = 0
        start = time.perf_counter()
        while seen < count:
            for batch in consumer.poll(timeout_ms=1000).values():
                seen += len(batch)
        return time.perf_counter() - start
    finally:
        consumer.close()


def _wait_resolved(settings: Settings, topic: str, expected: int, worker: ServiceProcess,
                   log: Path, timeout: float, echo: Callable[[str], None]) -> tuple[int, int]:
    """Broker timestamps (ms) of the first and the last of ``expected`` resolved records."""
    consumer = KafkaConsumer(topic, **client_options(settings.kafka),
                             auto_offset_reset="earliest", enable_auto_commit=False)
    seen, first, last = 0, None, 0
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + 5
    try:
        while seen < expected:
            if worker.returncode is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:] if log.is_file() else ""
                raise StreamBenchError(f"{seen} of {expected} signals resolved when the worker "
                                       f"{'exited' if worker.returncode is not None else 'ran out of time'}"
                                       f"{os.linesep}{tail}")
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    seen += 1
                    first = record.timestamp if first is None else min(first, record.timestamp)
                    last = max(last, record.timestamp)
            if time.monotonic() > next_report:
                echo(f"  resolved {seen}/{expected}")
                next_report = time.monotonic() + 5
    finally:
        consumer.close()
    return first or 0, last
