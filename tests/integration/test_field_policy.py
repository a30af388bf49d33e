"""One field policy for every answer: what the router delivers to a partner bounds what the
explorer shows that partner's analysts, field by field.

Six signals about one suspect (P, carrying a BSN pseudonym everywhere) at one address (L), from
the four source kinds (anonymous tips, healthcare, RIEC, KvK), are routed by the real router
process (every subscriber subscribed to everything) and written to the real graph by the sink's
own rows; the real explorer app then answers four analysts: RIEC (cleared enforcement), the OM
(cleared, criminal law only), the municipality of Rotterdam (amber, no care purpose, not
cleared) and a care provider (care purpose, not cleared). For every endpoint that can show a
signal or what one says, for every analyst:

- no signal appears that the partner neither published nor received a copy of;
- every signal object in the answer (anything with a ``signal_id`` and fields) holds only
  fields its copy holds, with the copy's values (``partner_id`` is the copy's ``partner``);
- no partner_ref, narrative or identifier value of the world appears anywhere in the answer
  unless one of the partner's own signals or copies holds it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer
from neo4j import Driver

from alerts.config import load_rules
from alerts.engine import AlertEngine
from alerts.release import AlertDesk
from alerts.store import AlertStore
from consumers.graph_sink import batch_rows, write_batch
from core.audit import AuditLog
from core.http_serving import serve_in_background
from core.partner_ids import partner_kind
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import Settings
from core.topics import TopicLayout
from explorer.accounts import AccountStore
from explorer.app import ExplorerServices, create_explorer_app
from explorer.review_desk import ReviewDesk
from explorer.sessions import SessionStore
from explorer.throttle import LoginThrottle
from graph.queries import AnalystQueries
from policy.live import publish_change
from policy.registry import PartnerEntry, Registry, load_registry, parse_entry
from schemas.signal import Signal
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

ANALYSTS = {"ria": "riec", "otto": "om", "gem": "gemeente:GM0599", "zoe": "zorg"}
PASSWORD = "policy-correct-horse-9"
PLAIN_KEYS = ("partner_ref", "narrative", "partner", "category", "severity", "distribution",
              "purpose", "indicators", "barrier_stages", "legal_basis")
"""Signal fields whose value an answer must show exactly as the copy holds it."""
RENAMED = {"partner_id": "partner"}
"""The graph's name of a field → the Signal v1 name in a delivery."""
SIGNAL_FIELDS = frozenset(Signal.model_fields) | frozenset(RENAMED)
"""What an answer may call a signal's field; other keys beside a ``signal_id`` (a risk point,
a role) are the platform's own findings, not the signal's content."""


def _registry() -> Registry:
    """The shipped registry with every subscriber subscribed to everything, and the analyst
    role for the municipality and the care provider (so that their analysts can log in)."""
    seed = load_registry()
    entries: dict[str, PartnerEntry] = {}
    for partner, entry in seed.entries.items():
        doc = entry.model_dump(mode="json")
        doc.pop("partner_id")
        if "subscriber" in entry.roles:
            doc["subscriptions"] = [{"name": "all"}]
        if partner in ANALYSTS.values() and "analyst" not in doc["roles"]:
            doc["roles"] = [*doc["roles"], "analyst"]
        entries[partner] = parse_entry(partner, doc)
    return Registry(entries)


