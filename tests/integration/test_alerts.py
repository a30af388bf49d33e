"""OM alerts on the real broker and Neo4j: the real graph sink and the real alert engine run in
threads on topics of this module's own prefix; resolved records are made by the real pipeline
(``streams.pipeline.process``) and published to ``signals.resolved``; every partner reference,
name and pseudonym carries this module's unique id (the database is shared).

Independent partners (one person per story, signals one step at a time):

    A  riec low d0, kvk medium d3            -> quiet (two partners)
       + zorg critical, care d4              -> quiet (RIEC may not see care signals)
       + stichting-m high d8                 -> one proposal, version 1 (evidence a1 a2 a4)
       + riec medium d12                     -> the same alert, version 2 (a5 added)
       + riec low d400                       -> nothing (outside every window: unchanged)
    B  riec low d0, kvk low d100, stichting-m high d120   -> quiet (window)
    C  riec low, kvk low, stichting-m low                 -> quiet (no severe signal)

Rings (riec only, so only the ring rule can fire): suspect, business, a location in Breda
(ZWB) and one in Rotterdam (RR) -> a ring alert anchored at the suspect; the same with Tilburg
(ZWB) instead of Rotterdam -> quiet.

Release: list/show/approve/reject as the RIEC reviewer (audited), refused for other partners;
approve puts exactly one record on alerts.om; reject none; new evidence proposes a follow-up.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from neo4j import Driver

from alerts.config import INDEPENDENT_PARTNERS, RING_REGIONS, load_rules
from alerts.engine import AlertEngine, AlertTopics, EngineStats, run_engine
from alerts.exceptions import (
    AlertInputError,
    AlertStateError,
    NotReviewerError,
    UnknownAlertError,
)
from alerts.lifecycle import alert_id_for
from alerts.release import AlertDesk
from alerts.store import AlertStore
from consumers.graph_sink import DRIVER_RETRY_S, SinkTopics, run_sink
from core.audit import AuditLog
from core.neo4j_driver import open_driver
from core.publisher import Publisher
from core.settings import Settings
from core.topics import apply_topics
from graph.queries import AnalystQueries
from infra.offsets import wait_committed
from policy.clearance import Caller
from policy.exceptions import RoleRequiredError
from policy.registry import load_clearances, load_registry
from policy.retention import topic_layout
from schemas.signal import Signal
from streams.pipeline import process
from streams.resolve import Resolver
from tests.unit.schemas.signals import valid_doc

CLEARANCES = load_clearances()
REVIEWER = Caller("a.jansen", "riec", CLEARANCES["riec"])
VISIBLE_TO_ALL = {"distribution": "tlp:amber", "purpose": "administrative"}
TIP = {"distribution": "tlp:amber+strict", "purpose": "criminal-law"}
CARE = {"distribution": "tlp:amber", "purpose": "care"}


@dataclass(frozen=True)
class Topics:
    resolved: str
    merges: str
    rejected: str
    proposed: str
    released: str
    audit: str


class Service:
    """A consumer loop (``run_sink`` / ``run_engine``) in a thread, as its command runs it."""

    def __init__(self, settings: Settings, topics: Topics, group: str,
                 loop: Callable[[KafkaConsumer, threading.Event], object]) -> None:
        self.settings, self.topics, self.group = settings, topics, group
        self.consumer = KafkaConsumer(topics.resolved, topics.merges, group_id=group,
                                      bootstrap_servers=settings.kafka.bootstrap_servers,
                                      enable_auto_commit=False, auto_offset_reset="earliest")
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.result: object = None
        self.thread = threading.Thread(target=self._run, args=(loop,), daemon=True)
        self.thread.start()

    def _run(self, loop: Callable[[KafkaConsumer, threading.Event], object]) -> None:
        try:
            self.result = loop(self.consumer, self.stop)
        except BaseException as exc:  # surfaced by wait_committed
            self.error = exc
            raise

    def wait_committed(self, timeout: float = 30.0) -> None:
        """Until the group has committed the end of both input topics."""
        def healthy() -> None:
            assert self.error is None, f"{self.group} failed: {self.error!r}"

        assert wait_committed(self.settings.kafka.bootstrap_servers, self.group,
                              (self.topics.resolved, self.topics.merges), timeout, healthy), \
            f"group {self.group} did not catch up in {timeout} s"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)
        self.consumer.close()


@dataclass
class Platform:
    """The module's topics, sink, engine and a reviewer's desk."""

    uid: str
    settings: Settings
    topics: Topics
    engine: Service
    start_sink: Callable[[], None]
    desk: AlertDesk
    store: AlertStore

    def publish(self, *resolved: dict[str, Any], wait: bool = True) -> None:
        with Publisher(self.settings.kafka) as publisher:
            publisher.publish_many(self.topics.resolved, [
                (d["signal_id"].encode(), json.dumps(d).encode()) for d in resolved])
        if wait:
            self.engine.wait_committed()  # it commits only after the sink wrote, then evaluated

    def merge(self, merged: str, into: str) -> None:
        doc = {"merged": merged, "into": into, "reason": "test", "record_id": f"{self.uid}-m"}
        with Publisher(self.settings.kafka) as publisher:
            publisher.publish(self.topics.merges, into.encode(), json.dumps(doc).encode())
        self.engine.wait_committed()

    def read(self, topic: str) -> list[tuple[str, dict[str, Any]]]:
        return [(key, json.loads(value)) for key, value in _read(self.settings, topic)]

    def proposals(self, alert_id: str) -> list[dict[str, Any]]:
        return [doc for key, doc in self.read(self.topics.proposed) if key == alert_id]


def _read(settings: Settings, topic: str) -> list[tuple[str, bytes]]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                             enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        consumer.seek_to_beginning(*partitions)
        out: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + 10
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"could not read {topic}"
            for batch in consumer.poll(timeout_ms=200).values():
                out.extend(((r.key or b"").decode(), r.value) for r in batch)
        return out
    finally:
        consumer.close()


def _topics(admin: KafkaAdminClient, uid: str) -> Topics:
    layout = topic_layout(prefix=f"{uid}.")
    apply_topics(admin, layout.topics)
    return Topics(*(layout.name(n) for n in (
        "signals.resolved", "entities.merges", "signals.rejected", "alerts.om.proposed",
        "alerts.om", "audit.log")))


@contextmanager
def _platform(settings: Settings, topics: Topics, uid: str, sink_running: bool = True
              ) -> Iterator[Platform]:
    """The engine (started first: it must wait for the sink, not find the graph ready), the
    sink (unless ``sink_running`` is false: start it with ``Platform.start_sink``), a desk."""
    database = settings.neo4j.database
    rules = load_rules()
    with open_driver(settings.neo4j, retry_s=DRIVER_RETRY_S) as own_driver, \
            Publisher(settings.kafka, client_id="test-alerts") as publisher, \
            AuditLog(Publisher(settings.kafka, client_id="test-alerts-audit"),
                     topics.audit, key=settings.audit_key.get_secret_value().encode()
                     ) as audit:
        store = AlertStore(own_driver, database, load_registry())
        engine = AlertEngine(store, AnalystQueries(own_driver, database, audit, load_registry()),
                             rules, rules.reviewer_clearance(), publisher, topics.proposed)
        sink_topics = SinkTopics(topics.resolved, topics.merges, topics.rejected)
        alert_topics = AlertTopics(topics.resolved, topics.merges, topics.proposed)

        def sink_loop(consumer: KafkaConsumer, stop: threading.Event) -> object:
            return run_sink(consumer, own_driver, database, sink_topics, publisher, stop)

        def engine_loop(consumer: KafkaConsumer, stop: threading.Event) -> object:
            return run_engine(consumer, store, engine, alert_topics, rules, stop)

        services = [Service(settings, topics, f"{uid}-alerts", engine_loop)]

        def start_sink() -> None:
            services.append(Service(settings, topics, f"{uid}-sink", sink_loop))

        if sink_running:
            start_sink()
        desk = AlertDesk(store, audit, publisher, topics.released, rules)
        try:
            yield Platform(uid, settings, topics, services[0], start_sink, desk, store)
        finally:
            for service in services:
                service.close()


@pytest.fixture(scope="module")
def platform(admin: KafkaAdminClient, settings: Settings) -> Iterator[Platform]:
    uid = "t" + uuid.uuid4().hex[:12]
    with _platform(settings, _topics(admin, uid), uid) as running:
        yield running
    admin.delete_topics([t for t in admin.list_topics() if t.startswith(f"{uid}.")],
                        timeout_ms=30_000)


class Story:
    """Resolved records about one person (same pseudonym: one entity) from several partners."""

    def __init__(self, platform: Platform, name: str) -> None:
        self.platform, self.name = platform, name
        self.tag = f"{platform.uid}-{name}"
        self.resolver = Resolver({})
        self.state: dict[str, Any] = {}
        self.offset = 0
        self.entity_id = ""

    def person(self, role: str = "suspect") -> dict[str, Any]:
        digest = hashlib.sha256(self.tag.encode()).hexdigest()
        return {"type": "person", "ref": "p1", "role": role, "given_name": "Piet",
                "family_name": f"Verhoef{_letters(digest[:10])}", "birth_date": "1984-04-04",
                "identifiers": [{"scheme": "bsn-pseudonym", "value": f"ps1:{digest}"}]}

    def signal(self, ref: str, partner: str, day: int, severity: str,
               policy: dict[str, str] | None = None, subjects: list[dict[str, Any]] | None = None,
               relations: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """The resolved record of one signal observed ``day`` days after 2026-01-01."""
        when = f"{_date(day)}T10:00:00+01:00"
        doc = valid_doc(partner=partner, partner_ref=f"{self.tag}-{ref}", observed_at=when,
                        reported_at=when, severity=severity, **(policy or VISIBLE_TO_ALL),
                        subjects=subjects or [self.person()], relations=relations or [])
        outcome = process(Signal.model_validate_json(json.dumps(doc)),
                          {"topic": f"{self.tag}.in", "partition": 0, "offset": self.offset},
                          self.state, self.resolver)
        self.offset += 1
        assert outcome.resolved is not None
        if not self.entity_id:
            self.entity_id = outcome.resolved["entities"][0]["entity_id"]
        return outcome.resolved


def _letters(text: str) -> str:
    return "".join(chr(ord("a") + int(c, 16)) for c in text)


def _date(day: int) -> str:
    from datetime import date, timedelta

    return (date(2026, 1, 1) + timedelta(days=day)).isoformat()


def _alerts_about(driver: Driver, settings: Settings, entity_id: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (a:Alert)-[:ABOUT]->(:Entity {entity_id: $id}) "
        "RETURN a.alert_id AS alert_id, a.version AS version, a.status AS status, "
        "COLLECT { MATCH (a)-[e:EVIDENCE]->(s:Signal) WHERE e.last_version = a.version "
        "          RETURN s.signal_id } AS evidence",
        id=entity_id, database_=settings.neo4j.database)
    return [dict(r) for r in records]


def _ids(doc: dict[str, Any]) -> set[str]:
    return {e["signal_id"] for e in doc["evidence"]}


def test_three_independent_partners_with_a_severe_signal_make_one_alert(
        platform: Platform, driver: Driver, settings: Settings) -> None:
    a = Story(platform, "a")
    a1, a2 = a.signal("a1", "riec", 0, "low"), a.signal("a2", "kvk", 3, "medium")
    platform.publish(a1, a2)
    alert_id = alert_id_for(a.entity_id)
    assert _alerts_about(driver, settings, a.entity_id) == [] and platform.proposals(alert_id) == []

    a3 = a.signal("a3", "zorg", 4, "critical", CARE)
    platform.publish(a3)
    assert _alerts_about(driver, settings, a.entity_id) == []  # three partners, two visible

    a4 = a.signal("a4", "stichting-m", 8, "high", TIP)
    platform.publish(a4)
    (v1,) = platform.proposals(alert_id)
    assert (v1["alert_id"], v1["version"], v1["status"], v1["rules"]) \
        == (alert_id, 1, "proposed", [INDEPENDENT_PARTNERS])
    assert _ids(v1) == {a1["signal_id"], a2["signal_id"], a4["signal_id"]}  # never the care one
    assert a3["signal_id"] not in json.dumps(v1)
    assert v1["anchor"]["entity"]["entity_id"] == a.entity_id
    assert v1["anchor"]["entity"]["label"] == "Person"
    assert v1["findings"][0]["partners"] == ["kvk", "riec", "stichting-m"]
    assert v1["risk"]["breakdown"]["signals"] == 3 and v1["risk"]["score"] > 0
    (stored,) = _alerts_about(driver, settings, a.entity_id)
    assert (stored["alert_id"], stored["version"], stored["status"]) == (alert_id, 1, "proposed")
    assert set(stored["evidence"]) == _ids(v1)

    a5 = a.signal("a5", "riec", 12, "medium")
    platform.publish(a5)
    proposals = platform.proposals(alert_id)
    assert [p["version"] for p in proposals] == [1, 2]
    assert _ids(proposals[1]) == _ids(v1) | {a5["signal_id"]}
    (stored,) = _alerts_about(driver, settings, a.entity_id)
    assert (stored["alert_id"], stored["version"], stored["status"]) == (alert_id, 2, "proposed")
    assert len(stored["evidence"]) == 4

    platform.publish(a.signal("a6", "riec", 400, "low"))  # outside every window: unchanged
    assert [p["version"] for p in platform.proposals(alert_id)] == [1, 2]
    assert platform.read(platform.topics.released) == []  # nothing to the OM before approval


def test_outside_the_window_or_without_a_severe_signal_stays_quiet(
        platform: Platform, driver: Driver, settings: Settings) -> None:
    b, c = Story(platform, "b"), Story(platform, "c")
    platform.publish(b.signal("b1", "riec", 0, "low"), b.signal("b2", "kvk", 100, "low"),
                     b.signal("b3", "stichting-m", 120, "high", TIP),
                     c.signal("c1", "riec", 0, "low"), c.signal("c2", "kvk", 5, "low"),
                     c.signal("c3", "stichting-m", 9, "low", TIP))
    assert _alerts_about(driver, settings, b.entity_id) == []
    assert _alerts_about(driver, settings, c.entity_id) == []
    assert platform.proposals(alert_id_for(b.entity_id)) == []
    assert platform.proposals(alert_id_for(c.entity_id)) == []


def _ring(story: Story, second_city: str) -> list[dict[str, Any]]:
    """A suspect directing a business at a Breda address and living in ``second_city``."""
    digest = hashlib.sha256(story.tag.encode()).hexdigest()
    number = int(digest[:3], 16) % 900 + 10
    business = {"type": "business", "ref": "b1", "role": "owner",
                "kvk_number": "9" + str(int(digest[:8], 16))[:7],
                "trade_name": f"Schoon {_letters(digest[:8])}"}
    breda = {"type": "location", "ref": "l1", "role": "location",
             "address": {"street": "Ginnekenweg", "house_number": number, "postcode": "4818 JA",
                         "city": "Breda", "municipality": "Breda"}}
    elsewhere = {"type": "location", "ref": "l2", "role": "location",
                 "address": {"street": "Dorpsstraat", "house_number": number,
                             "city": second_city, "municipality": second_city}}
    return [
        story.signal("r1", "riec", 0, "medium",
                     subjects=[story.person(), business, breda],
                     relations=[{"source": "p1", "type": "DIRECTOR_OF", "target": "b1"},
                                {"source": "b1", "type": "LOCATED_AT", "target": "l1"}]),
        story.signal("r2", "riec", 6, "medium", subjects=[story.person(), elsewhere],
                     relations=[{"source": "p1", "type": "LIVES_AT", "target": "l2"}]),
    ]


def test_a_ring_across_two_regions_fires_and_within_one_stays_quiet(
        platform: Platform, driver: Driver, settings: Settings) -> None:
    across, within = Story(platform, "ring2"), Story(platform, "ring1")
    across_records, within_records = _ring(across, "Rotterdam"), _ring(within, "Tilburg")
    platform.publish(*across_records, *within_records)

    alert_id = alert_id_for(across.entity_id)
    (proposal,) = platform.proposals(alert_id)
    assert proposal["rules"] == [RING_REGIONS]
    assert proposal["anchor"]["entity"]["entity_id"] == across.entity_id
    assert proposal["anchor"]["chosen_as"] == "suspect first seen"
    (finding,) = proposal["findings"]
    assert finding["regions"] == {"RR": ["NL:rotterdam"], "ZWB": ["NL:breda"]}
    members = {e["entity_id"] for r in across_records for e in r["entities"]}
    assert set(finding["members"]) == members and len(members) == 4
    r1, r2 = across_records[0]["signal_id"], across_records[1]["signal_id"]
    kinds = {(link["kind"], tuple(link["signal_ids"])) for link in proposal["links"]}
    assert {k for k in kinds if k[0] != "CO_MENTIONED"} \
        == {("DIRECTOR_OF", (r1,)), ("LOCATED_AT", (r1,)), ("LIVES_AT", (r2,))}
    assert {k for k in kinds if k[0] == "CO_MENTIONED"} == {("CO_MENTIONED", (r1,))}  # P and l1
    assert {e["entity_id"] for e in proposal["entities"]} == members
    (stored,) = _alerts_about(driver, settings, across.entity_id)
    assert stored["alert_id"] == alert_id
    for member in members:  # ABOUT points at every member, the anchor marked
        assert [x["alert_id"] for x in _alerts_about(driver, settings, member)] == [alert_id]

    assert _alerts_about(driver, settings, within.entity_id) == []
    assert platform.proposals(alert_id_for(within.entity_id)) == []


def test_a_merge_brings_the_evidence_together_on_the_survivor(
        platform: Platform, driver: Driver, settings: Settings) -> None:
    x, y = Story(platform, "x"), Story(platform, "y")  # two pseudonyms: two entities
    x1, x2 = x.signal("x1", "riec", 0, "high"), x.signal("x2", "kvk", 2, "low")
    y1 = y.signal("y1", "stichting-m", 3, "low", TIP)
    platform.publish(x1, x2, y1)
    assert _alerts_about(driver, settings, x.entity_id) == []
    platform.merge(y.entity_id, x.entity_id)
    (proposal,) = platform.proposals(alert_id_for(x.entity_id))
    assert proposal["anchor"]["entity"]["entity_id"] == x.entity_id
    assert _ids(proposal) == {x1["signal_id"], x2["signal_id"], y1["signal_id"]}
    assert platform.proposals(alert_id_for(y.entity_id)) == []


def _audit(platform: Platform, alert_id: str) -> list[dict[str, Any]]:
    return [doc for _, doc in platform.read(platform.topics.audit)
            if doc["action"].startswith("alerts.") and doc["params"].get("alert_id") == alert_id]


def _severe_story(platform: Platform, name: str) -> tuple[Story, str]:
    s = Story(platform, name)
    platform.publish(s.signal(f"{name}1", "riec", 0, "high"), s.signal(f"{name}2", "kvk", 2, "low"),
                     s.signal(f"{name}3", "stichting-m", 4, "low", TIP))
    alert_id = alert_id_for(s.entity_id)
    assert [p["version"] for p in platform.proposals(alert_id)] == [1]
    return s, alert_id


def test_approve_releases_exactly_one_dossier_to_the_om_and_is_audited(
        platform: Platform) -> None:
    d, alert_id = _severe_story(platform, "d")
    desk = platform.desk
    listed = desk.list(REVIEWER, status="proposed", limit=1000)
    assert alert_id in {x.alert_id for x in listed}
    shown = desk.show(REVIEWER, alert_id)
    assert (shown.status, shown.version) == ("proposed", 1)
    assert shown.dossier["anchor"]["entity"]["entity_id"] == d.entity_id

    om = Caller("o.officier", "om", CLEARANCES["om"])  # an analyst, but not the reviewer
    with pytest.raises(NotReviewerError):
        desk.approve(om, alert_id)
    with pytest.raises(RoleRequiredError):
        desk.approve(Caller("k.klerk", "kvk", CLEARANCES["kvk"]), alert_id)
    with pytest.raises(UnknownAlertError):
        desk.approve(REVIEWER, "AL-0000000000000000")
    assert platform.read(platform.topics.released) == []

    done = desk.approve(REVIEWER, alert_id, note="ketenoverleg 12 maart")
    assert done.alert.status == "approved" and done.where is not None
    released = platform.read(platform.topics.released)
    assert [key for key, _ in released] == [alert_id]
    (_, doc), = released
    assert (doc["status"], doc["version"], doc["approved_by"], doc["note"]) \
        == ("approved", 1, "a.jansen", "ketenoverleg 12 maart")
    assert doc["purpose_change"]["to"] == "criminal-law"
    assert set(doc["purpose_change"]["from"]) == {"administrative", "criminal-law"}
    with pytest.raises(AlertStateError):
        desk.approve(REVIEWER, alert_id)

    entries = _audit(platform, alert_id)
    outcomes = [(e["action"], e["actor"], e["partner"], e["outcome"]) for e in entries]
    assert outcomes == [
        ("alerts.show", "a.jansen", "riec", "ok"),
        ("alerts.approve", "o.officier", "om", "denied"),
        ("alerts.approve", "k.klerk", "kvk", "denied"),
        ("alerts.approve", "a.jansen", "riec", "ok"),
        ("alerts.approve", "a.jansen", "riec", "refused"),
    ]
    approval = entries[3]["params"]
    assert approval["purpose_change"]["decided_by"] == "a.jansen" and approval["version"] == 1

    # new evidence after the approval: a follow-up version, proposed again, not released
    platform.publish(d.signal("d4", "gemeente:GM0599", 5, "medium"))
    proposals = platform.proposals(alert_id)
    assert [p["version"] for p in proposals] == [1, 2]
    assert proposals[1]["follow_up_of"] == {"status": "approved", "version": 1}
    assert proposals[1]["decisions"][0]["status"] == "approved"
    assert desk.show(REVIEWER, alert_id).status == "proposed"
    assert len(platform.read(platform.topics.released)) == 1


def test_reject_records_the_reason_sends_nothing_and_stays_quiet_until_new_evidence(
        platform: Platform) -> None:
    e, alert_id = _severe_story(platform, "e")
    desk = platform.desk
    with pytest.raises(AlertInputError):
        desk.reject(REVIEWER, alert_id, reason="  ")
    rejected = desk.reject(REVIEWER, alert_id, reason="bekende zaak, al in onderzoek")
    assert rejected.status == "rejected"
    assert rejected.decisions[0]["reason"] == "bekende zaak, al in onderzoek"
    invalid, entry = [x for x in _audit(platform, alert_id) if x["action"] == "alerts.reject"]
    assert invalid["outcome"] == "invalid"
    assert (entry["outcome"], entry["params"]["reason"]) == ("ok", "bekende zaak, al in onderzoek")
    assert alert_id not in {key for key, _ in platform.read(platform.topics.released)}

    platform.publish(e.signal("e4", "riec", 500, "low"))  # outside every window: still quiet
    assert [p["version"] for p in platform.proposals(alert_id)] == [1]
    assert desk.show(REVIEWER, alert_id).status == "rejected"
    platform.publish(e.signal("e5", "kvk", 6, "medium"))  # new evidence in the window
    assert [p["version"] for p in platform.proposals(alert_id)] == [1, 2]
    assert desk.show(REVIEWER, alert_id).status == "proposed"


def test_the_engine_waits_for_the_sink_and_commits_nothing_before(
        admin: KafkaAdminClient, settings: Settings, driver: Driver, uid: str) -> None:
    topics = _topics(admin, uid)
    with _platform(settings, topics, uid, sink_running=False) as lagging:
        f = Story(lagging, "f")
        lagging.publish(f.signal("f1", "riec", 0, "critical"), f.signal("f2", "kvk", 1, "low"),
                        f.signal("f3", "stichting-m", 2, "low", TIP), wait=False)
        time.sleep(4)  # the engine has the records, the graph does not
        with pytest.raises(AssertionError, match="did not catch up"):
            lagging.engine.wait_committed(timeout=1)
        assert lagging.proposals(alert_id_for(f.entity_id)) == []
        lagging.start_sink()
        lagging.engine.wait_committed()
        (proposal,) = lagging.proposals(alert_id_for(f.entity_id))
        assert proposal["version"] == 1 and len(proposal["evidence"]) == 3
        lagging.engine.close()
        stats = lagging.engine.result
        assert isinstance(stats, EngineStats)
        assert stats.retries >= 1 and stats.created == 1 and stats.sent == 1
