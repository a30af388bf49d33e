"""The faust worker as a real process on the real broker: validation, deduplication, resolution,
crash recovery and two workers.

The resolve stage is a deterministic function of the order of ``signals.normalised``; the
reference for crash and scale-out tests is that order replayed through the same pure pipeline
(``streams.pipeline.process``) with dict stores in this process.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout
from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver
from tests.unit.schemas.signals import valid_doc


def _env(uid: str, var: Path) -> dict[str, str]:
    return {"KETENLINK_TOPIC_PREFIX": f"{uid}.", "KETENLINK_FAUST_APP_ID": uid,
            "KETENLINK_VAR_DIR": str(var)}


def _collect(settings: Settings, topic: str, until: Any, timeout: float) -> list[ConsumerRecord]:
    """Records of ``topic`` from the start until ``until(records)`` holds or time runs out."""
    consumer = KafkaConsumer(topic, bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    got: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(got) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                got.extend(batch)
    finally:
        consumer.close()
    return sorted(got, key=lambda r: (r.partition, r.offset))


def _publish(settings: Settings, layout: TopicLayout, docs: list[dict[str, Any]]) -> None:
    with Publisher(settings.kafka) as publisher:
        for doc in docs:
            key = f"{doc['partner']}/{doc['partner_ref']}".encode()
            publisher.publish(layout.inbound_of(doc["partner"]), key,
                              json.dumps(doc).encode())


def _person(ref: str, given: str, family: str, birth: str, phone: str) -> list[dict[str, Any]]:
    return [{"type": "person", "ref": ref, "role": "suspect", "given_name": given,
             "family_name": family, "birth_date": birth},
            {"type": "phone", "ref": f"t{ref}", "role": "instrument", "number": phone}]


def _scenario(uid: str, n: int) -> Iterator[dict[str, Any]]:
    """``n`` signals from three partners about overlapping people and phones."""
    partners = ("riec", "kvk", "zorg")
    for i in range(n):
        person = i % (n // 3 or 1)
        subjects = _person("p1", "Jan", _surname(person), "1980-01-31",
                           f"+316{10_000_000 + person}")
        yield valid_doc(partner=partners[i % 3], partner_ref=f"{uid}-{i}", subjects=subjects,
                        relations=[{"source": "p1", "type": "USES", "target": "tp1"}])


_SURNAMES = ("Bakker", "Visser", "Smit", "Mulder", "Bos", "Vos", "Peters", "Hendriks", "Dekker",
             "Brouwer", "Wolters", "Kok", "Jacobs", "Vermeulen", "Schouten", "Willems", "Hoekstra",
             "Koster", "Prins", "Postma", "Kuipers", "Veenstra", "Timmermans", "Groen", "Huisman")


def _surname(number: int) -> str:
    """A distinct double surname per number (up to 625), whole words apart from the others."""
    return f"{_SURNAMES[number % 25]}-{_SURNAMES[number // 25 % 25]}"


def _reference(normalised: list[ConsumerRecord]) -> tuple[dict[tuple[str, int], dict[str, str]],
                                                          Resolver]:
    """The resolved entities per (signal id, revision), by replaying ``signals.normalised``
    through the same pipeline; and the resolver, whose ``current`` gives an id's survivor."""
    signals: dict[str, Any] = {}
    resolver = Resolver({})
    out: dict[tuple[str, int], dict[str, str]] = {}
    for record in normalised:
        doc = json.loads(record.value)
        outcome = process(Signal.model_validate_json(json.dumps(doc["signal"])), doc["source"],
                          signals, resolver)
        if outcome.resolved is not None:
            out[(outcome.dedup.signal_id, outcome.dedup.revision)] = _entities(outcome.resolved)
    return out, resolver


def _entities(resolved: dict[str, Any]) -> dict[str, str]:
    return {e["ref"]: e["entity_id"] for e in resolved["entities"]}


def _compare(records: list[ConsumerRecord], normalised: list[ConsumerRecord]
             ) -> dict[tuple[str, int], dict[str, str]]:
    """The worker's resolved records against the reference, entity ids taken to the survivor of
    every merge (a record emitted again after a crash names the survivor of a merge that happened
    since). Every (signal id, revision) once in effect: a repeat must name the same entities."""
    expected, resolver = _reference(normalised)
    final = {key: {ref: resolver.current(e) for ref, e in refs.items()}
             for key, refs in expected.items()}
    out: dict[tuple[str, int], dict[str, str]] = {}
    for record in records:
        doc = json.loads(record.value)
        key = (doc["signal_id"], doc["revision"])
        entities = {ref: resolver.current(e) for ref, e in _entities(doc).items()}
        assert out.setdefault(key, entities) == entities, f"{key} differs on replay"
    assert out == final
    return out