def _docs(uid: str) -> dict[str, dict[str, Any]]:
    name = "".join(chr(ord("a") + int(c, 16) % 26) for c in uid[1:])
    bsn = {"scheme": "bsn-pseudonym",
           "value": "ps1:" + hashlib.sha256(f"{uid}-bsn".encode()).hexdigest()}
    patient = {"scheme": "patient-pseudonym",
               "value": "ps1:" + hashlib.sha256(f"{uid}-patient".encode()).hexdigest()}
    passport = {"scheme": "passport", "value": f"NX{uid[1:9].upper()}"}
    address = {"street": "Kruiskade", "house_number": 7, "postcode": "3012EE",
               "city": "Rotterdam", "municipality": "Rotterdam"}

    def person(*extra: dict[str, str]) -> dict[str, Any]:
        return {"type": "person", "ref": "p", "role": "suspect", "given_name": "Sven",
                "family_name": f"Vos{name}", "birth_date": "1979-04-04",
                "identifiers": [bsn, *extra]}

    place = {"type": "location", "ref": "l", "role": "location", "address": address}
    lives = [{"source": "p", "type": "LIVES_AT", "target": "l"}]

    def doc(key: str, partner: str, distribution: str, purpose: str, severity: str,
            day: str, subjects: list[dict[str, Any]], relations: list[dict[str, str]],
            narrative: str | None = None) -> dict[str, Any]:
        extra = {"narrative": f"{narrative} ({uid})"} if narrative else {}
        return valid_doc(partner=partner, partner_ref=f"REF-{key}-{uid}",
                         distribution=f"tlp:{distribution}", purpose=purpose,
                         severity=severity, observed_at=f"2026-{day}T10:00:00+01:00",
                         reported_at=f"2026-{day}T12:00:00+01:00", subjects=subjects,
                         relations=relations, **extra)

    return {
        "tip-amber-criminal": doc(
            "tipA", "stichting-m", "amber", "criminal-law", "critical", "02-01",
            [person(), place], [], "Anonymous: men sleep in the warehouse"),
        "tip-green-prevention": doc(
            "tipB", "stichting-m", "green", "prevention", "medium", "02-03",
            [person(passport), place], [], "Anonymous: his passport is kept by a boss"),
        "care-amber-prevention": doc(
            "care", "zorg", "amber", "prevention", "high", "02-05",
            [person(), place,
             {"type": "person", "ref": "v", "role": "victim", "given_name": "Ola",
              "family_name": f"Nowak{name}", "identifiers": [patient]}],
            [{"source": "p", "type": "CONTROLS", "target": "v"}],
            "Patient says her papers are kept by the employer"),
        "riec-amber-admin": doc(
            "riecA", "riec", "amber", "administrative", "high", "02-07", [person(), place],
            lives, "Inspection found fourteen mattresses"),
        "riec-amber-criminal": doc(
            "riecC", "riec", "amber", "criminal-law", "high", "02-09", [person(), place],
            lives, "Suspect seen collecting wages"),
        "kvk-green-admin": doc(
            "kvk", "kvk", "green", "administrative", "low", "02-11",
            [person(), place,
             {"type": "business", "ref": "b", "role": "owner", "kvk_number": "9" + uid[1:8]
              .translate(str.maketrans("abcdef", "123456")), "trade_name": f"Shine {name}",
              "address": address}],
            [{"source": "p", "type": "DIRECTOR_OF", "target": "b"},
             {"source": "b", "type": "LOCATED_AT", "target": "l"}]),
    }


def _secrets(signal: dict[str, Any]) -> set[str]:
    """The partner_ref, narrative and identifier values a signal document holds."""
    found = {signal[k] for k in ("partner_ref", "narrative") if signal.get(k)}
    for subject in signal.get("subjects") or ():
        found |= {i["value"] for i in subject.get("identifiers") or ()}
    return found


def _publish_registry(settings: Settings, layout: TopicLayout, registry: Registry) -> None:
    with Publisher(settings.kafka) as publisher:
        for partner, entry in registry.entries.items():
            if "subscriber" in entry.roles:
                publish_change(publisher, layout, partner, entry)


def _route(settings: Settings, layout: TopicLayout, uid: str, tmp_path: Path,
           records: list[dict[str, Any]], expected: int) -> dict[tuple[str, str], dict[str, Any]]:
    """(recipient, signal id) → the delivery the real router process made."""
    env = {"KETENLINK_TOPIC_PREFIX": f"{uid}.", "KETENLINK_FAUST_APP_ID": uid,
           "KETENLINK_VAR_DIR": str(tmp_path)}
    got: dict[tuple[str, str], dict[str, Any]] = {}
    with ServiceProcess("router", tmp_path / "router.log", env=env) as router:
        with Publisher(settings.kafka) as publisher:
            publisher.publish_many(layout.resolved,
                                   [(r["signal_id"].encode(), json.dumps(r).encode())
                                    for r in records])
        consumer = KafkaConsumer(*[layout.delivery(p) for p in layout.recipients],
                                 bootstrap_servers=settings.kafka.bootstrap_servers,
                                 auto_offset_reset="earliest", enable_auto_commit=False)
        deadline, settle = time.monotonic() + 90, None
        try:
            while time.monotonic() < (settle or deadline):
                for batch in consumer.poll(timeout_ms=300).values():
                    for record in batch:
                        value = json.loads(record.value)
                        got[(value["recipient"], value["signal_id"])] = value
                if len(got) >= expected and settle is None:
                    settle = time.monotonic() + 2
        finally:
            consumer.close()
        assert router.returncode is None, (tmp_path / "router.log").read_text()[-2000:]
    return got


