"""The graph sink on the real broker and the real Neo4j: the exact graph for a known signal set,
revisions retracting what they no longer assert, merges leaving redirects in any arrival order,
replay from offset 0 changing nothing, Neo4j stopped and started mid-stream without loss, and
records the graph refuses parked with their reason."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer
from neo4j import Driver

from consumers.graph_sink import (
    DRIVER_RETRY_S,
    SinkStats,
    SinkTopics,
    batch_rows,
    open_consumer,
    run_sink,
    write_batch,
)
from core.neo4j_driver import open_driver
from core.publisher import Publisher
from core.settings import Settings
from core.topics import apply_topics
from graph.schema import apply_schema
from infra.offsets import wait_committed
from infra.stack import Stack
from policy.retention import topic_layout
from schemas.signal import Signal
from streams.resolve.features import ID_PREFIX
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

LOCATION = {"type": "location", "ref": "l1", "role": "location",
            "address": {"street": "Hoogstraat", "house_number": 12, "postcode": "4811ab",
                        "city": "Breda", "municipality": "Breda"}}

SNAPSHOT = """
MATCH (s:Signal)
WHERE s.partner_ref STARTS WITH $uid OR EXISTS {
  MATCH (s)-[:MENTIONS]->(x) WHERE substring(x.entity_id, 2) STARTS WITH $uid }
OPTIONAL MATCH (s)-[:MENTIONS]->(e)
OPTIONAL MATCH (old)-[:MERGED_INTO*]->(e)
WITH collect(DISTINCT s) + collect(DISTINCT e) + collect(DISTINCT old) AS seeds
UNWIND seeds AS n
MATCH (n)-[r]-(m)
RETURN DISTINCT startNode(r) AS a, type(r) AS type, properties(r) AS props, endNode(r) AS b
"""

Snapshot = tuple[dict[str, tuple[tuple[str, ...], Any]], set[tuple[str, str, str, Any]]]


def _key(node: Any) -> str:
    props = dict(node)
    for name in ("signal_id", "entity_id", "partner_id", "code"):
        if name in props:
            return str(props[name])
    raise AssertionError(f"node without key: {props}")


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def snapshot(driver: Driver, settings: Settings, uid: str) -> Snapshot:
    """Every node and edge around this test's signals and entities, with all properties."""
    records, _, _ = driver.execute_query(SNAPSHOT, uid=uid, database_=settings.neo4j.database)
    nodes: dict[str, tuple[tuple[str, ...], Any]] = {}
    edges: set[tuple[str, str, str, Any]] = set()
    for record in records:
        for node in (record["a"], record["b"]):
            nodes[_key(node)] = (tuple(sorted(node.labels)), _frozen(dict(node)))
        edges.add((_key(record["a"]), record["type"], _key(record["b"]),
                   _frozen(record["props"])))
    return nodes, edges


def _scenario(uid: str) -> list[dict[str, Any]]:
    """RIEC signal a (person, business, phone, location), then a revision of a that keeps only
    the person, the business and DIRECTOR_OF; KvK signal b with all four and three relations."""
    base = valid_doc()
    full = {"subjects": [*base["subjects"], LOCATION],
            "relations": [*base["relations"],
                          {"source": "b1", "type": "LOCATED_AT", "target": "l1"}]}
    docs = [valid_doc(partner_ref=f"{uid}-a", **full),
            valid_doc(partner_ref=f"{uid}-a", severity="critical", subjects=base["subjects"][:2],
                      relations=base["relations"][:1]),
            valid_doc(partner="kvk", partner_ref=f"{uid}-b", **full)]
    return resolve_docs(docs)