def test_validates_deduplicates_and_resolves(settings: Settings, layout: TopicLayout, uid: str,
                                             tmp_path: Path) -> None:
    shared_phone = {"type": "phone", "ref": "t1", "role": "instrument", "number": "06-12345678"}
    original = valid_doc(partner_ref=f"{uid}-a")
    resend = {**original, "reported_at": "2026-03-06T09:00:00+01:00"}
    revision = {**original, "severity": "critical"}
    corroboration = valid_doc(partner="kvk", partner_ref=f"{uid}-b", relations=[],
                              subjects=[shared_phone])
    broken = b'{"partner": "riec", '
    spoofed = valid_doc(partner="kvk", partner_ref=f"{uid}-spoof")
    with ServiceProcess("worker", tmp_path / "worker.log", env=_env(uid, tmp_path)) as worker:
        _publish(settings, layout, [original, resend, revision, corroboration])
        with Publisher(settings.kafka) as publisher:
            publisher.publish(layout.inbound_of("riec"), None, broken)
            publisher.publish(layout.inbound_of("riec"), None,
                              json.dumps(spoofed).encode())
            publisher.publish(layout.inbound_of("riec"), None,
                              json.dumps({**original, "partner_ref": f"{uid}-c",
                                          "severity": "extreme"}).encode())
        resolved = _collect(settings, layout.resolved, lambda r: len(r) >= 3, 90)
        rejected = _collect(settings, layout.rejected, lambda r: len(r) >= 3, 30)
        time.sleep(3)  # anything more (a resend let through) would arrive by now
        resolved = _collect(settings, layout.resolved, lambda r: False, 3)
        assert worker.returncode is None, (tmp_path / "worker.log").read_text()[-3000:]

    # riec's two records share a key, so a partition, so their order; kvk's may come first or not
    riec = [json.loads(r.value) for r in resolved if json.loads(r.value)["partner"] == "riec"]
    kvk = [json.loads(r.value) for r in resolved if json.loads(r.value)["partner"] == "kvk"]
    assert [(d["verdict"], d["revision"]) for d in riec] == [("new", 1), ("revision", 2)]
    assert [(d["verdict"], d["revision"]) for d in kvk] == [("new", 1)]
    docs = [*riec, *kvk]
    assert docs[0]["signal_id"] == docs[1]["signal_id"]
    assert docs[1]["signal"]["severity"] == "critical"
    phone_a = next(e["entity_id"] for e in docs[1]["entities"] if e["type"] == "phone")
    phone_b = next(e["entity_id"] for e in docs[2]["entities"] if e["type"] == "phone")
    assert phone_a == phone_b
    # whichever partner came second about the shared phone is corroborated by the first
    assert (docs[2]["corroborated_by"] == ["riec"]) != (docs[0]["corroborated_by"] == ["kvk"])
    person = {e["ref"]: e["entity_id"] for e in docs[1]["entities"]}
    assert {"source": person["p1"], "type": "DIRECTOR_OF", "target": person["b1"],
            "source_ref": "p1", "target_ref": "b1"} in docs[1]["links"]

    reasons = {base64.b64decode(json.loads(r.value)["original_base64"]):
               json.loads(r.value)["reason"] for r in rejected}
    assert reasons[broken].startswith("not JSON")
    assert "belongs to partners of kind 'riec'" in reasons[json.dumps(spoofed).encode()]
    assert any("severity" in reason and "not a valid Signal v1" in reason
               for reason in reasons.values())


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_kill_9_mid_stream_loses_and_duplicates_nothing(settings: Settings, layout: TopicLayout,
                                                         uid: str, tmp_path: Path, store: str
                                                         ) -> None:
    """With either table store; RocksDB's files under the var dir outlive the killed process,
    as they would on a real host, and the restarted worker goes on from them."""
    docs = list(_scenario(uid, 1500))
    _publish(settings, layout, docs)
    expected = {Signal.model_validate_json(json.dumps(d)).signal_id for d in docs}
    resolved_topic = layout.resolved
    log = tmp_path / "worker.log"
    env = {**_env(uid, tmp_path), "KETENLINK_WORKER_STORE": store}
    first = ServiceProcess("worker", log, env=env).start()
    try:
        partial = _collect(settings, resolved_topic, lambda r: len(r) >= 50, 90)
        assert len(partial) >= 50, log.read_text()[-3000:]
    finally:
        assert first.kill() == -9
    before_restart = _collect(settings, resolved_topic, lambda r: False, 2)
    assert len({json.loads(r.value)["signal_id"] for r in before_restart}) < 1500, \
        "the worker finished before it was killed: nothing was tested"
    with ServiceProcess("worker", log, env=env) as second:
        records = _collect(settings, resolved_topic,
                           lambda r: len({json.loads(x.value)["signal_id"] for x in r}) >= 1500, 180)
        assert second.returncode is None, log.read_text()[-3000:]
    # Every signal resolved, once in effect, none extra. The entities are not compared with a
    # clean run here: the tables' changelogs are written key by key, so a kill can leave part of
    # a record's state written, and its replay may then decide differently (ARCHITECTURE.md).
    done = {(json.loads(r.value)["signal_id"], json.loads(r.value)["revision"]) for r in records}
    assert {signal_id for signal_id, _ in done} == expected
    assert all(revision == 1 for _, revision in done)


