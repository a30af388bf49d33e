"""What a run gathers after the pipeline caught up, for the checks: the resolved records of the
run's signals, which entity each world id's mentions became, the explorer as each partner's
analyst, the deliveries, and the texts ``never_anywhere`` searches."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kafka import KafkaAdminClient

from core.audit import AuditLog
from core.kafka_clients import client_options
from core.neo4j_driver import open_driver
from core.topic_reader import read_to_end
from explorer.accounts import AccountStore
from graph.analyst.model import Waterbed
from graph.queries import AnalystQueries
from ketenlink.scenario.analyst import Analyst
from ketenlink.scenario.model import Scenario
from ketenlink.scenario.partners import PartnerMapping, map_partner
from ketenlink.scenario.publish import Outcome
from ketenlink.scenario.translate import Translation
from ketenlink.scenario.world import Platform
from policy.clearance import Caller
from policy.registry import clearance_for
from producers.deidentify import national_digits

DEFAULT_VIEWER = "riec"
"""The analysts' partner used for questions not asked as a named partner."""


def world_ids_in(value: Any, world: set[str]) -> Iterator[str]:
    """Every world id a signal's fields name (as a value or a key, at any depth)."""
    if isinstance(value, str):
        if value in world:
            yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from world_ids_in(key, world)
            yield from world_ids_in(inner, world)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from world_ids_in(inner, world)


def _same_value(kind: str, world: str, subject: dict[str, Any]) -> bool:
    """Whether a subject an adapter extracted is this world thing (tips name no world ids)."""
    if kind == "phone" and subject.get("type") == "phone":
        return national_digits(world) == national_digits(str(subject.get("number", "")))
    squash = re.compile(r"[\s\-]")
    theirs = {"vehicle": "plate", "email": "address", "website": "url", "iban": "iban"}.get(kind)
    return bool(theirs and squash.sub("", str(subject.get(theirs, ""))).lower()
                == squash.sub("", world).lower())


