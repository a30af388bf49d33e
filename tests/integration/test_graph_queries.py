"""The analyst queries on the real Neo4j and Kafka, on a small graph with known answers.

The graph is ``tests/integration/graph_world.py`` (its docstring draws it). The shared database
may hold other tests' data: global queries are narrowed to this graph (its municipality, or
``around`` one of its entities) or their results are filtered to its entities.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from neo4j import Driver

from core.audit import AuditError, AuditLog
from core.publisher import Publisher
from core.settings import Settings
from core.topics import apply_topics
from graph.analyst.model import CO_MENTIONED
from graph.analyst.params import Filters
from graph.exceptions import DepthError, UnknownEntityError
from graph.queries import AnalystQueries
from policy.clearance import Caller
from policy.exceptions import RoleRequiredError
from policy.registry import load_clearances, load_registry
from policy.retention import topic_layout
from tests.integration.graph_world import World, write_world


@pytest.fixture(scope="module")
def world(driver: Driver, settings: Settings) -> World:
    return write_world(driver, settings.neo4j.database)


@pytest.fixture(scope="module")
def audit_topic(admin: KafkaAdminClient) -> str:
    layout = topic_layout(prefix=f"t{uuid.uuid4().hex[:12]}.")
    topic = layout.audit_log
    apply_topics(admin, [t for t in layout.topics if t.name == topic])
    return topic


@pytest.fixture
def queries(driver: Driver, settings: Settings, audit_topic: str) -> Iterator[AnalystQueries]:
    with AuditLog(Publisher(settings.kafka, client_id="test-audit"), audit_topic,
                  key=settings.audit_key.get_secret_value().encode()) as audit:
        yield AnalystQueries(driver, settings.neo4j.database, audit, load_registry())


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
    with AuditLog(publisher, missing, key=settings.audit_key.get_secret_value().encode()
                  ) as audit:
        broken = AnalystQueries(driver, settings.neo4j.database, audit, load_registry())
        with pytest.raises(AuditError) as failure:
            broken.profile(RIEC, world.ids["P1"])
    assert failure.value.action == "profile" and failure.value.topic == missing
