"""``ketenlink bench publish``: publishing throughput, side by side with the raw engine.

Every variant runs in the same process, one after the other, against the same broker and fresh
topics under a throw-away ``bench-<time>.`` prefix, so the ratios hold on a noisy shared machine:

- ``java-producer``: Kafka's own ``ProducerPerformance`` (acks=all, idempotent, gzip, linger 5 ms,
  the publisher's settings) with the mean record size of the generated signals — the baseline;
- ``python-producer``: kafka-python sending the already-serialised Signal JSON — the floor for
  anything written in Python;
- ``cli (<partner>)``: ``publish_file`` on the generated native export of the partner — read,
  map, validate Signal v1, pseudonymise, publish with confirmation;
- ``gateway (batch B)``: HTTP POST batches to the real gateway served by uvicorn — auth,
  validation, pseudonymisation, confirmed publish (``bench.gateway``).
"""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient

from bench.gateway import bench_gateway
from core.kafka_clients import client_options
from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout, TopicSpec, apply_topics
from generator import PARTNER_FILES, generate
from infra.runtime import ensure_runtime
from infra.tools import find_java
from policy.retention import topic_layout
from producers.adapters import adapter_for
from producers.adapters.base import Parsed
from producers.exceptions import BenchError
from producers.pseudonym import Pseudonymiser
from producers.publish_file import publish_file, record_key


@dataclass(frozen=True)
class BenchResult:
    """One variant's figure: ``records`` acknowledged by the broker in ``seconds``."""

    name: str
    records: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def java_producer(settings: Settings, topic: str, records: int, record_size: int) -> BenchResult:
    """Kafka's ProducerPerformance with the publisher's producer settings."""
    runtime = ensure_runtime("kafka", settings.kafka.version, settings.cache_dir.expanduser())
    out = subprocess.run(
        [str(find_java().java), "-Xmx512m", "-cp", runtime.classpath,
         "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
         "--num-records", str(records), "--record-size", str(record_size), "--throughput", "-1",
         "--producer-props", f"bootstrap.servers={settings.kafka.bootstrap_servers}", "acks=all",
         "enable.idempotence=true", "linger.ms=5", "compression.type=gzip"],
        capture_output=True, text=True, check=False, timeout=600,
    )
    match = re.search(r"(\d+) records sent, ([\d.]+) records/sec", out.stdout)
    if out.returncode != 0 or not match:
        raise BenchError("ProducerPerformance", (out.stderr or out.stdout)[-500:])
    return BenchResult("java-producer", records, records / float(match.group(2)))


def python_producer(settings: Settings, topic: str, records: list[tuple[bytes, bytes]]
                    ) -> BenchResult:
    """kafka-python through the ``Publisher``, sending ready-made bytes."""
    with Publisher(settings.kafka, client_id="ketenlink-bench") as publisher:
        start = time.perf_counter()
        publisher.publish_many(topic, records)
        return BenchResult("python-producer", len(records), time.perf_counter() - start)


def cli_publish(settings: Settings, layout: TopicLayout, partner: str, path: Path) -> BenchResult:
    """The ``ketenlink publish`` path: adapter, contract, confirmed publishing."""
    adapter = adapter_for(partner, Pseudonymiser(settings.pseudonym_key))
    with Publisher(settings.kafka, client_id="ketenlink-bench") as publisher, \
            tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = publish_file(adapter, path, publisher, layout, Path(tmp, "rejects.jsonl"))
        return BenchResult(f"cli ({partner})", report.published, time.perf_counter() - start)


def run_publish_bench(settings: Settings, signals: int, seed: int, batch: int,
                      echo: Callable[[str], None]) -> list[BenchResult]:
    """Generate ``signals`` partner records, then run every variant once; the first result is
    the baseline. Topics are created under a fresh ``bench-<time>.`` prefix."""
    prefix = f"bench-{int(time.time())}."
    layout = topic_layout(prefix=prefix)
    raw_java, raw_python = f"{prefix}raw.java", f"{prefix}raw.python"
    admin = KafkaAdminClient(**client_options(settings.kafka))
    try:
        apply_topics(admin, [*layout.topics, TopicSpec(name=raw_java, partitions=3),
                             TopicSpec(name=raw_python, partitions=3)])
    finally:
        admin.close()
    with tempfile.TemporaryDirectory(prefix="ketenlink-bench-") as tmp:
        out = Path(tmp)
        echo(f"generating {signals} partner records (seed {seed}) ...")
        generate(out, signals, seed)
        riec = out / PARTNER_FILES["riec"]
        adapter = adapter_for("riec", Pseudonymiser(settings.pseudonym_key))
        payloads = [(record_key(r.signal), r.signal.model_dump_json().encode())
                    for r in adapter.read(riec) if isinstance(r, Parsed)]
        if not payloads:
            raise BenchError("generate", "no valid RIEC signal was generated")
        size = int(statistics.mean(len(v) for _, v in payloads))
        echo(f"{len(payloads)} RIEC signals of {size} bytes on average; topics {prefix}*")
        results = [java_producer(settings, raw_java, len(payloads), size)]
        echo(f"  {results[-1].name}: {results[-1].per_s:,.0f}/s")
        results.append(python_producer(settings, raw_python, payloads))
        echo(f"  {results[-1].name}: {results[-1].per_s:,.0f}/s")
        for partner, name in PARTNER_FILES.items():
            results.append(cli_publish(settings, layout, partner, out / name))
            echo(f"  {results[-1].name}: {results[-1].per_s:,.0f}/s")
    gateway = bench_gateway(settings, layout, len(payloads), batch)
    results.append(BenchResult(f"gateway (batch {batch})", gateway["signals"],
                               gateway["gateway_s"]))
    echo(f"  {results[-1].name}: {results[-1].per_s:,.0f}/s")
    return results
