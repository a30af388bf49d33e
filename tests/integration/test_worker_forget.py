"""The resolve stage forgets an erased person: a real ``ketenlink worker`` reads the
suppressions topic and writes tombstones to its table changelogs for the keys that held the
person (profile, strong key, blocks, evidence); a later signal with the same pseudonym starts a
new entity instead of joining the old one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord

from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout
from policy.suppression import Suppression, SuppressionWriter
from tests.integration.test_stream_worker import _collect, _env, _publish
from tests.unit.schemas.signals import valid_doc


def _changelog(settings: Settings, uid: str, table: str, until: Any, timeout: float = 90
               ) -> dict[str, Any]:
    """The last value of every key of a table's changelog (None: a tombstone), read until
    ``until(values)`` holds."""
    def latest(records: list[ConsumerRecord]) -> dict[str, Any]:
        return {json.loads(r.key): (None if r.value is None else json.loads(r.value))
                for r in records}

    records = _collect(settings, f"{uid}-{table}-changelog", lambda rs: until(latest(rs)),
                       timeout)
    return latest(records)


def test_the_worker_forgets_an_erased_person_and_tombstones_their_keys(
        settings: Settings, layout: TopicLayout, uid: str, tmp_path: Path) -> None:
    ps = "ps1:" + hashlib.sha256(uid.encode()).hexdigest()
    person = {"type": "person", "ref": "p1", "role": "suspect", "given_name": "Jan",
              "family_name": "Vermeulen", "birth_date": "1966-06-06",
              "identifiers": [{"scheme": "bsn-pseudonym", "value": ps}]}
    first = valid_doc(partner_ref=f"{uid}-1", subjects=[person], relations=[])
    later = valid_doc(partner_ref=f"{uid}-2", subjects=[person], relations=[],
                      severity="low")
    resolved_topic = layout.resolved
    strong = f"k:person:bsn-pseudonym:{ps}"
    with ServiceProcess("worker", tmp_path / "worker.log", env=_env(uid, tmp_path)) as worker:
        _publish(settings, layout, [first])
        (one,) = [json.loads(r.value) for r in _collect(settings, resolved_topic,
                                                        lambda rs: len(rs) >= 1, 90)]
        entity = one["entities"][0]["entity_id"]
        held = _changelog(settings, uid, "resolver", lambda v: f"e:{entity}" in v)
        assert held[f"e:{entity}"]["f"] and held[strong] == entity
        blocks = [k for k, v in held.items() if k.startswith("b:person:") and v == [entity]]
        assert blocks  # birth date, sound of the name + year, initial + sound

        with Publisher(settings.kafka) as publisher:
            SuppressionWriter(publisher, layout.suppressions).suppress(
                [Suppression("pseudonym", ps, "erasure"),
                 Suppression("entity", entity, "erasure")])
        gone = _changelog(settings, uid, "resolver",
                          lambda v: v.get(f"e:{entity}", 0) is None)
        assert gone[f"e:{entity}"] is None and gone[strong] is None
        assert all(gone[k] is None for k in blocks)
        facts = _changelog(settings, uid, "signals", lambda v: v.get(f"en:{entity}", 0) is None)
        assert facts[f"en:{entity}"] is None
        live = {k: v for k, v in gone.items() if v is not None}
        assert "Vermeulen".lower() not in json.dumps(live).lower()
        assert ps not in json.dumps(live) and "1966-06-06" not in json.dumps(live)

        _publish(settings, layout, [later])
        records = [json.loads(r.value) for r in _collect(settings, resolved_topic,
                                                         lambda rs: len(rs) >= 2, 90)]
        assert worker.returncode is None, (tmp_path / "worker.log").read_text()[-3000:]
    two = next(r for r in records if r["signal"]["partner_ref"] == f"{uid}-2")
    assert two["entities"][0]["entity_id"] != entity
    assert two["entities"][0]["method"] == "new"
    log = (tmp_path / "worker.log").read_text()
    assert "resolve.forgotten" in log and ps not in log and "Vermeulen" not in log
