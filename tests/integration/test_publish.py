"""Partner exports through their adapters onto the real broker: published, skipped or parked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout
from producers.adapters import adapter_for
from producers.pseudonym import Pseudonymiser
from producers.publish_file import publish_file
from schemas.signal import Signal

DATA = Path(__file__).parents[1] / "data"
EXPORTS = {"kvk": "kvk-mutaties.csv", "riec": "riec-casussignalen.jsonl",
           "zorg": "zorg-meldingen.jsonl", "stichting-m": "meldmisdaadanoniem-tips.jsonl"}


def _consume(settings: Settings, topic: str, want: int, timeout: float = 30.0) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    got: list = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < want and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=300).values():
                got.extend(batch)
        for batch in consumer.poll(timeout_ms=1000).values():  # nothing beyond what we expect
            got.extend(batch)
    finally:
        consumer.close()
    return got


@pytest.mark.parametrize("partner", sorted(EXPORTS))
def test_export_lines_are_published_or_parked(partner: str, layout: TopicLayout,
                                              settings: Settings, tmp_path: Path) -> None:
    source = DATA / EXPORTS[partner]
    adapter = adapter_for(partner, Pseudonymiser(settings.pseudonym_key))
    rejects = tmp_path / "rejects.jsonl"
    with Publisher(settings.kafka) as publisher:
        report = publish_file(adapter, source, publisher, layout, rejects)

    lines = [n for n, text in enumerate(source.read_text().splitlines(), start=1) if text.strip()]
    if partner == "kvk":
        lines = lines[1:]  # the header
    parked = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert report.published + report.rejected + report.skipped == len(lines)
    assert len(parked) == report.rejected > 0
    assert all(p["reason"] and p["line"] in lines for p in parked)

    records = _consume(settings, layout.inbound_of(partner), report.published)
    assert len(records) == report.published
    signals = [Signal.model_validate_json(r.value) for r in records]
    assert {r.key for r in records} == {f"{s.partner}/{s.partner_ref}".encode() for s in signals}
    assert {s.partner for s in signals} == {partner}
    wire = b"".join(r.value for r in records) + rejects.read_bytes()
    for secret in (b"111222333", b"P-88231", b"fractuur", b"kees.bakker@example.nl", b"87654321"):
        assert secret not in wire


def test_cli_exit_code_tells_whether_lines_were_rejected(layout: TopicLayout, uid: str,
                                                         tmp_path: Path) -> None:
    env = {**os.environ, "KETENLINK_TOPIC_PREFIX": f"{uid}."}
    clean = tmp_path / "clean.jsonl"
    clean.write_text((DATA / "riec-casussignalen.jsonl").read_text().splitlines()[0] + "\n")
    ok = subprocess.run([sys.executable, "-m", "ketenlink", "publish", "--partner", "riec",
                         str(clean)], env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "riec: 1 published, 0 rejected" in ok.stdout

    mixed = subprocess.run([sys.executable, "-m", "ketenlink", "publish", "--partner", "riec",
                            str(DATA / "riec-casussignalen.jsonl"), "--rejects",
                            str(tmp_path / "r.jsonl")],
                           env=env, capture_output=True, text=True, check=False)
    assert mixed.returncode == 2, mixed.stderr
    assert "riec: 2 published, 5 rejected" in mixed.stdout
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 5

    unknown = subprocess.run([sys.executable, "-m", "ketenlink", "publish", "--partner",
                              "politie", str(clean)], env=env, capture_output=True, text=True,
                             check=False)
    assert unknown.returncode == 1
    assert "unknown partner 'politie'" in unknown.stderr
