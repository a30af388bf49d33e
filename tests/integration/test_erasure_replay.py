"""The proof that erasure and retention reach Kafka: erase a person and purge an expired signal,
then replay every topic the graph sink reads from offset 0 into a graph emptied of this test's
data, and route the same topic again with a fresh router: nothing of them comes back.

The control comes first: the same replay through today's sink path without suppressions
(``run_sink`` with no view) brings the person and both signals back — so the assertions below
can fail, and do on the code before the suppressions topic existed. The replay itself runs the
real ``ketenlink sink`` and ``ketenlink router`` processes, which read the suppressions topic
at start.

The purge judges the whole database, so the expired signal lives in 1985 (as in
``test_retention.py``) and everything of this test is deleted afterwards."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from consumers.graph_sink import SinkTopics, open_consumer, run_sink
from core.audit import AuditLog
from core.neo4j_driver import open_driver
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout
from graph.erasure import Erasure, entities_with_identifier
from graph.purge import RetentionPurge
from infra.offsets import wait_committed
from policy.live import LiveRegistry
from policy.registry import load_registry
from policy.retention import load_retention
from policy.suppression import EMPTY, Suppressions, SuppressionWriter
from schemas.signal import Signal
from streams.recipients import route
from streams.resolve.features import ID_PREFIX
from tests.integration.test_routing import _catch_all, _deliveries, _env
from tests.unit.schemas.signals import valid_doc

Subject = tuple[str, str, dict[str, Any]]
"""(ref, entity id suffix, subject fields)."""

VALUES_OF = """
CALL () {
  MATCH (n) RETURN properties(n) AS props
  UNION ALL
  MATCH ()-[r]->() RETURN properties(r) AS props
}
UNWIND keys(props) AS key
WITH props[key] AS value
WITH CASE WHEN valueType(value) STARTS WITH 'LIST' THEN value ELSE [value] END AS items
UNWIND items AS item
WITH item WHERE valueType(item) STARTS WITH 'STRING' AND
  any(needle IN $needles WHERE item CONTAINS needle)
RETURN count(*) AS hits
"""
"""Any node or edge property value anywhere in the graph that contains one of ``$needles``."""


def _letters(uid: str) -> str:
    """A name unique to the test (names take letters only)."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uid[1:]).capitalize()


def _doc(uid: str, partner: str, ref: str, reported: str, distribution: str, purpose: str,
         subjects: list[Subject], links: Sequence[tuple[str, str, str]] = ()
         ) -> dict[str, Any]:
    """A resolved record whose entity ids the test chooses (``<prefix><uid><suffix>``)."""
    entity_of = {r: f"{ID_PREFIX[s['type']]}{uid}{sfx}" for r, sfx, s in subjects}
    signal = Signal.model_validate_json(json.dumps(valid_doc(
        partner=partner, partner_ref=f"{uid}-{ref}", observed_at=reported, reported_at=reported,
        purpose=purpose, distribution=distribution,
        subjects=[{"ref": r, **s} for r, _, s in subjects],
        relations=[{"source": s, "type": t, "target": o} for s, t, o in links])))
    return {"signal_id": str(signal.signal_id), "revision": 1, "verdict": "new",
            "partner": partner, "signal": signal.model_dump(mode="json"),
            "entities": [{"ref": r, "type": s["type"], "role": s["role"],
                          "entity_id": entity_of[r]} for r, _, s in subjects],
            "links": [{"source": entity_of[s], "type": t, "target": entity_of[o],
                       "source_ref": s, "target_ref": o} for s, t, o in links],
            "review": [], "merges": [], "corroborated_by": [], "risk": {}}


@pytest.fixture
def written(settings: Settings, driver: Driver, uid: str) -> Iterator[set[str]]:
    """The signal ids the test wrote; they and its entities are deleted after it."""
    ids: set[str] = set()
    yield ids
    _wipe(driver, settings, uid, ids)


