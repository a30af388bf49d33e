"""Retention and erasure on the real broker and the real Neo4j: each inbound topic's
``retention.ms`` from the policy; the purge deleting exactly the expired signals and what only
they held up (dry run first: nothing changes; a second run: nothing more); the erasure of a
pseudonymised person found on ``signals.resolved``; both audited in a chain that verifies.

The purge judges the whole database, so its signals live in 1985: no other test writes signals
that old, and the counts it reports are this test's alone."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
from neo4j import Driver

from consumers.graph_sink import batch_rows, write_batch
from core.audit import AuditLog
from core.audit_verify import topic_entries, verify
from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicLayout, apply_topics
from graph.erasure import Erasure, entities_with_identifier
from graph.exceptions import ErasureRefusedError
from graph.purge import RetentionPurge
from policy.retention import DAY_MS, load_retention
from policy.suppression import Suppression, SuppressionWriter
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal
from streams.resolve.features import ID_PREFIX
from tests.unit.schemas.signals import valid_doc

Subject = tuple[str, str, dict[str, Any]]
"""(ref, entity id suffix, subject fields)."""

SNAPSHOT = """
MATCH (n) WHERE n.signal_id IN $signals OR n.entity_id CONTAINS $uid OR n.alert_id CONTAINS $uid
   OR n.review_id IN $reviews
OPTIONAL MATCH (n)-[r]-(m)
RETURN n, collect(DISTINCT [type(r), startNode(r) = n, coalesce(m.signal_id, m.entity_id,
                             m.partner_id, m.code, m.alert_id), properties(r)]) AS edges