def test_a_known_signal_set_gives_exactly_the_expected_graph(
        settings: Settings, driver: Driver, uid: str) -> None:
    a1, a2, b = _scenario(uid)
    write_batch(driver, settings.neo4j.database, batch_rows([a1]))
    write_batch(driver, settings.neo4j.database, batch_rows([a2, b]))
    nodes, edges = snapshot(driver, settings, uid)

    a, kvk = a2["signal_id"], b["signal_id"]
    ent = {e["ref"]: e["entity_id"] for e in b["entities"]}
    assert {e["entity_id"] for e in a1["entities"]} == set(ent.values())  # one entity per subject
    p, biz, phone, loc = ent["p1"], ent["b1"], ent["t1"], ent["l1"]
    assert {(s, t, o) for s, t, o, _ in edges} == {
        ("riec", "REPORTED", a), ("kvk", "REPORTED", kvk),
        (a, "MENTIONS", p), (a, "MENTIONS", biz),
        (kvk, "MENTIONS", p), (kvk, "MENTIONS", biz), (kvk, "MENTIONS", phone),
        (kvk, "MENTIONS", loc),
        (p, "DIRECTOR_OF", biz), (p, "USES", phone), (biz, "LOCATED_AT", loc),
        (loc, "IN", "NL:breda"),
    }
    provenance = {(s, t, o): dict(props) for s, t, o, props in edges}
    director = provenance[(p, "DIRECTOR_OF", biz)]
    assert director["signal_ids"] == tuple(sorted([a, kvk]))
    assert director["partners"] == ("kvk", "riec")
    assert director["first_seen"] == director["last_seen"]
    assert director["first_seen"].iso_format().startswith("2026-03-02T00:00:00")
    # the revision of a withdrew USES and LOCATED_AT: only kvk's signal supports them now
    assert provenance[(p, "USES", phone)]["signal_ids"] == (kvk,)
    assert provenance[(biz, "LOCATED_AT", loc)]["partners"] == ("kvk",)
    mention = provenance[(a, "MENTIONS", p)]
    assert {k: mention[k] for k in ("ref", "role", "revision", "family_name")} \
        == {"ref": "p1", "role": "suspect", "revision": 2, "family_name": "Berg"}
    assert mention["version"] == f"2026-03-01T23:00:00.000000Z|{a}|p1"  # what it said, when

    labels, signal = nodes[a]
    assert labels == ("Signal",)
    assert dict(signal)["severity"] == "critical" and dict(signal)["revision"] == 2
    person = dict(nodes[p][1])
    assert nodes[p][0] == ("Entity", "Person")
    assert {k: person[k] for k in ("given_name", "name_prefix", "family_name", "birth_date")} \
        == {"given_name": "Jan", "name_prefix": "van der", "family_name": "Berg",
            "birth_date": "1980-01-31"}
    assert "identifiers" not in person  # pseudonyms stay out of the graph
    assert dict(nodes[loc][1])["postcode"] == "4811 AB"
    assert nodes["NL:breda"] == (("Municipality",), (("code", "NL:breda"), ("name", "Breda")))


def _doc(uid: str, partner: str, ref: str, observed: str,
         subjects: list[tuple[str, str, dict[str, Any]]], links: list[tuple[str, str, str]]
         ) -> dict[str, Any]:
    """A resolved record with entity ids chosen by the test: subjects are (ref, entity id
    suffix, subject fields), links (source ref, type, target ref)."""
    entity_of = {ref_: f"{ID_PREFIX[sub['type']]}{uid}{sfx}" for ref_, sfx, sub in subjects}
    signal = Signal.model_validate_json(json.dumps(valid_doc(
        partner=partner, partner_ref=f"{uid}-{ref}", observed_at=observed,
        subjects=[{"ref": r, **s} for r, _, s in subjects],
        relations=[{"source": s, "type": t, "target": o} for s, t, o in links])))
    return {"signal_id": str(signal.signal_id), "revision": 1, "verdict": "new",
            "partner": partner, "signal": signal.model_dump(mode="json"),
            "entities": [{"ref": r, "type": s["type"], "role": s["role"], "entity_id": entity_of[r]}
                         for r, _, s in subjects],
            "links": [{"source": entity_of[s], "type": t, "target": entity_of[o],
                       "source_ref": s, "target_ref": o} for s, t, o in links],
            "corroborated_by": []}