@contextmanager
def _explorer(settings: Settings, driver: Driver, registry: Registry, layout: TopicLayout,
              folder: Path) -> Iterator[tuple[str, AlertEngine]]:
    """The real explorer app for the four analysts, and an alert engine on the same graph."""
    database = settings.neo4j.database
    accounts = AccountStore(folder / "users.json")
    for name, partner in ANALYSTS.items():
        accounts.add(name, registry.clearances[partner], PASSWORD)
    rules = load_rules()
    with AuditLog(Publisher(settings.kafka, client_id="test-policy-audit"),
                  layout.audit_log, key=settings.audit_key.get_secret_value().encode()
                  ) as audit, \
            Publisher(settings.kafka, client_id="test-policy") as publisher:
        store = AlertStore(driver, database, registry)
        queries = AnalystQueries(driver, database, audit, registry)
        engine = AlertEngine(store, queries, rules, registry.clearances[rules.reviewer],
                             publisher, layout.alert_proposals)
        services = ExplorerServices(
            accounts=accounts,
            sessions=SessionStore(timedelta(minutes=30), timedelta(hours=8)),
            throttle=LoginThrottle(3, timedelta(seconds=1), timedelta(minutes=15)),
            queries=queries,
            alerts=AlertDesk(store, audit, publisher, layout.alerts_released, rules),
            reviews=ReviewDesk(queries, driver, database, audit, publisher,
                               layout.judgements),
            audit=audit, clearance_for=lambda partner: registry.clearances[partner])
        with serve_in_background(create_explorer_app(services)) as base_url:
            yield base_url, engine