"""


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return str(value)


def snapshot(driver: Driver, settings: Settings, uid: str, signals: list[str]
             ) -> dict[str, Any]:
    """Every node of this test (signals, entities, alerts, review candidates) with its
    properties and edges."""
    reviews, _, _ = driver.execute_query(
        "MATCH (r:ReviewCandidate) WHERE r.a CONTAINS $uid RETURN r.review_id AS id", uid=uid,
        database_=settings.neo4j.database)
    records, _, _ = driver.execute_query(SNAPSHOT, signals=signals, uid=uid,
                                         reviews=[r["id"] for r in reviews],
                                         database_=settings.neo4j.database)
    out = {}
    for record in records:
        node = record["n"]
        props = dict(node)
        key = next(str(props[k]) for k in ("signal_id", "entity_id", "alert_id", "review_id")
                   if k in props)
        edges = tuple(sorted(_frozen(e) for e in record["edges"] if e[0] is not None))
        out[key] = (tuple(sorted(node.labels)), _frozen(props), edges)
    return out


def _doc(uid: str, partner: str, ref: str, reported: str, purpose: str,
         subjects: list[Subject], links: Sequence[tuple[str, str, str]] = (),
         review: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """A resolved record whose entity ids the test chooses (``<prefix><uid><suffix>``)."""
    entity_of = {r: f"{ID_PREFIX[s['type']]}{uid}{sfx}" for r, sfx, s in subjects}
    signal = Signal.model_validate_json(json.dumps(valid_doc(
        partner=partner, partner_ref=f"{uid}-{ref}", observed_at=reported, reported_at=reported,
        purpose=purpose, distribution="tlp:amber",
        subjects=[{"ref": r, **s} for r, _, s in subjects],
        relations=[{"source": s, "type": t, "target": o} for s, t, o in links])))
    return {"signal_id": str(signal.signal_id), "revision": 1, "verdict": "new",
            "partner": partner, "signal": signal.model_dump(mode="json"),
            "entities": [{"ref": r, "type": s["type"], "role": s["role"], "entity_id": entity_of[r]}
                         for r, _, s in subjects],
            "links": [{"source": entity_of[s], "type": t, "target": entity_of[o],
                       "source_ref": s, "target_ref": o} for s, t, o in links],
            "review": [{"entity_id": entity_of[a], "candidate": entity_of[b], "score": 7.5}
                       for a, b in review],
            "corroborated_by": []}


def _person(name: str, role: str = "suspect", **extra: Any) -> dict[str, Any]:
    return {"type": "person", "role": role, "given_name": "Jan", "family_name": name, **extra}


def _phone(number: str) -> dict[str, Any]:
    return {"type": "phone", "role": "instrument", "number": number}


LOCATION = {"type": "location", "role": "location",
            "address": {"street": "Hoogstraat", "house_number": 3, "postcode": "4811ab",
                        "city": "Breda", "municipality": "Breda"}}


@pytest.fixture(autouse=True)
def _cleanup(settings: Settings, driver: Driver, uid: str) -> Iterator[None]:
    """Delete this test's nodes afterwards: a 1985 signal left behind would be purged by the
    next run and change its counts."""
    yield
    driver.execute_query(  # a tip keeps no partner_ref in the graph: found by its mentions
        "MATCH (s:Signal)-[:MENTIONS]->(e:Entity) WHERE e.entity_id CONTAINS $uid "
        "DETACH DELETE s", uid=uid, database_=settings.neo4j.database)
    driver.execute_query(
        "MATCH (n) WHERE n.entity_id CONTAINS $uid OR n.alert_id CONTAINS $uid "
        "OR n.partner_ref STARTS WITH $uid OR (n:ReviewCandidate AND n.a CONTAINS $uid) "
        "DETACH DELETE n", uid=uid, database_=settings.neo4j.database)


@pytest.fixture
def audit(settings: Settings, layout: TopicLayout) -> Iterator[AuditLog]:
    with AuditLog(Publisher(settings.kafka, client_id="test-retention-audit"),
                  layout.audit_log, key=settings.audit_key.get_secret_value().encode()
                  ) as log:
        yield log


@pytest.fixture
def suppressor(settings: Settings, layout: TopicLayout) -> Iterator[SuppressionWriter]:
    with Publisher(settings.kafka, client_id="test-retention-suppressions") as publisher:
        yield SuppressionWriter(publisher, layout.suppressions)


def _audit_entries(settings: Settings, layout: TopicLayout) -> list[dict[str, Any]]:
    entries = list(topic_entries(settings.kafka.bootstrap_servers, layout.audit_log))
    verdict = verify(entries, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems
    return [doc for _, doc in entries]


def test_each_inbound_topic_keeps_records_as_long_as_the_policy_says(
        admin: KafkaAdminClient, layout: TopicLayout) -> None:
    policy = load_retention()
    described = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, t) for t in layout.inbound()])
    by_type = {str(kind).lower(): entries for kind, entries in described.items()}
    have = {topic: int(entries["retention.ms"]["value"])
            for topic, entries in by_type["topic"].items()}
    assert have == {layout.inbound_of(p): policy.inbound_retention_ms(p)
                    for p in layout.partners}
    assert have[layout.inbound_of("stichting-m")] == 3 * DAY_MS
    assert have[layout.inbound_of("kvk")] == 14 * DAY_MS
    assert len(set(have.values())) == 3  # kvk = riec, zorg, stichting-m
    again = apply_topics(admin, [t for t in layout.topics if t.name in have])
    assert sorted(again.unchanged) == sorted(have)
    # a topic created under an older policy is brought in line by the same idempotent apply
    tips = layout.inbound_of("stichting-m")
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, tips,
                                        configs={"retention.ms": str(14 * DAY_MS)})])
    _wait_retention(admin, tips, 14 * DAY_MS)  # the broker applies a change asynchronously
    fixed = apply_topics(admin, [t for t in layout.topics if t.name in have])
    assert fixed.reconfigured == [tips]
    _wait_retention(admin, tips, 3 * DAY_MS)


def _wait_retention(admin: KafkaAdminClient, topic: str, expected: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        value = int(next(iter(described.values()))[topic]["retention.ms"]["value"])
        if value == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert value == expected


def test_the_purge_deletes_exactly_what_expired_and_what_only_it_held_up(
        settings: Settings, driver: Driver, uid: str, layout: TopicLayout,
        audit: AuditLog, suppressor: SuppressionWriter) -> None:
    from datetime import UTC, datetime

    db = settings.neo4j.database
    now = datetime(1986, 1, 1, tzinfo=UTC)
    june = "1985-06-01T12:00:00+00:00"
    docs = {
        # tip, expired (180 d): a person and a phone only it knows; P-c lives at L-x (C too)
        "A": _doc(uid, "stichting-m", "a", june, "criminal-law",
                  [("p1", "a", _person("Aa")), ("t1", "ta", _phone("0612340001")),
                   ("p2", "c", _person("Cc")), ("l1", "x", LOCATION)],
                  [("p1", "USES", "t1"), ("p2", "LIVES_AT", "l1")], review=[("p1", "p2")]),
        # tip as old, but an alert's evidence: kept
        "B": _doc(uid, "stichting-m", "b", june, "criminal-law", [("p1", "b", _person("Bb"))]),
        # riec criminal-law: 5 years
        "C": _doc(uid, "riec", "c", june, "criminal-law",
                  [("p1", "c", _person("Cc")), ("l1", "x", LOCATION)], [("p1", "LIVES_AT", "l1")]),
        # zorg: prevention 180 d (expired), care 365 d (kept)
        "D": _doc(uid, "zorg", "d", "1985-06-10T12:00:00+00:00", "prevention",
                  [("p1", "d", _person("Dd", "victim"))]),
        "D2": _doc(uid, "zorg", "d2", "1985-06-10T12:00:00+00:00", "care",
                   [("p1", "d2", _person("Ee", "victim"))]),
        # the boundary: exactly 180 days old is expired, one second younger is not
        "E": _doc(uid, "stichting-m", "e", "1985-07-05T00:00:00+00:00", "criminal-law",
                  [("p1", "e", _person("Ff"))]),
        "F": _doc(uid, "stichting-m", "f", "1985-07-05T00:00:01+00:00", "criminal-law",
                  [("p1", "f", _person("Gg"))]),
        # a merge cluster half kept: P-g1 (expired tip) merged into P-g2 (kvk, 3 years)
        "G": _doc(uid, "stichting-m", "g", june, "criminal-law", [("p1", "g1", _person("Hh"))]),
        "H": _doc(uid, "kvk", "h", june, "administrative", [("p1", "g2", _person("Hh"))]),
        # a merge cluster all expired: P-i2 merged into P-i1
        "I": _doc(uid, "stichting-m", "i", june, "criminal-law", [("p1", "i1", _person("Ii"))]),
        "J": _doc(uid, "stichting-m", "j", june, "criminal-law", [("p1", "i2", _person("Ii"))]),
    }
    merges = [{"merged": f"P-{uid}g1", "into": f"P-{uid}g2", "reason": "test", "record_id": "g"},
              {"merged": f"P-{uid}i2", "into": f"P-{uid}i1", "reason": "test", "record_id": "i"}]
    write_batch(driver, db, batch_rows(docs.values(), merges))
    sid = {k: d["signal_id"] for k, d in docs.items()}
    driver.execute_query("MATCH (s:Signal {signal_id: $s}) "
                         "CREATE (:Alert {alert_id: $a, status: 'approved'})-[:EVIDENCE]->(s)",
                         s=sid["B"], a=f"AL-{uid}", database_=db)
    signals = list(sid.values())
    before = snapshot(driver, settings, uid, signals)
    assert any(k.startswith("RC-") or "ReviewCandidate" in v[0] for k, v in before.items())

    purge = RetentionPurge(driver, db, load_retention(), audit, suppressor, batch_size=4)
    dry = purge.run(now, dry_run=True)
    assert snapshot(driver, settings, uid, signals) == before
    assert suppressor.written == [] and dry.suppressions == 0

    done = purge.run(now)
    expected = {"signals": 6, "entities": 6, "mentions": 9, "relations": 1,
                "relations_updated": 1, "review_candidates": 1, "kept_for_alerts": 1}
    assert {k: getattr(done, k) for k in expected} == expected
    assert {k: getattr(dry, k) for k in expected} == expected
    assert sorted(suppressor.written, key=lambda x: x.id) == sorted(
        (Suppression("signal", sid[k], "retention") for k in ("A", "D", "E", "G", "I", "J")),
        key=lambda x: x.id)
    assert done.suppressions == 6

    after = snapshot(driver, settings, uid, signals)
    gone = set(before) - set(after)
    assert gone == {sid[k] for k in ("A", "D", "E", "G", "I", "J")} | {
        f"P-{uid}{s}" for s in ("a", "d", "e", "i1", "i2")} | {f"T-{uid}ta"} | {
        k for k, v in before.items() if "ReviewCandidate" in v[0]}
    assert set(after) >= {sid[k] for k in ("B", "C", "D2", "F", "H")} | {
        f"P-{uid}{s}" for s in ("b", "c", "d2", "f", "g1", "g2")} | {f"L-{uid}x"}
    lives_at = dict(next(e for e in after[f"P-{uid}c"][2] if e[0] == "LIVES_AT")[3])
    assert lives_at["signal_ids"] == (sid["C"],) and lives_at["partners"] == ("riec",)
    assert ("MERGED_INTO", "True", f"P-{uid}g2") in {e[:3] for e in after[f"P-{uid}g1"][2]}

    again = purge.run(now)
    assert (again.signals, again.entities, again.relations, again.review_candidates) \
        == (0, 0, 0, 0)
    assert snapshot(driver, settings, uid, signals) == after

    runs = [e for e in _audit_entries(settings, layout) if e["action"] == "retention.purge"]
    assert [(e["actor"], e["outcome"], e["result_count"]) for e in runs] == [
        ("retention-purge", "dry-run", 6), ("retention-purge", "ok", 6),
        ("retention-purge", "ok", 0)]
    assert runs[1]["params"]["policy_version"] == load_retention().version
    assert runs[1]["params"]["entities"] == 6 and runs[1]["params"]["now"] == now.isoformat()


def test_erasure_removes_the_person_found_by_pseudonym_and_only_what_was_theirs(
        settings: Settings, driver: Driver, uid: str, layout: TopicLayout,
        audit: AuditLog, suppressor: SuppressionWriter) -> None:
    db = settings.neo4j.database
    bsn = "111222333"
    ps = Pseudonymiser(settings.pseudonym_key).bsn(bsn)
    ident: dict[str, Any] = {"identifiers": [{"scheme": "bsn-pseudonym", "value": ps}]}
    day = "2026-03-0{}T12:00:00+00:00"
    business = {"type": "business", "role": "owner", "kvk_number": "81234567",
                "trade_name": f"Clean {uid}"}
    docs = {
        # the person with their pseudonym and a business: the signal stays without them
        "S1": _doc(uid, "riec", "s1", day.format(1), "administrative",
                   [("p1", "x", _person("Visser", **ident)), ("b1", "b", business)],
                   [("p1", "DIRECTOR_OF", "b1")]),
        # a tip naming them without the pseudonym (P-y, merged into P-x): only about them
        "S2": _doc(uid, "stichting-m", "s2", day.format(2), "criminal-law",
                   [("p1", "y", _person("Visser"))]),
        # care: the person and a victim; the victim stays
        "S3": _doc(uid, "zorg", "s3", day.format(3), "care",
                   [("p1", "x", _person("Visser", **ident)), ("p2", "z", _person("Nowak", "victim"))],
                   [("p1", "CONTROLS", "p2")]),
        # someone else, proposed as a possible duplicate of the person
        "S4": _doc(uid, "riec", "s4", day.format(4), "administrative",
                   [("p1", "w", _person("Fisher")), ("p2", "x", _person("Visser", **ident))],
                   review=[("p1", "p2")]),
        # a person an alert is about: erasure refused
        "S5": _doc(uid, "riec", "s5", day.format(5), "administrative",
                   [("p1", "r", _person("Roos", identifiers=[
                       {"scheme": "bsn-pseudonym", "value": "ps1:" + "e" * 64}]))]),
    }
    merge = {"merged": f"P-{uid}y", "into": f"P-{uid}x", "reason": "test", "record_id": "y"}
    with Publisher(settings.kafka, client_id="test-retention") as publisher:
        for doc in docs.values():
            publisher.publish(layout.resolved, doc["signal_id"].encode(),
                              json.dumps(doc).encode())
    write_batch(driver, db, batch_rows(docs.values(), [merge]))
    driver.execute_query("MATCH (e:Entity {entity_id: $e}) "
                         "CREATE (:Alert {alert_id: $a, status: 'proposed'})-[:ABOUT]->(e)",
                         e=f"P-{uid}r", a=f"AL-{uid}", database_=db)
    sid = {k: d["signal_id"] for k, d in docs.items()}
    signals = list(sid.values())
    before = snapshot(driver, settings, uid, signals)

    ids, records = entities_with_identifier(settings.kafka.bootstrap_servers,
                                            layout.resolved, ps)
    assert (ids, records) == ({f"P-{uid}x"}, 3)
    erasure = Erasure(driver, db, audit, suppressor)
    dry = erasure.erase(ids, ps, "request AVG-17", "analyst-a", dry_run=True,
                        resolved_records=records)
    assert snapshot(driver, settings, uid, signals) == before
    assert suppressor.written == []
    done = erasure.erase(ids, ps, "request AVG-17", "analyst-a", resolved_records=records)
    assert set(suppressor.written) == {
        Suppression("entity", f"P-{uid}x", "erasure"), Suppression("entity", f"P-{uid}y", "erasure"),
        Suppression("pseudonym", ps, "erasure"), Suppression("signal", sid["S2"], "erasure")}
    assert done.suppressions == 4
    expected = {"entity_ids": [f"P-{uid}x", f"P-{uid}y"], "mentions": 4, "relations": 2,
                "signals_deleted": 1, "signals_kept": 3, "entities": 0, "review_candidates": 1}
    assert {k: getattr(done, k) for k in expected} == expected
    assert {k: getattr(dry, k) for k in expected} == expected

    after = snapshot(driver, settings, uid, signals)
    assert set(before) - set(after) == {f"P-{uid}x", f"P-{uid}y", sid["S2"]} | {
        k for k, v in before.items() if "ReviewCandidate" in v[0]}
    for key in ("S1", "S3", "S4"):  # kept, mentioning only the others
        assert {e[2] for e in after[sid[key]][2] if e[0] == "MENTIONS"} == {
            e[2] for e in before[sid[key]][2] if e[0] == "MENTIONS"} - {f"P-{uid}x"}
    assert not any(e[0] == "CONTROLS" for e in after[f"P-{uid}z"][2])
    assert after[f"B-{uid}b"][0] == before[f"B-{uid}b"][0]

    again = erasure.erase(ids, ps, "request AVG-17", "analyst-a")
    assert again.entity_ids == [] and snapshot(driver, settings, uid, signals) == after

    written = len(suppressor.written)
    with pytest.raises(ErasureRefusedError, match=f"AL-{uid}"):
        erasure.erase([f"P-{uid}r"], "ps1:" + "e" * 64, "request AVG-18", "analyst-a")
    assert snapshot(driver, settings, uid, signals) == after
    assert len(suppressor.written) == written  # refused: nothing suppressed

    entries = [e for e in _audit_entries(settings, layout) if e["action"] == "erasure.person"]
    assert [(e["actor"], e["outcome"], e["result_count"]) for e in entries] == [
        ("analyst-a", "dry-run", 2), ("analyst-a", "ok", 2), ("analyst-a", "not-found", 0),
        ("analyst-a", "refused", 0)]
    assert entries[1]["params"]["subject"] == ps and entries[1]["params"]["reason"] \
        == "request AVG-17"
    assert entries[1]["params"]["signals_deleted"] == 1
    assert bsn not in json.dumps(entries)