def _wipe(driver: Driver, settings: Settings, uid: str, ids: set[str]) -> None:
    """Empty the graph of everything this test wrote (its signals ``ids``, its entities;
    municipality edges stay with the shared municipality nodes): the graph as a fresh install
    has it."""
    driver.execute_query(
        "MATCH (n) WHERE n.entity_id CONTAINS $uid OR n.signal_id IN $ids DETACH DELETE n",
        uid=uid, ids=sorted(ids), database_=settings.neo4j.database)


def _graph(driver: Driver, settings: Settings, uid: str, needles: list[str], ids: set[str]
           ) -> tuple[set[str], set[str], int]:
    """Which of this test's signal ``ids`` the graph holds, its entity ids, and how many
    property values anywhere in the graph contain one of ``needles``. (Signals are found by
    id: an anonymous tip's Signal node keeps no partner_ref.)"""
    db = settings.neo4j.database
    signals, _, _ = driver.execute_query(
        "MATCH (s:Signal) WHERE s.signal_id IN $ids RETURN s.signal_id AS id",
        ids=sorted(ids), database_=db)
    entities, _, _ = driver.execute_query(
        "MATCH (e:Entity) WHERE e.entity_id CONTAINS $uid RETURN e.entity_id AS id",
        uid=uid, database_=db)
    hits, _, _ = driver.execute_query(VALUES_OF, needles=needles, database_=db)
    return ({r["id"] for r in signals}, {r["id"] for r in entities}, hits[0]["hits"])


def _replay_without_suppressions(settings: Settings, topics: SinkTopics, group: str) -> None:
    """Today's sink path (no suppression view) from offset 0 until it committed the end."""
    stop = threading.Event()
    consumer = open_consumer(settings.kafka, topics, group)
    with open_driver(settings.neo4j) as driver, Publisher(settings.kafka) as parking:
        thread = threading.Thread(target=run_sink, args=(
            consumer, driver, settings.neo4j.database, topics, parking, stop))
        thread.start()
        try:
            assert wait_committed(settings.kafka, group, (topics.resolved, topics.merges), 120)
        finally:
            stop.set()
            thread.join(60)
            consumer.close()