@dataclass
class Evidence:
    scenario: Scenario
    translation: Translation
    outcome: Outcome
    platform: Platform
    answers: list[str] = field(default_factory=list)
    _analysts: dict[str, Analyst] = field(default_factory=dict)
    _canonical: dict[str, str] = field(default_factory=dict)

    # --- partners and signals ----------------------------------------------------------------
    def partner(self, scenario_id: str) -> PartnerMapping:
        return map_partner(scenario_id, self.platform.registry)

    def analyst(self, platform_partner: str) -> Analyst:
        if platform_partner not in self._analysts:
            self._analysts[platform_partner] = Analyst(
                self.platform.explorer_url, AccountStore(self.platform.settings.explorer.users_file),
                platform_partner, self.answers)
        return self._analysts[platform_partner]

    def close(self) -> None:
        for analyst in self._analysts.values():
            analyst.close()

    def signal_id(self, scenario_signal: str) -> str | None:
        sent = self.outcome.signals.get(scenario_signal)
        return str(sent[-1].signal_id) if sent else None

    def unsent(self, scenario_signal: str) -> str | None:
        """Why a scenario signal did not reach Kafka (None when it did)."""
        return self.translation.not_sent.get(scenario_signal) \
            or self.outcome.refused.get(scenario_signal)

    @cached_property
    def tainted(self) -> dict[str, list[str]]:
        """World id -> why some of its mentions never reached the platform."""
        world = self.scenario.world_ids()
        named: dict[str, set[str]] = {}
        for record in self.translation.records:  # what the record names besides (a director)
            if record.signal:
                named.setdefault(record.signal, set()).update(w for w, _ in record.mentions)
        out: dict[str, list[str]] = {}
        for signal in self.scenario.signals:
            why = self.unsent(signal.id)
            if why:
                for world_id in sorted({*world_ids_in(signal.fields, world),
                                        *named.get(signal.id, set())}):
                    out.setdefault(world_id, []).append(f"{signal.id}: {why}")
        return out

    # --- the pipeline's output ---------------------------------------------------------------
    @cached_property
    def resolved(self) -> dict[str, list[dict[str, Any]]]:
        """Platform signal id -> its records on ``signals.resolved`` (in order)."""
        ids = {str(s.signal_id) for sent in self.outcome.signals.values() for s in sent}
        out: dict[str, list[dict[str, Any]]] = {}
        for record in read_to_end(self.platform.settings.kafka, self.platform.layout.resolved):
            doc = json.loads(record.value)
            if doc.get("signal_id") in ids:
                out.setdefault(doc["signal_id"], []).append(doc)
        return out

    def entities_of_signal(self, scenario_signal: str) -> dict[str, str]:
        """Subject ref -> entity id in the latest resolved record of a scenario signal."""
        sid = self.signal_id(scenario_signal)
        records = self.resolved.get(sid or "", [])
        if not records:
            return {}
        latest = max(records, key=lambda r: int(r["revision"]))
        return {str(e["ref"]): self.canonical(str(e["entity_id"])) for e in latest["entities"]}

    def canonical(self, entity_id: str) -> str:
        """The live entity an id answers with in the explorer (a merged id redirects)."""
        if entity_id not in self._canonical:
            status, body = self.analyst(DEFAULT_VIEWER).get(f"/api/entities/{entity_id}")
            self._canonical[entity_id] = body["profile"]["anchor"]["entity_id"] \
                if status == 200 else entity_id
        return self._canonical[entity_id]

    @cached_property
    def mentions(self) -> dict[str, dict[str, str]]:
        """World id -> {scenario signal id: the entity its mention there resolved to}."""
        out: dict[str, dict[str, str]] = {}
        records = {r.signal: r for r in self.translation.records if r.signal}
        for scenario_signal, sent in self.outcome.signals.items():
            by_ref = self.entities_of_signal(scenario_signal)
            named = dict(records[scenario_signal].mentions)
            for thing_id, thing in self.scenario.things.items():  # extracted from free text
                for subject in sent[-1].model_dump(mode="json")["subjects"]:
                    if _same_value(thing.type, thing.value, subject):
                        named.setdefault(thing_id, str(subject["ref"]))
            for world_id, ref in named.items():
                if ref.lower() in by_ref:
                    out.setdefault(world_id, {})[scenario_signal] = by_ref[ref.lower()]
        return out

    def entities(self, world_id: str) -> set[str]:
        return set(self.mentions.get(world_id, {}).values())

    def waterbed(self, platform_partner: str, municipality: str, after: str) -> Waterbed:
        """The analysts' waterbed query (``ketenlink graph waterbed``) as this partner."""
        settings = self.platform.settings
        registry = self.platform.registry
        caller = Caller(f"scenario-{self.platform.run_id}", platform_partner,
                        clearance_for(platform_partner, registry.clearances))
        with open_driver(settings.neo4j) as driver, AuditLog.open(settings) as audit:
            return AnalystQueries(driver, settings.neo4j.database, audit, registry).waterbed(
                caller, municipality, after)

    def deliveries(self, platform_partner: str) -> set[str]:
        """The signal ids on a partner's delivery topic."""
        return set(self.delivered(platform_partner))

    def delivered(self, platform_partner: str) -> dict[str, dict[str, Any]]:
        """Signal id -> the last copy of it on a partner's delivery topic."""
        topic = self.platform.layout.delivery(platform_partner)
        copies = (json.loads(r.value) for r in read_to_end(self.platform.settings.kafka, topic)
                  if r.value)
        return {str(c.get("signal_id")): c for c in copies}

    # --- everything the run produced, as text ------------------------------------------------
    def texts(self) -> dict[str, str]:
        """Place -> text: every topic after the source (changelogs too), the graph around the
        run's signals, the services' logs, and the explorer's answers so far."""
        settings, layout = self.platform.settings, self.platform.layout
        admin = KafkaAdminClient(**client_options(settings.kafka))
        try:
            topics = sorted(admin.list_topics())
        finally:
            admin.close()
        inbound = set(layout.inbound())
        out: dict[str, str] = {}
        for topic in topics:
            if topic in inbound or not topic.startswith((settings.topic_prefix,
                                                         f"{settings.faust_app_id}-")):
                continue
            out[f"topic {topic}"] = "\n".join(
                f"{(r.key or b'').decode(errors='replace')} {(r.value or b'').decode(errors='replace')} "
                f"{[(k, v.decode(errors='replace')) for k, v in (r.headers or [])]}"
                for r in read_to_end(settings.kafka, topic))
        ids = [str(s.signal_id) for sent in self.outcome.signals.values() for s in sent]
        with open_driver(settings.neo4j) as driver:
            records, _, _ = driver.execute_query(
                "MATCH (s:Signal) WHERE s.signal_id IN $ids OPTIONAL MATCH (s)-[r]-(n) "
                "RETURN properties(s) AS s, collect(properties(r)) AS r, collect(properties(n)) AS n",
                ids=ids, database_=settings.neo4j.database)
        out["neo4j"] = json.dumps([r.data() for r in records], default=str, ensure_ascii=False)
        for log_file in sorted(self.platform.services.log_dir.glob("*.log")):
            out[f"log {log_file.name}"] = log_file.read_text(errors="replace")
        out["explorer answers"] = "\n".join(self.answers)
        return out
