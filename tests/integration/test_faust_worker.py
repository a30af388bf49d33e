"""The faust worker, as a real process, reads partner topics and writes validated / rejected."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer

from infra.topics import apply_topics, load_layout
from ketenlink.services import ServiceProcess
from ketenlink.settings import Settings
from producers.publisher import Publisher


def _collect(settings: Settings, topic: str, want: int, timeout: float) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    got: list = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < want and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                got.extend(batch)
    finally:
        consumer.close()
    return got


def test_worker_validates_and_parks_bad_records(admin: KafkaAdminClient, settings: Settings,
                                                uid: str, tmp_path: Path) -> None:
    layout = load_layout(prefix=f"{uid}.")
    apply_topics(admin, layout.topics)
    good = [json.dumps({"signal_id": f"{uid}-{i}", "partner": "kvk"}).encode() for i in range(5)]
    broken = b'{"signal_id": '
    spoofed = json.dumps({"signal_id": f"{uid}-x", "partner": "riec"}).encode()
    env = {"KETENLINK_TOPIC_PREFIX": f"{uid}.", "KETENLINK_FAUST_APP_ID": uid,
           "KETENLINK_VAR_DIR": str(tmp_path)}

    with ServiceProcess("worker", tmp_path / "worker.log", env=env) as worker:
        with Publisher(settings.kafka) as publisher:
            publisher.publish_many(layout.name("signals.in.{partner}", "kvk"),
                                   [(None, v) for v in [*good, broken, spoofed]])
        validated = _collect(settings, layout.name("signals.validated"), 5, timeout=90)
        rejected = _collect(settings, layout.name("signals.rejected"), 2, timeout=30)
        assert worker.returncode is None, (tmp_path / "worker.log").read_text()[-3000:]
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-3000:]

    assert sorted(r.key for r in validated) == sorted(f"{uid}-{i}".encode() for i in range(5))
    assert {json.loads(r.value)["partner"] for r in validated} == {"kvk"}
    # Unkeyed records spread over partitions, so the parked order is not the publish order.
    parked = {base64.b64decode(d["original_base64"]): d for d in (json.loads(r.value) for r in rejected)}
    assert set(parked) == {broken, spoofed}
    assert parked[broken]["reason"].startswith("not JSON")
    assert "belongs to partner 'kvk'" in parked[spoofed]["reason"]
    assert all(d["source_topic"] == layout.name("signals.in.{partner}", "kvk") for d in parked.values())
