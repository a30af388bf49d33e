"""The audit log's hash chains on the real broker: `ketenlink audit verify` passes an intact log
and names a forged or replayed entry."""

from __future__ import annotations

import json

import pytest
from kafka import KafkaAdminClient
from typer.testing import CliRunner

from core.audit import AuditLog, entry_hash
from core.publisher import Publisher
from core.settings import Settings
from core.topics import apply_topics
from ketenlink.cli import app
from policy.retention import topic_layout


def test_verify_passes_an_intact_log_and_names_a_forgery(
        settings: Settings, admin: KafkaAdminClient, uid: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    topic = topic_layout(prefix=f"{uid}.").audit_log
    apply_topics(admin, [t for t in topic_layout(prefix=f"{uid}.").topics if t.name == topic])
    monkeypatch.setenv("KETENLINK_TOPIC_PREFIX", f"{uid}.")
    runner = CliRunner()
    with Publisher(settings.kafka) as publisher:
        key = settings.audit_key.get_secret_value().encode()  # what `audit verify` uses
        first, second = AuditLog(publisher, topic, key=key), AuditLog(publisher, topic, key=key)
        entries = [log.record("a.jansen", "riec", "profile", {"entity_id": f"P-{i}"}, i)
                   for i in range(3) for log in (first, second)]
        done = runner.invoke(app, ["audit", "verify"])
        assert done.exit_code == 0, done.output
        assert "6 entries in 2 chains: intact" in done.output
        # someone with write access appends a doctored copy of an entry, resealed
        forged = json.loads(entries[2].to_json())
        forged["params"] = {"entity_id": "P-innocent"}
        forged["hash"] = entry_hash(forged, settings.audit_key.get_secret_value().encode())
        publisher.publish(topic, b"a.jansen", json.dumps(forged).encode())
    done = runner.invoke(app, ["audit", "verify"])
    assert done.exit_code == 1
    assert "seq 2: seq already seen (duplicate or replayed)" in done.output
    assert "7 entries in 2 chains: NOT intact" in done.output