def test_two_workers_give_the_result_of_one(settings: Settings, layout: TopicLayout, uid: str,
                                           tmp_path: Path) -> None:
    docs = list(_scenario(uid, 300))
    env = _env(uid, tmp_path)
    with ServiceProcess("worker", tmp_path / "w1.log", env={**env, "KETENLINK_VAR_DIR":
                                                            str(tmp_path / "w1")}) as one, \
            ServiceProcess("worker", tmp_path / "w2.log", env={**env, "KETENLINK_VAR_DIR":
                                                               str(tmp_path / "w2")}) as two:
        time.sleep(5)  # let both join the group before the load arrives
        _publish(settings, layout, docs)
        records = _collect(settings, layout.resolved,
                           lambda r: len({json.loads(x.value)["signal_id"] for x in r}) >= 300, 120)
        assert one.returncode is None and two.returncode is None
    normalised = _collect(settings, layout.normalised, lambda r: False, 3)
    assert len(_compare(records, normalised)) == 300


def test_an_unexpected_error_stops_the_worker_without_losing_the_record(
        settings: Settings, layout: TopicLayout, uid: str, tmp_path: Path) -> None:
    # signals.normalised is written only by intake; a record without its source breaks an
    # invariant of the resolve stage: not bad input to park, a bug to stop for.
    normalised = layout.normalised
    good = valid_doc(partner_ref=f"{uid}-ok")
    _publish(settings, layout, [good, valid_doc(partner_ref=f"{uid}-ok2", severity="low")])
    log = tmp_path / "worker.log"
    with ServiceProcess("worker", log, env=_env(uid, tmp_path)) as worker:
        _collect(settings, layout.resolved, lambda r: len(r) >= 2, 90)
        # faust commits what it acked (an event is acked when the stream takes the next one)
        assert _committed(settings, uid, normalised, at_least=1, timeout=60) >= 1
        with Publisher(settings.kafka) as publisher:
            poison = publisher.publish(normalised, b"riec/poison", json.dumps(
                {"signal": good}).encode())
        deadline = time.monotonic() + 60
        while worker.returncode is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert worker.returncode == 70, log.read_text()[-3000:]
    crash = [json.loads(line[line.index("{"):]) for line in log.read_text().splitlines()
             if '"worker.crashed"' in line]  # faust may print a terminal escape before it
    assert crash and crash[-1]["offset"] == poison.offset and crash[-1]["topic"] == normalised
    # what came before may be committed, the poison not: after a restart it is read again
    assert 1 <= _committed(settings, uid, normalised, at_least=0, timeout=0) <= poison.offset


def _committed(settings: Settings, group: str, topic: str, at_least: int, timeout: float) -> int:
    """The group's committed offset of partition 0, once it is ``at_least`` or time runs out."""
    probe = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, group_id=group,
                          enable_auto_commit=False)
    deadline = time.monotonic() + timeout
    try:
        while True:
            committed = probe.committed(TopicPartition(topic, 0)) or 0
            if committed >= at_least or time.monotonic() >= deadline:
                return committed
            time.sleep(0.5)
    finally:
        probe.close()