def test_an_erased_person_and_a_purged_signal_stay_gone_after_a_replay_from_offset_zero(
        settings: Settings, driver: Driver, uid: str, layout: TopicLayout,
        tmp_path: Path, written: set[str]) -> None:
    db = settings.neo4j.database
    name, old_name = _letters(uid), _letters(uid)[::-1].capitalize() + "o"
    ps = "ps1:" + hashlib.sha256(uid.encode()).hexdigest()
    person = {"type": "person", "role": "suspect", "given_name": "Jan", "family_name": name,
              "birth_date": "1979-04-04"}
    marked = {**person, "identifiers": [{"scheme": "bsn-pseudonym", "value": ps}]}
    business = {"type": "business", "role": "owner", "kvk_number": "81234567",
                "trade_name": f"Schoon {name[:6]}"}
    victim = {"type": "person", "role": "victim", "family_name": "Nowak"}
    green = ("tlp:green", "administrative")
    tip = ("tlp:amber", "criminal-law")
    day = "2026-03-0{}T12:00:00+00:00"
    docs = {
        # about the person and a business: stays, without the person
        "S1": _doc(uid, "kvk", "s1", day.format(1), *green,
                   [("p1", "x", marked), ("b1", "b", business)], [("p1", "DIRECTOR_OF", "b1")]),
        # a tip about the person alone (P-y, merged into P-x): goes with the erasure
        "S2": _doc(uid, "stichting-m", "s2", day.format(2), *tip, [("p1", "y", person)]),
        # the person controlling a victim: stays, without the person
        "S3": _doc(uid, "kvk", "s3", day.format(3), *green,
                   [("p1", "x", marked), ("p2", "v", victim)], [("p1", "CONTROLS", "p2")]),
        # an expired tip (180 days) about someone else: goes with the purge
        "E": _doc(uid, "stichting-m", "e", "1985-06-01T12:00:00+00:00", *tip,
                  [("p1", "o", {**person, "family_name": old_name}),
                   ("t1", "t", {"type": "phone", "role": "instrument",
                                "number": "0612340099"})], [("p1", "USES", "t1")]),
        # nothing to do with either: stays
        "K": _doc(uid, "kvk", "k", day.format(4), *green, [("b1", "k", business)]),
    }
    # after the erasure a record with the person's pseudonym under an entity id the graph
    # never held (a late record, or one resolved again from scratch)
    late = _doc(uid, "kvk", "s4", day.format(5), *green,
                [("p1", "n", marked), ("b1", "b", business)], [("p1", "DIRECTOR_OF", "b1")])
    merge = {"merged": f"P-{uid}y", "into": f"P-{uid}x", "reason": "test", "record_id": "y"}
    topics = SinkTopics(resolved=layout.resolved,
                        merges=layout.merges,
                        rejected=layout.rejected)
    sid = {k: d["signal_id"] for k, d in docs.items()}
    ours = {*sid.values(), late["signal_id"]}
    written.update(ours)
    gone_signals = {sid["S2"], sid["E"]}
    gone_entities = {f"P-{uid}{s}" for s in ("x", "y", "n", "o")} | {f"T-{uid}t"}
    needles = [name, old_name, ps]

    with Publisher(settings.kafka, client_id="test-erasure-replay") as publisher:
        publisher.publish_many(topics.resolved, [(d["signal_id"].encode(), json.dumps(d).encode())
                                                 for d in docs.values()])
        publisher.publish(topics.merges, merge["into"].encode(), json.dumps(merge).encode())

        # the graph as the sink writes it, then the erasure and the purge as the CLI runs them
        _replay_without_suppressions(settings, topics, f"{uid}-first")
        signals, entities, hits = _graph(driver, settings, uid, needles, ours)
        assert signals == set(sid.values()) and gone_entities - {f"P-{uid}n"} <= entities
        assert hits > 0
        with AuditLog(Publisher(settings.kafka, client_id="test-erasure-audit"),
                      layout.audit_log,
                      key=settings.audit_key.get_secret_value().encode()) as audit:
            suppressor = SuppressionWriter(publisher, layout.suppressions)
            ids, records = entities_with_identifier(settings.kafka, topics.resolved, ps)
            assert ids == {f"P-{uid}x"} and records == 2
            erased = Erasure(driver, db, audit, suppressor).erase(
                ids, ps, "request AVG-99", "analyst-a", resolved_records=records)
            assert erased.entity_ids == [f"P-{uid}x", f"P-{uid}y"]
            assert erased.signals_deleted == 1 and erased.signals_kept == 2
            purged = RetentionPurge(driver, db, load_retention(), audit, suppressor).run(
                datetime(1986, 1, 1, tzinfo=UTC))
            # at least this test's 1985 tip; the purge judges the whole database, which may hold
            # expired signals another test (or an earlier run on the same stack) left behind
            assert purged.signals >= 1 and purged.suppressions == purged.signals
        signals, entities, hits = _graph(driver, settings, uid, needles, ours)
        assert signals == set(sid.values()) - gone_signals
        assert not entities & gone_entities and hits == 0
        publisher.publish(topics.resolved, late["signal_id"].encode(), json.dumps(late).encode())

    # control: an empty graph, every topic from offset 0, no suppressions — everything is back
    _wipe(driver, settings, uid, ours)
    assert _graph(driver, settings, uid, needles, ours)[:2] == (set(), set())
    _replay_without_suppressions(settings, topics, f"{uid}-control")
    signals, entities, hits = _graph(driver, settings, uid, needles, ours)
    assert gone_signals <= signals and gone_entities <= entities and hits > 0

    # the replay: an empty graph, the real `ketenlink sink` from offset 0 with a fresh group
    _wipe(driver, settings, uid, ours)
    env = {**_env(uid, tmp_path), "KETENLINK_FAUST_APP_ID": f"{uid}-replay"}
    with ServiceProcess("sink", tmp_path / "sink.log", env=env) as sink:
        caught_up = wait_committed(settings.kafka, f"{uid}-replay-graph-sink",
                                   (topics.resolved, topics.merges), 120)
        assert caught_up and sink.returncode is None, (tmp_path / "sink.log").read_text()[-3000:]
    signals, entities, hits = _graph(driver, settings, uid, needles, ours)
    assert signals == {sid["S1"], sid["S3"], sid["K"], late["signal_id"]}
    assert not entities & gone_entities
    assert entities == {f"B-{uid}b", f"B-{uid}k", f"P-{uid}v"}
    assert hits == 0, "a value of the erased or the purged person is back in the graph"
    mentions, _, _ = driver.execute_query(
        "MATCH (s:Signal)-[:MENTIONS]->(e) WHERE s.signal_id IN $ids "
        "RETURN s.signal_id AS s, collect(e.entity_id) AS e",
        ids=[sid["S1"], sid["S3"], late["signal_id"]], database_=db)
    assert {r["s"]: sorted(r["e"]) for r in mentions} == {
        sid["S1"]: [f"B-{uid}b"], sid["S3"]: [f"P-{uid}v"], late["signal_id"]: [f"B-{uid}b"]}
    relations, _, _ = driver.execute_query(
        "MATCH (a:Entity)-[r]->(b:Entity) WHERE a.entity_id CONTAINS $uid "
        "AND r.signal_ids IS NOT NULL RETURN count(r) AS n", uid=uid, database_=db)
    assert relations[0]["n"] == 0  # every relation involved the person

    # the router on replay: a fresh router group reads signals.resolved from offset 0
    _catch_all(settings, layout)
    all_records = [*docs.values(), late]
    with LiveRegistry(settings.kafka, layout.registry, load_registry()) as live, \
            Suppressions(settings.kafka, layout.suppressions) as view:
        live.catch_up(30)
        view.catch_up(30)
        registry, suppressed = live.current(), view.current()
    now = datetime.now(UTC)
    would = {d.value["signal_id"] for r in all_records
             for d in route(r, registry, layout.recipients, now)}
    assert gone_signals <= would  # without suppressions they would be delivered again
    expected = {(d.recipient, d.value["signal_id"]) for r in all_records
                if (kept := suppressed.resolved(r)) is not None
                for d in route(kept, registry, layout.recipients, now)}
    assert {s for _, s in expected} == {sid["S1"], sid["S3"], sid["K"], late["signal_id"]}
    assert EMPTY.resolved(docs["S1"]) is docs["S1"]
    with ServiceProcess("router", tmp_path / "router.log", env=_env(uid, tmp_path)) as router:
        got = _deliveries(settings, layout, len(expected))
        assert router.returncode is None, (tmp_path / "router.log").read_text()[-3000:]
    assert set(got) == expected
    delivered = json.dumps(list(got.values()))
    assert not any(needle in delivered for needle in needles)
    assert not any(e in delivered for e in gone_entities)


def test_the_erase_and_purge_commands_write_their_suppressions(
        settings: Settings, layout: TopicLayout, uid: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI wiring: ``ketenlink erase`` of a person the graph does not hold (any more) still
    suppresses their pseudonym; ``retention purge`` reports the suppressions it wrote."""
    from typer.testing import CliRunner

    from ketenlink.cli import app

    monkeypatch.setenv("KETENLINK_TOPIC_PREFIX", f"{uid}.")
    ps = "ps1:" + hashlib.sha256(f"{uid}-cli".encode()).hexdigest()
    runner = CliRunner()
    erased = runner.invoke(app, ["erase", "--pseudonym", ps, "--reason", "request AVG-1",
                                 "--actor", "analyst-a"])
    assert erased.exit_code == 0, erased.output
    assert "(none in the graph)" in erased.output and "suppressed on Kafka: 1" in erased.output
    purged = runner.invoke(app, ["retention", "purge", "--now", "1900-01-01T00:00:00+00:00"])
    assert purged.exit_code == 0, purged.output
    assert "0 signals suppressed on Kafka" in purged.output
    with Suppressions(settings.kafka, layout.suppressions) as view:
        view.catch_up(30)
        assert view.current().pseudonyms == {ps} and view.current().version == 1
