"""The analyst queries on the real Neo4j and Kafka, on a small graph with known answers.

The graph is written through the real pipeline (``streams.pipeline.process``) and the real sink
(``consumers.graph_sink.batch_rows`` / ``write_batch``), including a merge (B2 into B1). Every
name, number, address and municipality carries this module's unique id, so the shared database
may hold other tests' data: global queries are narrowed to this graph (its municipality, or
``around`` one of its entities) or their results are filtered to its entities.

    S1 riec  amber/administrative  01-10  P1 suspect, B1, L1      P1 DIRECTOR_OF B1, B1 LOCATED_AT L1
    S2 tip   amber+strict/crim.law 01-20  P2 suspect, T1, L1      (no relations)
    S3 zorg  amber+strict/care     02-05  V1 victim, P1, B1, L1   P1 CONTROLS V1, P1 DIRECTOR_OF B1,
                                                                  V1 LIVES_AT L1
    S4 riec  red/criminal-law      02-01  P1, P3 suspects         P1 ASSOCIATED_WITH P3
    S5 kvk   green/administrative  02-08  B2, L1                  B2 LOCATED_AT L1   (B2 merged into B1)
    S8 kvk   green/administrative  02-10  B3, B4, P4 resident, L1 B3, B4 LOCATED_AT L1; P4 LIVES_AT L1
    S6 riec  amber/administrative  03-15  P2 suspect, T1, L3      P2 USES T1
    S7 riec  amber/administrative  03-20  P1 suspect, L1          (no relations)

L1 lies in Rotterdam-<uid>, L3 in Schiedam-<uid>. RIEC sees all but S3 (care); the OM (criminal
law only, never red) sees S2 only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from neo4j import Driver

from consumers.graph_sink import batch_rows, write_batch
from graph.analyst.model import CO_MENTIONED
from graph.analyst.params import Filters
from graph.exceptions import DepthError, UnknownEntityError
from graph.queries import AnalystQueries
from infra.topics import apply_topics, load_layout
from ketenlink.audit import AuditError, AuditLog
from ketenlink.settings import Settings
from policy.clearance import Caller, load_clearances
from policy.exceptions import RoleRequiredError
from producers.publisher import Publisher
from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver
from tests.unit.schemas.signals import valid_doc


@dataclass(frozen=True)
class World:
    uid: str
    ids: dict[str, str]
    """P1, P2, P3, P4, V1, B1, B2, B3, B4, L1, L3, T1 → entity id."""
    signals: dict[str, str]
    """S1 ... S8 → signal id."""
    rotterdam: str
    schiedam: str


def _letters(text: str) -> str:
    return "".join(chr(ord("a") + int(c, 16) % 26) for c in text)


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]


def _build(uid: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    name = _letters(uid[1:])
    rotterdam, schiedam = f"Rotterdam {uid}", f"Schiedam {uid}"
    kvk = {b: "9" + _digits(uid + b, 7) for b in ("b1", "b2", "b3", "b4")}
    l1_address = {"street": "Hoogstraat", "house_number": int(_digits(uid + "n1", 4)) + 1,
                  "postcode": f"3{_digits(uid + 'pc1', 3)}AB", "city": "Rotterdam",
                  "municipality": rotterdam}
    l3_address = {"street": "Broersvest", "house_number": int(_digits(uid + "n3", 4)) + 1,
                  "postcode": f"3{_digits(uid + 'pc3', 3)}CD", "city": "Schiedam",
                  "municipality": schiedam}
    bsn = {"scheme": "bsn-pseudonym", "value": "ps1:" + hashlib.sha256(uid.encode()).hexdigest()}
    subject = {
        "P1": {"type": "person", "given_name": "Piet", "family_name": f"Smit{name}",
               "birth_date": "1980-01-31", "identifiers": [bsn]},
        "P2": {"type": "person", "given_name": "Kees", "family_name": f"Bakker{name}",
               "birth_date": "1975-05-05"},
        "P3": {"type": "person", "given_name": "Ali", "family_name": f"Yilmaz{name}",
               "birth_date": "1990-09-09"},
        "P4": {"type": "person", "given_name": "Eva", "family_name": f"Jansen{name}",
               "birth_date": "2001-02-02"},
        "V1": {"type": "person", "given_name": "Anna", "family_name": f"Nowak{name}",
               "birth_date": "2003-03-03"},
        "B1": {"type": "business", "kvk_number": kvk["b1"], "trade_name": f"Clean {name}"},
        "B2": {"type": "business", "kvk_number": kvk["b2"], "trade_name": f"Shine {name}"},
        "B3": {"type": "business", "kvk_number": kvk["b3"], "trade_name": f"Nails {name}"},
        "B4": {"type": "business", "kvk_number": kvk["b4"], "trade_name": f"Massage {name}"},
        "L1": {"type": "location", "address": l1_address},
        "L3": {"type": "location", "address": l3_address},
        "T1": {"type": "phone", "number": "061" + _digits(uid + "t1", 7)},
    }

    def subj(key: str, role: str) -> dict[str, Any]:
        return {**subject[key], "ref": key.lower(), "role": role}

    def rel(a: str, kind: str, b: str) -> dict[str, str]:
        return {"source": a.lower(), "type": kind, "target": b.lower()}

    def doc(ref: str, partner: str, day: str, distribution: str, purpose: str, severity: str,
            subjects: list[dict[str, Any]], relations: list[dict[str, str]]) -> dict[str, Any]:
        return valid_doc(partner=partner, partner_ref=f"{uid}-{ref}",
                         observed_at=f"2026-{day}T10:00:00+01:00",
                         reported_at=f"2026-{day}T12:00:00+01:00",
                         distribution=f"tlp:{distribution}", purpose=purpose, severity=severity,
                         subjects=subjects, relations=relations)

    docs = {
        "S1": doc("s1", "riec", "01-10", "amber", "administrative", "high",
                  [subj("P1", "suspect"), subj("B1", "owner"), subj("L1", "location")],
                  [rel("P1", "DIRECTOR_OF", "B1"), rel("B1", "LOCATED_AT", "L1")]),
        "S2": doc("s2", "stichting-m", "01-20", "amber+strict", "criminal-law", "critical",
                  [subj("P2", "suspect"), subj("T1", "instrument"), subj("L1", "location")], []),
        "S4": doc("s4", "riec", "02-01", "red", "criminal-law", "high",
                  [subj("P1", "suspect"), subj("P3", "suspect")],
                  [rel("P1", "ASSOCIATED_WITH", "P3")]),
        "S3": doc("s3", "zorg", "02-05", "amber+strict", "care", "medium",
                  [subj("V1", "victim"), {**subj("P1", "suspect"), "nationality": "RO"},
                   subj("B1", "other"),
                   subj("L1", "location")],
                  [rel("P1", "CONTROLS", "V1"), rel("P1", "DIRECTOR_OF", "B1"),
                   rel("V1", "LIVES_AT", "L1")]),
        "S5": doc("s5", "kvk", "02-08", "green", "administrative", "low",
                  [subj("B2", "owner"), subj("L1", "location")], [rel("B2", "LOCATED_AT", "L1")]),
        "S8": doc("s8", "kvk", "02-10", "green", "administrative", "low",
                  [subj("B3", "owner"), subj("B4", "owner"), subj("P4", "resident"),
                   subj("L1", "location")],
                  [rel("B3", "LOCATED_AT", "L1"), rel("B4", "LOCATED_AT", "L1"),
                   rel("P4", "LIVES_AT", "L1")]),
        "S6": doc("s6", "riec", "03-15", "amber", "administrative", "high",
                  [subj("P2", "suspect"), subj("T1", "instrument"), subj("L3", "location")],
                  [rel("P2", "USES", "T1")]),
        "S7": doc("s7", "riec", "03-20", "amber", "administrative", "medium",
                  [subj("P1", "suspect"), subj("L1", "location")], []),
    }
    store: dict[str, Any] = {}
    resolver = Resolver({})
    resolved, ids, signals = [], {}, {}
    for offset, (key, body) in enumerate(docs.items()):
        outcome = process(Signal.model_validate_json(json.dumps(body)),
                          {"topic": f"{uid}.in", "partition": 0, "offset": offset}, store,
                          resolver)
        assert outcome.resolved is not None
        resolved.append(outcome.resolved)
        signals[key] = outcome.resolved["signal_id"]
        for entity in outcome.resolved["entities"]:
            entity_id = ids.setdefault(entity["ref"].upper(), entity["entity_id"])
            assert entity_id == entity["entity_id"], f"{entity['ref']} resolved differently"
    return resolved, {**{f"ID:{k}": v for k, v in ids.items()},
                      **{f"SIG:{k}": v for k, v in signals.items()}}


@pytest.fixture(scope="module")
def world(driver: Driver, settings: Settings) -> World:
    uid = "t" + uuid.uuid4().hex[:12]
    resolved, found = _build(uid)
    ids = {k[3:]: v for k, v in found.items() if k.startswith("ID:")}
    signals = {k[4:]: v for k, v in found.items() if k.startswith("SIG:")}
    database = settings.neo4j.database
    write_batch(driver, database, batch_rows(resolved))
    write_batch(driver, database, batch_rows([], [{"merged": ids["B2"], "into": ids["B1"],
                                                    "reason": "test", "record_id": None}]))
    return World(uid, ids, signals, f"NL:rotterdam-{uid}", f"NL:schiedam-{uid}")


@pytest.fixture(scope="module")
def audit_topic(admin: KafkaAdminClient) -> str:
    layout = load_layout(prefix=f"t{uuid.uuid4().hex[:12]}.")
    topic = layout.name("audit.log")
    apply_topics(admin, [t for t in layout.topics if t.name == topic])
    return topic


@pytest.fixture
def queries(driver: Driver, settings: Settings, audit_topic: str) -> Iterator[AnalystQueries]:
    with AuditLog(Publisher(settings.kafka, client_id="test-audit"), audit_topic) as audit:
        yield AnalystQueries(driver, settings.neo4j.database, audit)


CLEARANCES = load_clearances()
RIEC = Caller("analyst-riec", "riec", CLEARANCES["riec"])
OM = Caller("analyst-om", "om", CLEARANCES["om"])
KVK = Caller("clerk-kvk", "kvk", CLEARANCES["kvk"])


def _audit_entries(settings: Settings, topic: str) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                             enable_auto_commit=False, consumer_timeout_ms=3000)
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    end = consumer.end_offsets([partition])[partition]
    entries = []
    for record in consumer:
        entries.append({"key": record.key.decode(), **json.loads(record.value)})
        if record.offset + 1 >= end:
            break
    consumer.close()
    return entries


def _ids(world: World, *names: str) -> set[str]:
    return {world.ids[n] for n in names}


# -- each query on the known graph -------------------------------------------------------------
def test_profile_of_a_suspect_counts_only_visible_signals(
        queries: AnalystQueries, world: World, driver: Driver, settings: Settings) -> None:
    profile = queries.profile(RIEC, world.ids["P1"])
    assert profile.entity.label == "Person" and profile.entity.name.startswith("Piet Smit")
    assert not profile.anchor.redirected
    assert profile.signal_count == 3  # S1, S4 (own red), S7; not S3 (care)
    assert profile.partners == ("riec",)
    assert profile.roles == {"suspect": 3}
    assert profile.first_seen == datetime(2026, 1, 10, 9, tzinfo=UTC)
    assert profile.last_seen == datetime(2026, 3, 20, 9, tzinfo=UTC)
    assert profile.links == {"ASSOCIATED_WITH": 1, "DIRECTOR_OF": 1, CO_MENTIONED: 3}
    assert "prop_versions" not in profile.entity.properties
    # only the care signal S3 gives P1's nationality: the node has it, RIEC does not see it
    records, _, _ = driver.execute_query(
        "MATCH (p:Person {entity_id: $id}) RETURN p.nationality AS n", id=world.ids["P1"],
        database_=settings.neo4j.database)
    assert records[0]["n"] == "RO"
    assert "nationality" not in profile.entity.properties
    assert profile.entity.properties["birth_date"] == "1980-01-31"


def test_neighbourhood_of_the_shared_address(queries: AnalystQueries, world: World) -> None:
    result = queries.neighbourhood(RIEC, world.ids["L1"], depth=1)
    assert set(result.distance) == _ids(world, "L1", "P1", "B1", "P2", "T1", "B3", "B4", "P4")
    assert not result.truncated
    located = {(lk.source, lk.kind): lk for lk in result.links if lk.target == world.ids["L1"]}
    b1 = located[(world.ids["B1"], "LOCATED_AT")]
    assert b1.signal_ids == tuple(sorted((world.signals["S1"], world.signals["S5"])))
    assert b1.partners == ("kvk", "riec")

    two = queries.neighbourhood(RIEC, world.ids["L1"], depth=2)
    assert _ids(world, "P3", "L3") <= set(two.distance)  # P1 -> P3, T1/P2 -> L3
    assert two.distance[world.ids["P3"]] == 2 and world.ids["V1"] not in two.distance


def test_neighbourhood_filters(queries: AnalystQueries, world: World) -> None:
    early = queries.neighbourhood(RIEC, world.ids["L1"], depth=1,
                                  filters=Filters(until="2026-02-01"))
    assert set(early.distance) == _ids(world, "L1", "P1", "B1", "P2", "T1")
    suspects = queries.neighbourhood(RIEC, world.ids["L1"], depth=1,
                                     filters=Filters(roles=frozenset({"suspect"})))
    assert set(suspects.distance) == _ids(world, "L1", "P1", "P2")
    kvk_only = queries.neighbourhood(RIEC, world.ids["L1"], depth=1,
                                     filters=Filters(partners=frozenset({"kvk"})))
    assert set(kvk_only.distance) == _ids(world, "L1", "B1", "B3", "B4", "P4")
    assert all(lk.partners == ("kvk",) for lk in kvk_only.links)
    labour = queries.neighbourhood(RIEC, world.ids["L1"], depth=1,
                                   filters=Filters(categories=frozenset({"sexual"})))
    assert set(labour.distance) == _ids(world, "L1")


def test_neighbourhood_bounds_its_size(queries: AnalystQueries, world: World) -> None:
    result = queries.neighbourhood(RIEC, world.ids["L1"], depth=2, limit=3)
    assert len(result.nodes) == 3 and result.truncated
    assert all(lk.source in result.distance and lk.target in result.distance
               for lk in result.links)
    with pytest.raises(DepthError):
        queries.neighbourhood(RIEC, world.ids["L1"], depth=5)


def test_shortest_paths_cross_a_tip(queries: AnalystQueries, world: World) -> None:
    result = queries.shortest_paths(RIEC, world.ids["P3"], world.ids["T1"], max_depth=4)
    assert [p.entity_ids for p in result.paths] == [
        tuple(world.ids[n] for n in ("P3", "P1", "L1", "T1"))]
    steps = result.paths[0].steps
    assert [[lk.kind for lk in step] for step in steps] == [
        ["ASSOCIATED_WITH"], [CO_MENTIONED], [CO_MENTIONED]]
    assert steps[2][0].signal_ids == (world.signals["S2"],) and result.complete
    assert queries.shortest_paths(RIEC, world.ids["P3"], world.ids["T1"], max_depth=2).paths == ()


def test_shared_address_clusters(queries: AnalystQueries, world: World) -> None:
    clusters = queries.shared_address_clusters(RIEC, min_size=4, municipality=world.rotterdam)
    assert [c.location.entity_id for c in clusters] == [world.ids["L1"]]
    cluster = clusters[0]
    assert {m.entity.entity_id for m in cluster.members} == _ids(world, "B1", "B3", "B4", "P4")
    assert cluster.municipality == world.rotterdam and cluster.partners == ("kvk", "riec")
    assert queries.shared_address_clusters(RIEC, min_size=5, municipality=world.rotterdam) == ()


def test_rings_ranked_by_risk(queries: AnalystQueries, world: World) -> None:
    result = queries.rings(RIEC, min_size=3, around=[world.ids["B3"]])
    assert len(result.rings) == 1 and not result.truncated
    ring = result.rings[0]
    assert {m.entity_id for m in ring.members} == _ids(world, "P1", "P2", "P3", "B1", "B3", "B4",
                                                       "L1", "L3")
    assert (ring.risk.partners, ring.risk.max_severity, ring.risk.suspects, ring.risk.signals) \
        == (3, "critical", 3, 7)
    assert ring.partners == ("kvk", "riec", "stichting-m")

    everywhere = queries.rings(RIEC, min_size=3)
    if not everywhere.truncated:  # the shared database may be large; then `around` covers it
        ours = [r for r in everywhere.rings if world.ids["P1"] in {m.entity_id for m in r.members}]
        assert len(ours) == 1 and ours[0].risk == ring.risk


def test_timeline(queries: AnalystQueries, world: World) -> None:
    timeline = queries.timeline(RIEC, world.ids["P1"])
    assert [e.signal.signal_id for e in timeline.entries] == [
        world.signals[s] for s in ("S1", "S4", "S7")]
    assert all(e.roles == ("suspect",) for e in timeline.entries)
    assert timeline.entries[1].signal.distribution == "tlp:red"
    since = queries.timeline(RIEC, world.ids["P1"], filters=Filters(since="2026-02-15"))
    assert [e.signal.signal_id for e in since.entries] == [world.signals["S7"]]


def test_waterbed(queries: AnalystQueries, world: World) -> None:
    result = queries.waterbed(RIEC, world.rotterdam, "2026-03-01", window_days=90)
    shifts = {s.entity.entity_id: s for s in result.shifts}
    assert set(shifts) == _ids(world, "P2", "T1")  # P1 stays in Rotterdam (S7)
    p2 = shifts[world.ids["P2"]]
    assert p2.before_signal_ids == (world.signals["S2"],) and p2.stayed == 0
    assert [(m.code, m.signal_ids) for m in p2.moved_to] == [(world.schiedam,
                                                               (world.signals["S6"],))]
    assert queries.waterbed(RIEC, world.rotterdam, "2026-03-01", window_days=10).shifts == ()


def test_why_linked(queries: AnalystQueries, world: World) -> None:
    why = queries.why_linked(RIEC, world.ids["P1"], world.ids["B1"])
    assert [(r.kind, r.source, r.target) for r in why.reasons] == [
        ("DIRECTOR_OF", world.ids["P1"], world.ids["B1"])]
    (support,) = why.reasons[0].support
    assert support.signal.signal_id == world.signals["S1"]
    assert (support.roles_a, support.roles_b) == (("suspect",), ("owner",))

    tip = queries.why_linked(RIEC, world.ids["T1"], world.ids["P2"])
    kinds = {r.kind: [s.signal.signal_id for s in r.support] for r in tip.reasons}
    assert kinds == {"USES": [world.signals["S6"]], CO_MENTIONED: [world.signals["S2"]]}
    path = queries.why_path(RIEC, [world.ids[n] for n in ("P3", "P1", "L1")])
    assert [r.kind for w in path for r in w.reasons] == ["ASSOCIATED_WITH", CO_MENTIONED]


# -- clearance -----------------------------------------------------------------------------------
def test_hidden_signals_hide_their_entities_edges_and_provenance(
        queries: AnalystQueries, world: World, driver: Driver, settings: Settings) -> None:
    # Stored: S1 and S3 (zorg, care) both assert P1 DIRECTOR_OF B1.
    records, _, _ = driver.execute_query(
        "MATCH (:Entity {entity_id: $p})-[r:DIRECTOR_OF]->(:Entity {entity_id: $b}) "
        "RETURN r.signal_ids AS ids, r.partners AS partners",
        p=world.ids["P1"], b=world.ids["B1"], database_=settings.neo4j.database)
    assert records[0]["partners"] == ["riec", "zorg"] and len(records[0]["ids"]) == 2

    around = queries.neighbourhood(RIEC, world.ids["P1"], depth=1)
    assert world.ids["V1"] not in around.distance
    assert "CONTROLS" not in {lk.kind for lk in around.links}
    director = next(lk for lk in around.links if lk.kind == "DIRECTOR_OF")
    assert director.signal_ids == (world.signals["S1"],) and director.partners == ("riec",)
    with pytest.raises(UnknownEntityError):
        queries.profile(RIEC, world.ids["V1"])
    assert all(world.signals["S3"] not in [s.signal.signal_id for s in r.support]
               for r in queries.why_linked(RIEC, world.ids["P1"], world.ids["L1"]).reasons)


def test_the_om_sees_criminal_law_signals_only_and_no_red(queries: AnalystQueries,
                                                          world: World) -> None:
    around = queries.neighbourhood(OM, world.ids["P2"], depth=2)
    assert set(around.distance) == _ids(world, "P2", "T1", "L1")
    assert {sid for lk in around.links for sid in lk.signal_ids} == {world.signals["S2"]}
    with pytest.raises(UnknownEntityError):  # S1/S7 administrative, S3 care, S4 red
        queries.profile(OM, world.ids["P1"])
    assert queries.waterbed(OM, world.rotterdam, "2026-03-01").shifts == ()


def test_a_partner_without_the_analyst_role_is_refused(queries: AnalystQueries,
                                                      world: World) -> None:
    with pytest.raises(RoleRequiredError):
        queries.profile(KVK, world.ids["B1"])


# -- merges ---------------------------------------------------------------------------------------
def test_a_merged_id_leads_to_its_survivor(queries: AnalystQueries, world: World) -> None:
    profile = queries.profile(RIEC, world.ids["B2"])
    assert profile.anchor.entity_id == world.ids["B1"]
    assert profile.anchor.redirected_from == (world.ids["B2"],)
    assert profile.entity.entity_id == world.ids["B1"]
    around = queries.neighbourhood(RIEC, world.ids["L1"], depth=2)
    assert world.ids["B2"] not in around.distance
    timeline = queries.timeline(RIEC, world.ids["B2"])
    assert world.signals["S5"] in [e.signal.signal_id for e in timeline.entries]


# -- audit ----------------------------------------------------------------------------------------
def test_every_query_is_audited(queries: AnalystQueries, world: World, settings: Settings,
                                audit_topic: str) -> None:
    marker = f"P-{uuid.uuid4().hex[:16]}"
    with pytest.raises(UnknownEntityError):
        queries.profile(RIEC, marker)
    queries.neighbourhood(RIEC, world.ids["L1"], depth=1)
    queries.shortest_paths(RIEC, world.ids["P3"], world.ids["T1"])
    queries.shared_address_clusters(RIEC, min_size=4, municipality=world.rotterdam)
    queries.rings(RIEC, around=[world.ids["P1"]])
    queries.timeline(RIEC, world.ids["P1"])
    queries.waterbed(RIEC, world.rotterdam, "2026-03-01")
    queries.why_linked(RIEC, world.ids["P1"], world.ids["B1"])
    queries.why_path(RIEC, [world.ids["P1"], world.ids["B1"]])
    with pytest.raises(RoleRequiredError):
        queries.timeline(KVK, world.ids["B1"])

    entries = _audit_entries(settings, audit_topic)
    start = next(i for i, e in enumerate(entries) if e["params"].get("entity_id") == marker)
    mine = entries[start:start + 10]
    assert [e["action"] for e in mine] == [
        "profile", "neighbourhood", "shortest_paths", "shared_address_clusters", "rings",
        "timeline", "waterbed", "why_linked", "why_path", "timeline"]
    assert [e["outcome"] for e in mine] == ["not-found", *["ok"] * 8, "denied"]
    assert mine[0]["key"] == "analyst-riec" and mine[0]["partner"] == "riec"
    assert mine[-1]["actor"] == "clerk-kvk"
    assert mine[1]["params"] == {"entity_id": world.ids["L1"], "depth": 1, "limit": 500}
    assert mine[1]["result_count"] == 8
    assert all(uuid.UUID(e["audit_id"]) and datetime.fromisoformat(e["at"]).tzinfo
               for e in mine)


def test_a_query_whose_audit_fails_returns_nothing(driver: Driver, settings: Settings,
                                                   world: World) -> None:
    missing = f"t{uuid.uuid4().hex[:12]}.audit.log"  # never created; auto-create is off
    publisher = Publisher(settings.kafka, client_id="test-audit-down", max_block_ms=1500)
    with AuditLog(publisher, missing) as audit:
        broken = AnalystQueries(driver, settings.neo4j.database, audit)
        with pytest.raises(AuditError) as failure:
            broken.profile(RIEC, world.ids["P1"])
    assert failure.value.action == "profile" and failure.value.topic == missing