def _merge_case(uid: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Two signals about what turns out to be one person (P-x, P-y) with one phone; P-y is
    merged into P-x."""
    visser = {"type": "person", "role": "suspect", "family_name": "Visser"}
    phone = {"type": "phone", "role": "instrument", "number": "0612345678"}
    s1 = _doc(uid, "riec", "s1", "2026-01-10T09:00:00+01:00",
              [("p1", "x", {**visser, "birth_date": "1990-05-01"}), ("t1", "t", phone)],
              [("p1", "USES", "t1")])
    s2 = _doc(uid, "stichting-m", "s2", "2026-02-10T09:00:00+01:00",
              [("p1", "y", {**visser, "given_name": "Piet", "birth_date": "1990-05-02"}),
               ("t1", "t", phone),
               ("l1", "l", {**LOCATION, "address": {"city": "Tilburg", "street": "Ringbaan"}})],
              [("p1", "USES", "t1"), ("p1", "LIVES_AT", "l1")])
    merge = {"merged": f"P-{uid}y", "into": f"P-{uid}x", "reason": "strong key",
             "record_id": "r"}
    return [s1, s2], merge


def _difference(after: Snapshot, before: Snapshot) -> Any:
    """What changed between two snapshots: nodes whose labels or properties differ (before,
    after), edges only after, edges only before."""
    nodes = {k: (before[0].get(k), after[0].get(k)) for k in before[0].keys() | after[0].keys()
             if before[0].get(k) != after[0].get(k)}
    return nodes, after[1] - before[1], before[1] - after[1]


def _anonymous(snap: Snapshot, uid: str) -> Any:
    """The snapshot with this test's uid taken out of every id, and signal ids replaced by
    their partner reference (which carries the uid too), or for an anonymous tip (the graph
    keeps none) by its partner and observed time."""
    nodes, edges = snap
    refs = {k: str(dict(props).get("partner_ref")
                   or f"{dict(props)['partner_id']}@{dict(props)['observed_at']}")
            for k, (labels, props) in nodes.items() if labels == ("Signal",)}

    def plain(value: Any) -> Any:
        if isinstance(value, str):
            for signal_id, ref in refs.items():
                value = value.replace(signal_id, ref)
            return value.replace(uid, "*")
        if isinstance(value, tuple):  # id lists are sorted by id: compare them as sets
            items = [plain(v) for v in value]
            return tuple(sorted(items)) if all(isinstance(v, str) for v in items) else tuple(items)
        return value

    return ({plain(k): plain(v) for k, v in nodes.items()},
            {plain(edge) for edge in edges})


@pytest.mark.parametrize("order", ["records-then-merge", "merge-then-records", "one-batch",
                                   "newest-first-in-one-batch", "merge-between"])
def test_a_merge_leaves_a_redirect_and_the_same_graph_in_any_order(
        settings: Settings, driver: Driver, uid: str, order: str) -> None:
    db = settings.neo4j.database
    (s1, s2), merge = _merge_case(uid)
    steps = {"records-then-merge": [batch_rows([s1, s2]), batch_rows([], [merge])],
             "merge-then-records": [batch_rows([], [merge]), batch_rows([s1, s2])],
             "one-batch": [batch_rows([s1, s2], [merge])],
             "newest-first-in-one-batch": [batch_rows([s2, s1], [merge])],
             "merge-between": [batch_rows([s1]), batch_rows([], [merge]), batch_rows([s2])]}
    for step in steps[order]:
        write_batch(driver, db, step)
    nodes, edges = snapshot(driver, settings, uid)
    x, y, t = f"P-{uid}x", f"P-{uid}y", f"T-{uid}t"
    triples = {(s, ty, o) for s, ty, o, _ in edges}
    assert (y, "MERGED_INTO", x) in triples
    assert not {e for e in triples if y in (e[0], e[2]) and e[1] != "MERGED_INTO"}
    assert (s1["signal_id"], "MENTIONS", x) in triples and (s2["signal_id"], "MENTIONS", x) in triples
    uses = {(s, ty, o): dict(p) for s, ty, o, p in edges}[(x, "USES", t)]
    assert uses["signal_ids"] == tuple(sorted([s1["signal_id"], s2["signal_id"]]))
    assert uses["partners"] == ("riec", "stichting-m")
    person = dict(nodes[x][1])
    # newest mention per property: s2's given name and birth date, both have the family name
    assert (person["given_name"], person["birth_date"], person["family_name"]) \
        == ("Piet", "1990-05-02", "Visser")
    assert (x, "LIVES_AT", f"L-{uid}l") in triples
    assert (f"L-{uid}l", "IN", "NL:tilburg") in triples

    # every order ends in the same graph: compare with the records-then-merge order
    reference = f"r{uid}"
    (r1, r2), rmerge = _merge_case(reference)
    write_batch(driver, db, batch_rows([r1, r2]))
    write_batch(driver, db, batch_rows([], [rmerge]))
    assert _anonymous(snapshot(driver, settings, uid), uid) \
        == _anonymous(snapshot(driver, settings, reference), reference)


@pytest.fixture
def topics(admin: KafkaAdminClient, uid: str) -> SinkTopics:
    layout = topic_layout(prefix=f"{uid}.")
    apply_topics(admin, layout.topics)
    return SinkTopics(resolved=layout.resolved,
                      merges=layout.merges,
                      rejected=layout.rejected)


class SinkThread:
    """``run_sink`` in a thread, as ``ketenlink sink`` runs it."""

    def __init__(self, settings: Settings, topics: SinkTopics, group: str):
        self.settings, self.topics, self.group = settings, topics, group
        self.driver = open_driver(settings.neo4j, retry_s=DRIVER_RETRY_S)
        self.consumer = open_consumer(settings.kafka.bootstrap_servers, topics, group)
        self.parking = Publisher(settings.kafka)
        self.stop = threading.Event()
        self.stats = SinkStats()
        self.thread = threading.Thread(target=self._run, args=(self.driver,))
        self.thread.start()

    def _run(self, driver: Driver) -> None:
        run_sink(self.consumer, driver, self.settings.neo4j.database, self.topics,
                 self.parking, self.stop, max_records=2, stats=self.stats)

    def wait_committed(self, timeout: float = 120.0) -> None:
        """Until the group has committed the end of both input topics."""
        assert wait_committed(self.settings.kafka.bootstrap_servers, self.group,
                              (self.topics.resolved, self.topics.merges), timeout), \
            f"sink group {self.group} did not catch up in {timeout} s"

    def close(self) -> SinkStats:
        self.stop.set()
        self.thread.join(60)
        self.consumer.close()
        self.parking.close()
        self.driver.close()
        return self.stats


@pytest.fixture
def sinks() -> Iterator[list[SinkThread]]:
    started: list[SinkThread] = []
    yield started
    for sink in started:
        sink.close()


def _publish(settings: Settings, topic: str, docs: list[dict[str, Any]], key: str) -> None:
    with Publisher(settings.kafka) as publisher:
        publisher.publish_many(topic, [(d[key].encode(), json.dumps(d).encode()) for d in docs])


def test_replaying_both_topics_from_offset_zero_changes_nothing(
        settings: Settings, driver: Driver, uid: str, topics: SinkTopics,
        sinks: list[SinkThread]) -> None:
    (s1, s2), merge = _merge_case(uid)
    _publish(settings, topics.resolved, [*_scenario(uid), s1, s2], "signal_id")
    _publish(settings, topics.merges, [merge], "into")
    first = SinkThread(settings, topics, f"{uid}-sink")
    sinks.append(first)
    first.wait_committed()
    before = snapshot(driver, settings, uid)
    assert len(before[0]) >= 12 and len(before[1]) >= 20
    assert first.close().written == 6

    replay = SinkThread(settings, topics, f"{uid}-replay")
    sinks.append(replay)
    replay.wait_committed()
    assert replay.close().written == 6
    after = snapshot(driver, settings, uid)
    assert _difference(after, before) == ({}, set(), set())


def test_the_sink_waits_for_neo4j_and_loses_nothing(
        settings: Settings, driver: Driver, uid: str, topics: SinkTopics,
        sinks: list[SinkThread]) -> None:
    docs = [_doc(uid, "riec", f"n{i}", "2026-01-10T09:00:00+01:00",
                 [("p1", f"p{i % 7}", {"type": "person", "role": "suspect",
                                       "family_name": "Naam" + "abcdefg"[i % 7]})], [])
            for i in range(40)]
    _publish(settings, topics.resolved, docs[:20], "signal_id")
    sink = SinkThread(settings, topics, f"{uid}-sink")
    sinks.append(sink)
    sink.wait_committed()
    stack = Stack(settings)
    stack.down(names=["neo4j"])
    try:
        _publish(settings, topics.resolved, docs[20:], "signal_id")
        deadline = time.monotonic() + 120  # until the sink has met the outage and backed off
        while sink.stats.retries == 0:
            assert time.monotonic() < deadline, "the sink never tried to write during the outage"
            time.sleep(0.5)
    finally:
        stack.up()
    sink.wait_committed(timeout=180)
    stats = sink.close()
    assert stats.retries >= 1 and stats.written == 40 and stats.parked == 0
    records, _, _ = driver.execute_query(
        "MATCH (s:Signal)-[:MENTIONS]->(p:Person) WHERE s.partner_ref STARTS WITH $uid "
        "RETURN count(DISTINCT s) AS signals, count(DISTINCT p) AS persons", uid=uid,
        database_=settings.neo4j.database)
    assert dict(records[0]) == {"signals": 40, "persons": 7}


def test_records_the_graph_refuses_are_parked_with_their_reason(
        settings: Settings, driver: Driver, uid: str, topics: SinkTopics,
        sinks: list[SinkThread]) -> None:
    good = _doc(uid, "riec", "good", "2026-01-10T09:00:00+01:00",
                [("p1", "g", {"type": "person", "role": "suspect", "family_name": "Goed"})], [])
    bad_time = json.loads(json.dumps(good))
    bad_time["signal_id"] = f"{uid}-bad-time"
    bad_time["signal"]["observed_at"] = "yesterday"
    bad_value = json.loads(json.dumps(good))
    bad_value["signal_id"] = f"{uid}-bad-value"
    bad_value["signal"]["subjects"][0]["family_name"] = {"nested": "map"}
    with Publisher(settings.kafka) as publisher:
        publisher.publish_many(topics.resolved, [
            (b"x", b"not json"), (b"y", json.dumps({"signal_id": "s"}).encode()),
            (b"z", json.dumps(bad_time).encode()), (b"v", json.dumps(bad_value).encode()),
            (b"g", json.dumps(good).encode())])
        publisher.publish_many(topics.merges, [(b"m", json.dumps({"merged": "nope"}).encode())])
    sink = SinkThread(settings, topics, f"{uid}-sink")
    sinks.append(sink)
    sink.wait_committed()
    assert sink.close().parked == 5
    consumer = KafkaConsumer(topics.rejected, bootstrap_servers=settings.kafka.bootstrap_servers,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
    parked = [json.loads(r.value) for r in consumer]
    consumer.close()
    originals = {base64.b64decode(p["original_base64"]): p["reason"] for p in parked}
    assert set(originals) == {b"not json", json.dumps({"signal_id": "s"}).encode(),
                              json.dumps(bad_time).encode(), json.dumps(bad_value).encode(),
                              json.dumps({"merged": "nope"}).encode()}
    assert "Invalid JSON" in originals[b"not json"]  # schemas.contract.InvalidRecord
    assert "revision: Field required" in originals[json.dumps({"signal_id": "s"}).encode()]
    assert "yesterday" in originals[json.dumps(bad_time).encode()]
    assert "refused by Neo4j" in originals[json.dumps(bad_value).encode()]
    records, _, _ = driver.execute_query(
        "MATCH (s:Signal {signal_id: $id})-[:MENTIONS]->(p:Person) RETURN p.family_name AS f",
        id=good["signal_id"], database_=settings.neo4j.database)
    assert [r["f"] for r in records] == ["Goed"]


SIGNAL_REFS = """
UNWIND $ids AS id
MATCH (s:Signal {signal_id: id})
RETURN s.signal_id AS signal_id, s.partner_ref AS partner_ref
"""
OLD_SINK_REF = """
MATCH (s:Signal {signal_id: $id}) SET s.partner_ref = $ref
"""
"""What the sink wrote before ``policy.view.storable``: an anonymous tip's partner_ref."""


def test_an_anonymous_tips_partner_ref_never_stays_in_the_graph(
        settings: Settings, driver: Driver, uid: str) -> None:
    db = settings.neo4j.database
    tip, riec, stranger = resolve_docs([
        valid_doc(partner="stichting-m", partner_ref=f"{uid}-tip"),
        valid_doc(partner="riec", partner_ref=f"{uid}-riec"),
        valid_doc(partner="politie", partner_ref=f"{uid}-unknown")])
    write_batch(driver, db, batch_rows([tip, riec, stranger]))
    ids = [tip["signal_id"], riec["signal_id"], stranger["signal_id"]]

    def refs() -> dict[str, str | None]:
        rows, _, _ = driver.execute_query(SIGNAL_REFS, ids=ids, database_=db)
        return {r["signal_id"]: r["partner_ref"] for r in rows}

    # the sink: nobody but Stichting M. may see a tip's reference, so the graph never gets it;
    # a publisher the registry does not know counts as the most sensitive source
    assert refs() == {tip["signal_id"]: None, riec["signal_id"]: f"{uid}-riec",
                      stranger["signal_id"]: None}
    # a graph the old sink wrote: the schema step at stack start removes it, and again is a no-op
    driver.execute_query(OLD_SINK_REF, id=tip["signal_id"], ref=f"{uid}-tip", database_=db)
    assert refs()[tip["signal_id"]] == f"{uid}-tip"
    apply_schema(driver, db)
    assert refs() == {tip["signal_id"]: None, riec["signal_id"]: f"{uid}-riec",
                      stranger["signal_id"]: None}
    apply_schema(driver, db)
    assert refs()[riec["signal_id"]] == f"{uid}-riec"
