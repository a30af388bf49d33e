"""``ketenlink bench route``: publish → delivery latency at a steady rate, beside the broker's.

In one run on one broker, with fresh topics (``bench-route-<time>.``):

- ``raw``: the same records published at the same rate to one plain topic and read back by a
  kafka-python consumer: the latency of one broker hop from Python, the floor;
- ``pipeline``: generated partner signals published at the rate to their inbound topics, through
  a ``ketenlink worker`` (validate, dedupe, resolve) and a ``ketenlink router`` process, read from
  every ``deliveries.<partner>`` topic. Every subscriber subscribes to everything, so each signal
  is routed to every partner that may see it (the most copies routing can make).

Latency of a copy = the moment a consumer in this process reads it minus the moment its signal was
handed to the producer (one clock). Processes start and warm up before the clock runs.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from core.kafka_clients import client_options
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout, TopicSpec, apply_topics
from generator import PARTNER_FILES, generate
from policy.live import publish_change
from policy.registry import load_registry, parse_entry
from policy.retention import topic_layout
from producers.adapters import adapter_for
from producers.adapters.base import Parsed
from producers.pseudonym import Pseudonymiser
from producers.publish_file import record_key
from schemas.signal import Signal
from streams.app import changelog_topics
from streams.exceptions import StreamError

QUIET_S = 5.0
"""The run ends when no delivery has arrived for this long after the last publish."""


class RouteBenchError(StreamError):
    """A process of the pipeline exited, or nothing was delivered."""


def run_route_bench(settings: Settings, rate: float, seconds: float, seed: int,
                    echo: Callable[[str], None]) -> dict[str, Any]:
    """Measure raw and pipeline latency at ``rate`` signals/s for ``seconds`` each."""
    count = max(int(rate * seconds), 10)
    prefix = f"bench-route-{int(time.time())}."
    app_id = prefix.rstrip(".")
    layout = topic_layout(prefix=prefix)
    raw_topic = TopicSpec(name=f"{prefix}raw", partitions=3, key="signal id",
                          description="raw latency baseline")
    admin = KafkaAdminClient(**client_options(settings.kafka))
    try:
        apply_topics(admin, [*layout.topics, raw_topic, *changelog_topics(app_id)])
    finally:
        admin.close()
    with tempfile.TemporaryDirectory(prefix="ketenlink-bench-route-") as tmp:
        signals = _signals(settings, Path(tmp), count, seed)
        echo(f"{len(signals)} generated signals; {rate:g}/s for {len(signals) / rate:.0f} s, "
             "first the raw broker hop, then the pipeline")
        raw = _measure(settings, [raw_topic.name], rate,
                       [(raw_topic.name, record_key(s), s.model_dump_json().encode())
                        for s in signals])
        echo(f"raw broker hop: p50 {raw['latency_ms']['p50']} ms, "
             f"p99 {raw['latency_ms']['p99']} ms")
        _subscribe_everyone(settings, layout)
        env = {"KETENLINK_TOPIC_PREFIX": prefix, "KETENLINK_FAUST_APP_ID": app_id,
               "KETENLINK_VAR_DIR": str(Path(tmp, "var")), "KETENLINK_LOG_LEVEL": "warning"}
        with ExitStack() as processes:
            services = [processes.enter_context(ServiceProcess(name, Path(tmp, f"{name}.log"),
                                                               env=env))
                        for name in ("worker", "router")]
            _warm_up(settings, layout, services, Path(tmp))
            records = [(layout.inbound_of(s.partner), record_key(s),
                        s.model_dump_json().encode()) for s in signals]
            pipeline = _measure(settings, [layout.delivery(p) for p in layout.recipients], rate,
                                records, services, Path(tmp))
    echo(f"pipeline: {pipeline['deliveries']} copies of {pipeline['signals_delivered']} signals;"
         f" p50 {pipeline['latency_ms']['p50']} ms, p99 {pipeline['latency_ms']['p99']} ms")
    return {"rate_per_s": rate, "signals": len(signals), "raw": raw, "pipeline": pipeline,
            "ratio_p99_pipeline_vs_raw": round(pipeline["latency_ms"]["p99"] /
                                               max(raw["latency_ms"]["p99"], 0.001), 1)}


def _signals(settings: Settings, folder: Path, count: int, seed: int) -> list[Signal]:
    """``count`` generated signals of all partners, interleaved as they would arrive."""
    generate(folder, count, seed)
    pseudonyms = Pseudonymiser(settings.pseudonym_key)
    per_partner = [[r.signal for r in adapter_for(p, pseudonyms).read(folder / f)
                    if isinstance(r, Parsed)] for p, f in PARTNER_FILES.items()]
    mixed: list[Signal] = []
    for i in range(max(len(s) for s in per_partner)):
        mixed.extend(s[i] for s in per_partner if i < len(s))
    return mixed


def _subscribe_everyone(settings: Settings, layout: TopicLayout) -> None:
    with Publisher(settings.kafka) as publisher:
        for partner, entry in load_registry().entries.items():
            if "subscriber" in entry.roles:
                doc = entry.model_dump(mode="json")
                doc.pop("partner_id")
                doc["subscriptions"] = [{"name": "everything"}]
                publish_change(publisher, layout, partner, parse_entry(partner, doc))


def _warm_up(settings: Settings, layout: TopicLayout, services: list[ServiceProcess],
             folder: Path, timeout: float = 180.0) -> None:
    """Until one signal has come through worker and router (start-up does not count)."""
    doc = {"partner": "riec", "partner_ref": f"warm-up-{time.time_ns()}",
           "observed_at": "2026-01-01T00:00:00+00:00", "reported_at": "2026-01-01T00:00:00+00:00",
           "category": "labour", "severity": "low", "distribution": "tlp:clear",
           "purpose": "prevention", "legal_basis": "bench warm-up",
           "subjects": [{"type": "phone", "ref": "t1", "role": "instrument",
                         "number": "+31612345678"}]}
    consumer = KafkaConsumer(layout.delivery("kvk"),
                             **client_options(settings.kafka),
                             auto_offset_reset="earliest", enable_auto_commit=False)
    deadline = time.monotonic() + timeout
    try:
        with Publisher(settings.kafka) as publisher:
            publisher.publish(layout.inbound_of("riec"), b"warm-up",
                              json.dumps(doc).encode())
        while not any(consumer.poll(timeout_ms=500).values()):
            _check(services, folder)
            if time.monotonic() > deadline:
                raise RouteBenchError(f"no warm-up delivery in {timeout:.0f} s")
    finally:
        consumer.close()


def _check(services: list[ServiceProcess], folder: Path) -> None:
    for service in services:
        if service.returncode is not None:
            log = Path(folder, f"{service.command}.log")
            tail = log.read_text(errors="replace")[-1500:] if log.is_file() else ""
            raise RouteBenchError(f"{service.command} exited ({service.returncode}):\n{tail}")


def _measure(settings: Settings, read_topics: list[str], rate: float,
             records: list[tuple[str, bytes, bytes]],
             services: list[ServiceProcess] | None = None, folder: Path | None = None
             ) -> dict[str, Any]:
    """Publish ``records`` at ``rate``/s while reading ``read_topics``; latencies per copy."""
    sent: dict[str, float] = {}
    arrived: list[tuple[str, float]] = []
    consumer = KafkaConsumer(**client_options(settings.kafka),
                             enable_auto_commit=False, fetch_max_wait_ms=10)
    partitions = [TopicPartition(t, p) for t in read_topics
                  for p in consumer.partitions_for_topic(t) or ()]
    consumer.assign(partitions)
    consumer.seek_to_end()
    for tp in partitions:
        consumer.position(tp)  # resolve the end offsets now, before anything is published
    done = threading.Event()
    reader = threading.Thread(target=_read, args=(consumer, arrived, done), daemon=True)
    reader.start()
    producer = KafkaProducer(**client_options(settings.kafka), acks="all",
                             linger_ms=1, enable_idempotence=True)
    started = time.monotonic()
    try:
        for i, (topic, key, value) in enumerate(_paced(records, rate, started)):
            sent[_signal_id(value)] = time.time()
            producer.send(topic, key=key, value=value)
            if i % 500 == 0 and services and folder:
                _check(services, folder)
        producer.flush()
        publish_s = time.monotonic() - started
        last_count, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < QUIET_S:
            time.sleep(0.5)
            if len(arrived) != last_count:
                last_count, quiet_since = len(arrived), time.monotonic()
    finally:
        done.set()
        reader.join(10)
        producer.close()
        consumer.close()
    latencies = sorted((at - sent[sid]) * 1000 for sid, at in arrived if sid in sent)
    if not latencies:
        raise RouteBenchError("nothing arrived on " + ", ".join(read_topics))
    return {"published": len(records), "publish_s": round(publish_s, 2),
            "achieved_rate_per_s": round(len(records) / publish_s, 1),
            "deliveries": len(latencies),
            "signals_delivered": len({sid for sid, _ in arrived if sid in sent}),
            "latency_ms": _percentiles(latencies)}


def _paced(records: list[tuple[str, bytes, bytes]], rate: float, started: float
           ) -> Iterator[tuple[str, bytes, bytes]]:
    for i, record in enumerate(records):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield record


def _read(consumer: KafkaConsumer, arrived: list[tuple[str, float]], done: threading.Event
          ) -> None:
    while not done.is_set():
        for batch in consumer.poll(timeout_ms=100).values():
            now = time.time()
            arrived.extend((_signal_id(r.value), now) for r in batch)


def _signal_id(value: bytes) -> str:
    doc = json.loads(value)
    return str(doc["signal_id"]) if doc.get("signal_id") else \
        f"{doc['partner']}/{doc['partner_ref']}"


def _percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 \
        else [values[0]] * 99
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1),
            "max": round(values[-1], 1)}