def _login(base_url: str, name: str) -> httpx.Client:
    answer = httpx.post(f"{base_url}/api/session", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client = httpx.Client(base_url=base_url, timeout=60.0)
    client.cookies.update(answer.cookies)
    return client


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def test_no_answer_shows_more_of_a_signal_than_the_router_delivers(
        settings: Settings, driver: Driver, layout: TopicLayout, uid: str,
        tmp_path: Path) -> None:
    registry = _registry()
    docs = _docs(uid)
    records = dict(zip(docs, resolve_docs(list(docs.values())), strict=True))
    by_id = {r["signal_id"]: r for r in records.values()}
    entity = {e["ref"]: e["entity_id"] for r in records.values() for e in r["entities"]}
    assert len({e["entity_id"] for r in records.values() for e in r["entities"]
                if e["ref"] == "p"}) == 1, "P must resolve to one entity"

    # what each partner receives: the real router, every subscriber subscribed to everything
    _publish_registry(settings, layout, registry)
    riecs = {p for p in registry.entries if partner_kind(p) == "riec"}  # riec and the ten
    expected = {"tip-amber-criminal": riecs | {"om", "inspectie-szw", "reclassering"},
                "tip-green-prevention": riecs | {"kvk", "zorg", "gemeente:GM0599",
                                                 "inspectie-szw"},
                "care-amber-prevention": riecs | {"gemeente:GM0599", "inspectie-szw"},
                "riec-amber-admin": riecs - {"riec"} | {"gemeente:GM0599", "inspectie-szw"},
                "riec-amber-criminal": riecs - {"riec"} | {"om", "inspectie-szw",
                                                           "reclassering"},
                "kvk-green-admin": riecs | {"gemeente:GM0599", "inspectie-szw"}}
    delivered = _route(settings, layout, uid, tmp_path, list(records.values()),
                       sum(len(v) for v in expected.values()))
    assert {(p, records[k]["signal_id"]) for k, ps in expected.items() for p in ps} == \
        set(delivered)

    copies: dict[str, dict[str, dict[str, Any]]] = {}
    """partner → signal id → the signal as the partner holds it (own, or its delivery)."""
    for partner in ANALYSTS.values():
        copies[partner] = {sid: r["signal"] for sid, r in by_id.items() if r["partner"] == partner}
        copies[partner].update({sid: d["signal"] for (p, sid), d in delivered.items()
                                if p == partner})
    secrets = set().union(*(_secrets(r["signal"]) for r in records.values()))

    # the same records into the graph through the sink's own rows, and an alert about P
    write_batch(driver, settings.neo4j.database, batch_rows(list(records.values())))
    with _explorer(settings, driver, registry, layout, tmp_path) as (base_url, engine):
        engine.evaluate([entity["p"]])
        answers: dict[str, dict[str, Any]] = {}
        for analyst in ANALYSTS:
            with _login(base_url, analyst) as client:
                asked = {
                    "search": ("/api/search", {"q": docs["kvk-green-admin"]["subjects"][0][
                        "family_name"]}),
                    "profile": (f"/api/entities/{entity['p']}", {}),
                    "network": (f"/api/entities/{entity['p']}/network", {"depth": 2}),
                    "timeline P": (f"/api/entities/{entity['p']}/timeline", {}),
                    "timeline L": (f"/api/entities/{entity['l']}/timeline", {}),
                    "why P-L": ("/api/why", {"a": entity["p"], "b": entity["l"]}),
                    "why P-V": ("/api/why", {"a": entity["p"], "b": entity["v"]}),
                    "why P-B": ("/api/why", {"a": entity["p"], "b": entity["b"]}),
                    "rings": ("/api/rings", {}),
                    "clusters": ("/api/clusters", {}),
                    "reviews": ("/api/reviews", {"entity": entity["p"]}),
                    "alerts": ("/api/alerts", {}),
                }
                for what, (path, params) in asked.items():
                    answer = client.get(path, params=params)
                    assert answer.status_code in (200, 403, 404), (analyst, what, answer.text)
                    answers[f"{analyst}: {what}"] = answer.json()
                for alert in answers[f"{analyst}: alerts"].get("alerts", []):
                    if alert["anchor"] == entity["p"]:
                        shown = client.get(f"/api/alerts/{alert['alert_id']}")
                        assert shown.status_code == 200, shown.text
                        answers[f"{analyst}: alert"] = shown.json()
    assert any(k.endswith(": alert") for k in answers), "the engine proposed no alert about P"

    problems: list[str] = []
    for where, answer in answers.items():
        partner = ANALYSTS[where.split(":")[0]]
        held = copies[partner]
        allowed = set().union(set(), *(_secrets(c) for c in held.values()))
        for value in _walk(answer):
            if isinstance(value, str):
                if value in by_id and value not in held:
                    problems.append(f"{where}: shows signal {value} ({by_id[value]['partner']},"
                                    f" {by_id[value]['signal']['distribution']}) it never got")
                problems.extend(f"{where}: shows {secret!r}" for secret in secrets - allowed
                                if secret in value)
            elif isinstance(value, dict) and value.get("signal_id") in held and len(value) > 1:
                copy = held[value["signal_id"]]
                for key, shown in value.items():
                    field = RENAMED.get(key, key)
                    if shown in (None, [], "") or key not in SIGNAL_FIELDS or key == "signal_id":
                        continue
                    if field not in copy:
                        problems.append(f"{where}: signal {value['signal_id']} "
                                        f"({by_id[value['signal_id']]['partner']}) shows {key}, "
                                        f"which the copy for {partner} does not hold")
                    elif field in PLAIN_KEYS and shown != copy[field]:
                        problems.append(f"{where}: signal {value['signal_id']} shows {key} "
                                        f"{shown!r}, the copy {copy[field]!r}")
    assert not problems, "\n".join(problems)
    # the check saw signals at all: the timeline shows each partner what it holds about P
    for analyst, partner in ANALYSTS.items():
        shown = {e["signal"]["signal_id"] for e in answers[f"{analyst}: timeline P"]["entries"]}
        assert shown == set(copies[partner]), analyst
