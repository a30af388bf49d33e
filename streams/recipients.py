"""Routing: for one resolved signal, who receives it and which copy each receives.

A partner receives a signal when it has the ``subscriber`` role and a delivery topic, is not its
publisher, may see it (``policy.view.visible_fields``; an unknown publisher counts as the most
sensitive source, ``policy.view.source_of``) and one of its subscriptions matches
(``matches``). Its copy holds only the fields it may see, lists what was taken out, and names the
subscriptions that matched and the registry version that decided. A copy's ``delivery_id`` is
the same every time the same revision is routed to the same partner, so a replay is a retry the
receiver can recognise, never a second delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from policy.registry import Registry, Subscription
from policy.view import redact, source_of, visible_fields
from schemas.contract import validate
from schemas.delivery import DeliveredEntity, Delivery
from schemas.graph_model import has_postal_address
from schemas.municipalities import address_municipality, region_of
from schemas.resolved import ResolvedRecord

DELIVERY_NAMESPACE = uuid.UUID("0b6c3f36-5d6e-5c89-9d7e-64656c697672")


@dataclass(frozen=True)
class Facts:
    """What subscriptions filter on, read once from a resolved record."""

    municipalities: frozenset[str]
    regions: frozenset[str]
    category: str
    barrier_stages: frozenset[str]
    indicators: frozenset[str]
    subject_roles: frozenset[str]
    max_risk: float
    entity_ids: frozenset[str]
    seen_before_by: frozenset[str]

    @classmethod
    def of(cls, record: ResolvedRecord | Mapping[str, Any]) -> Facts:
        record = validate(ResolvedRecord, record)
        signal = record.signal
        municipalities = {code for subject in signal.get("subjects") or ()
                          if has_postal_address(subject["type"])  # an e-mail's is no place
                          and (code := address_municipality(subject.get("address")))}
        entity_ids = {e.entity_id for e in record.entities}
        entity_ids |= {m.merged for m in record.merges}
        return cls(
            municipalities=frozenset(municipalities),
            regions=frozenset(r for m in municipalities if (r := region_of(m))),
            category=signal["category"],
            barrier_stages=frozenset(signal.get("barrier_stages") or ()),
            indicators=frozenset(signal.get("indicators") or ()),
            subject_roles=frozenset(s["role"] for s in signal.get("subjects") or ()),
            max_risk=max((float(r.score) for r in record.risk.values()), default=0.0),
            entity_ids=frozenset(entity_ids),
            seen_before_by=frozenset(record.corroborated_by),
        )


def matches(subscription: Subscription, facts: Facts, partner: str) -> bool:
    """Whether every filter the subscription sets holds (a list filter: any of its values)."""
    s = subscription
    return ((not s.municipalities or bool(facts.municipalities & set(s.municipalities)))
            and (not s.regions or bool(facts.regions & set(s.regions)))
            and (not s.categories or facts.category in s.categories)
            and (not s.barrier_stages or bool(facts.barrier_stages & set(s.barrier_stages)))
            and (not s.indicators or bool(facts.indicators & set(s.indicators)))
            and (not s.subject_roles or bool(facts.subject_roles & set(s.subject_roles)))
            and (s.min_risk is None or facts.max_risk >= s.min_risk)
            and (not s.watchlist or bool(facts.entity_ids & set(s.watchlist)))
            and (not s.own_entities or partner in facts.seen_before_by))


@dataclass(frozen=True)
class Routed:
    """One copy for one recipient: produced to ``deliveries.<recipient>`` keyed by signal id."""

    recipient: str
    key: bytes
    delivery: Delivery

    @property
    def value(self) -> dict[str, Any]:
        """The copy's JSON value as a dict (what the recipient receives)."""
        return self.delivery.model_dump(mode="json")


def delivery_id(signal_id: str, revision: int, recipient: str) -> str:
    return str(uuid.uuid5(DELIVERY_NAMESPACE, f"{signal_id}/{revision}/{recipient}"))


def route(record: ResolvedRecord | Mapping[str, Any], registry: Registry,
          recipients: Collection[str], routed_at: datetime) -> list[Routed]:
    """The deliveries of one ``signals.resolved`` record (the model, or its JSON as a dict);
    ``recipients`` are the partners with a delivery topic."""
    record = validate(ResolvedRecord, record)
    signal = record.signal
    publisher = record.partner
    source = source_of(registry, publisher)
    facts = Facts.of(record)
    out = []
    for partner, entry in sorted(registry.entries.items()):
        if partner == publisher or partner not in recipients or "subscriber" not in entry.roles:
            continue
        fields = visible_fields(registry.clearances[partner], signal["distribution"],
                                signal["purpose"], publisher=publisher, publisher_source=source)
        if not fields:
            continue
        matched = [s.name for s in entry.subscriptions if matches(s, facts, partner)]
        if not matched:
            continue
        copy = redact(signal, fields)
        refs = {s.get("ref") for s in copy.doc["subjects"]}
        out.append(Routed(partner, record.signal_id.encode(), Delivery(
            delivery_id=delivery_id(record.signal_id, record.revision, partner),
            recipient=partner,
            signal_id=record.signal_id,
            revision=record.revision,
            routed_at=routed_at.isoformat(),
            registry_version=registry.version,
            subscriptions=matched,
            redacted=list(copy.removed),
            signal=copy.doc,
            entities=[DeliveredEntity(ref=e.ref, type=e.type, role=e.role, entity_id=e.entity_id)
                      for e in record.entities if e.ref in refs],
        )))
    return out
