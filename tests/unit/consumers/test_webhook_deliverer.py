"""The deliverer without a broker: which partners get a worker, the dead-letter document, the
delivery id."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from kafka.consumer.fetcher import ConsumerRecord
from structlog.testing import capture_logs

from consumers.webhook import Deliverer, dead_letter, delivery_id_of, public_url
from consumers.webhook_secrets import SecretStore
from core.publisher import Publisher
from core.settings import KafkaSettings, WebhookSettings
from core.topics import load_layout
from policy.registry import PartnerEntry, Registry, Webhook


def _entry(partner: str, url: str | None) -> PartnerEntry:
    return PartnerEntry(partner_id=partner, source="registry", distributions=("clear",),
                        purposes=("prevention",),
                        webhook=Webhook(url=url, max_attempts=3) if url else None)


def _deliverer(tmp_path: Path, registry: Any) -> tuple[Deliverer, SecretStore]:
    secrets = SecretStore(tmp_path / "secrets.json")
    deliverer = Deliverer(KafkaSettings(), WebhookSettings(), load_layout(), registry, secrets,
                          cast(Publisher, object()))  # no broker: wanted() never publishes
    return deliverer, secrets


def test_only_webhooks_with_a_delivery_topic_and_a_secret_are_served(tmp_path: Path) -> None:
    registry = Registry({
        "riec": _entry("riec", "https://riec.example/hook"),
        "om": _entry("om", "https://om.example/hook"),  # no secret
        "kvk": _entry("kvk", None),  # no webhook: reads Kafka
        "stichting-m": _entry("stichting-m", "https://m.example/hook"),  # not a recipient
    })
    deliverer, secrets = _deliverer(tmp_path, lambda: registry)
    secrets.rotate("riec")
    assert deliverer.wanted() == {"riec": registry.entries["riec"].webhook}
    secrets.rotate("om")
    wanted = deliverer.wanted()
    assert wanted is not None and sorted(wanted) == ["om", "riec"]


def test_a_problem_is_logged_once_until_it_changes(tmp_path: Path) -> None:
    registry = Registry({"om": _entry("om", "https://om.example/hook")})
    deliverer, secrets = _deliverer(tmp_path, lambda: registry)
    with capture_logs() as logs:
        for _ in range(3):
            assert deliverer.wanted() == {}
        secrets.rotate("om")
        assert deliverer.wanted() is not None
    events = [e["event"] for e in logs
              if e.get("partner") == "om" and e["event"] != "webhook.secret.created"]
    assert events == ["webhook.no_secret", "webhook.partner_ready"]
    no_secret = next(e for e in logs if e["event"] == "webhook.no_secret")
    assert no_secret["log_level"] == "error" and "ketenlink deliver secret om" in no_secret["hint"]


def test_an_unreadable_registry_keeps_the_workers_as_they_are(tmp_path: Path) -> None:
    def broken() -> Registry:
        raise OSError("registry topic unreachable")

    deliverer, _ = _deliverer(tmp_path, broken)
    assert deliverer.wanted() is None


def test_the_delivery_id_comes_from_the_value() -> None:
    assert delivery_id_of(b'{"delivery_id": "5f0c", "signal": {}}') == "5f0c"
    for bad in (None, b"", b"not json", b"[1]", b'{"delivery_id": 7}', b'{"x": 1}',
                b'{"delivery_id": ""}', b'{"delivery_id": "a\\nb"}', b"\xff\xfe",
                '{"delivery_id": "caf\u00e9"}'.encode()):
        with pytest.raises(ValueError):
            delivery_id_of(bad)


def test_public_url_drops_credentials_query_and_fragment() -> None:
    assert public_url("https://user:pw@partner.example:8443/in/hook?token=s3cret#x") \
        == "https://partner.example:8443/in/hook"
    assert public_url("http://[::1]:9000/h") == "http://[::1]:9000/h"


def test_the_dead_letter_carries_the_facts_and_the_original_bytes() -> None:
    value = b'{"delivery_id":"d-1","signal":{"narrative":"caf\xc3\xa9"}}'
    record = ConsumerRecord(topic="deliveries.riec", partition=2, leader_epoch=0, offset=41,
                            timestamp=0, timestamp_type=0, key=b"sig-1", value=value,
                            headers=[], checksum=None, serialized_key_size=5,
                            serialized_value_size=len(value), serialized_header_size=0)
    doc = json.loads(dead_letter(record, "riec", "d-1", "https://riec.example/h?t=1",
                                 "exhausted", 8, 503, "HTTP 503: busy",
                                 datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert doc == {
        "recipient": "riec", "delivery_id": "d-1", "reason": "exhausted",
        "source_topic": "deliveries.riec", "source_partition": 2, "source_offset": 41,
        "source_key": "sig-1", "url": "https://riec.example/h", "attempts": 8,
        "last_status": 503, "last_error": "HTTP 503: busy",
        "original_base64": base64.b64encode(value).decode(),
        "dead_lettered_at": "2026-01-02T03:04:05+00:00",
    }
