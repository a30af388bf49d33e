"""The alert rules as pure functions over what the graph says (no database, no clock).

Inputs are ``EntityFacts``: an entity's label and its ``Sighting``s (one per signal mentioning
it, with the facts the rules need — never a narrative). Every rule first keeps only the
sightings the reviewer may see, with ``policy.clearance.may_see`` (the one policy function;
the engine's Cypher already narrowed them with ``visible_pairs``, this is the authority).

**independent-partners** (``IndependentPartnersRule``): the entity fires when, in some window of
``window_days`` ending at one of its visible signals' observed time, signals of at least
``min_partners`` distinct partners mention it and at least one of those signals has one of
``severities``. Each visible signal's time is tried as a window's end, so the answer is a
function of the evidence alone — not of the wall clock, nor of how the engine's batches cut the
stream. The evidence is every visible signal inside a qualifying window. Only entities of
``labels`` count, and a person only when a visible signal names them in ``person_roles``.
"Independent" means distinct publishing partners (each partner is its own organisation and
source); many signals of one partner count once.

**ring-regions** (``RingRegionsRule``): a ring as ``graph.analyst.rings`` finds it (a connected
component of suspects, businesses and locations with a suspect) fires when it has at least
``min_members`` members and its location members lie in at least ``min_regions`` RIEC regions
(``schemas.municipalities.region_of`` of the municipality code their visible mentions give). The
evidence is every visible signal mentioning a member.

**Anchors.** An entity finding is anchored at its entity. A ring finding is anchored, in this
order, at the anchor of an alert with the ring rule whose anchor is a member (so a growing ring
keeps its alert), else at a member that already has an alert, else at the suspect first seen
(earliest visible signal, then smallest entity id). Findings with the same anchor form one
``Plan``: one alert per anchor.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alerts.config import (
    INDEPENDENT_PARTNERS,
    RING_REGIONS,
    IndependentPartnersRule,
    RingRegionsRule,
)
from graph.analyst.model import SEVERITY_RANK
from graph.analyst.rings import RING_LABELS, RING_PERSON_ROLES
from policy.clearance import Clearance, may_see
from schemas.municipalities import region_of

PERSON = "Person"


@dataclass(frozen=True)
class Sighting:
    """One signal mentioning an entity: what the rules and the dossier use of it."""

    signal_id: str
    revision: int
    partner: str
    observed_at: datetime
    severity: str
    category: str
    distribution: str
    purpose: str
    roles: tuple[str, ...] = ()
    barrier_stages: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The signal at its revision: a revised signal is new evidence."""
        return f"{self.signal_id}@{self.revision}"


@dataclass(frozen=True)
class EntityFacts:
    """A live (canonical) entity with the signals mentioning it."""

    entity_id: str
    label: str
    sightings: tuple[Sighting, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A rule that fired: about which members, on which evidence, with the rule's details."""

    rule: str
    members: tuple[str, ...]
    evidence: tuple[Sighting, ...]
    detail: dict[str, Any] = field(default_factory=dict)


def visible(sightings: Iterable[Sighting], clearance: Clearance) -> list[Sighting]:
    """The sightings ``clearance`` may see, oldest first (then by signal id)."""
    return sorted((s for s in sightings
                   if may_see(clearance, s.distribution, s.purpose, publisher=s.partner)),
                  key=lambda s: (s.observed_at, s.signal_id))


def _named_in(seen: Iterable[Sighting], roles: Iterable[str]) -> bool:
    wanted = {str(r) for r in roles}
    return any(role in wanted for s in seen for role in s.roles)


def independent_partners(facts: EntityFacts, rule: IndependentPartnersRule,
                         clearance: Clearance) -> Finding | None:
    """The independent-partners rule for one entity (see the module docstring)."""
    if not rule.enabled or facts.label not in rule.labels:
        return None
    seen = visible(facts.sightings, clearance)
    if not seen or (facts.label == PERSON and not _named_in(seen, rule.person_roles)):
        return None
    severe = {str(s) for s in rule.severities}
    span = timedelta(days=rule.window_days)
    times = [s.observed_at for s in seen]
    partners: Counter[str] = Counter()
    severe_inside = lo = hi = covered = 0
    marked: list[Sighting] = []
    window: tuple[datetime, datetime] | None = None
    for end in sorted(set(times)):  # each distinct observed time as a window's end
        while hi < len(seen) and times[hi] <= end:
            partners[seen[hi].partner] += 1
            severe_inside += seen[hi].severity in severe
            hi += 1
        start = bisect_left(times, end - span)
        while lo < start:
            partners[seen[lo].partner] -= 1
            if not partners[seen[lo].partner]:
                del partners[seen[lo].partner]
            severe_inside -= seen[lo].severity in severe
            lo += 1
        if len(partners) >= rule.min_partners and severe_inside:
            marked.extend(seen[max(lo, covered):hi])
            covered, window = hi, (end - span, end)
    if window is None:
        return None
    return Finding(INDEPENDENT_PARTNERS, (facts.entity_id,), tuple(marked), {
        "window_days": rule.window_days,
        "window": {"from": window[0].isoformat(), "to": window[1].isoformat()},
        "partners": sorted({s.partner for s in marked}),
        "max_severity": max_severity(marked),
    })


def ring_eligible(facts: EntityFacts, clearance: Clearance) -> bool:
    """Whether a ring search may start from the entity: a ring type (business, location), or
    a person a visible signal names suspect or facilitator."""
    if facts.label not in RING_LABELS:
        return False
    seen = visible(facts.sightings, clearance)
    return bool(seen) and (facts.label != PERSON or _named_in(seen, RING_PERSON_ROLES))


def ring_regions(members: Sequence[str], municipalities: Mapping[str, str | None],
                 facts: Mapping[str, EntityFacts], rule: RingRegionsRule,
                 clearance: Clearance) -> Finding | None:
    """The ring-regions rule for one ring: ``members`` its entity ids, ``municipalities`` the
    municipality code of each location member (from its visible mentions)."""
    if not rule.enabled or len(members) < rule.min_members:
        return None
    inside = set(members)
    regions: dict[str, set[str]] = {}
    for member, code in municipalities.items():
        region = region_of(code) if member in inside else None
        if region is not None and code is not None:
            regions.setdefault(region, set()).add(code)
    if len(regions) < rule.min_regions:
        return None
    evidence = _union(visible(facts[m].sightings, clearance) for m in members if m in facts)
    suspects = sorted(m for m in members if m in facts and facts[m].label == PERSON
                      and _named_in(visible(facts[m].sightings, clearance), RING_PERSON_ROLES))
    return Finding(RING_REGIONS, tuple(sorted(members)), evidence, {
        "size": len(members),
        "regions": {r: sorted(codes) for r, codes in sorted(regions.items())},
        "suspects": suspects,
        "partners": sorted({s.partner for s in evidence}),
        "max_severity": max_severity(evidence),
    })


@dataclass(frozen=True)
class AlertState:
    """An alert as the graph holds it (``anchor``: its anchor after following merges)."""

    alert_id: str
    anchor: str
    status: str
    version: int
    rules: tuple[str, ...] = ()
    evidence_keys: tuple[str, ...] = ()
    fingerprint: str = ""
    sent_version: int = 0
    created_at: datetime | None = None
    decisions: tuple[Mapping[str, Any], ...] = ()
    """Earlier approvals and rejections, oldest first."""


def ring_anchor(members: Sequence[str], facts: Mapping[str, EntityFacts], clearance: Clearance,
                existing: Iterable[AlertState]) -> tuple[str, str]:
    """The anchor of a ring's alert and why it was chosen (see the module docstring)."""
    inside = set(members)
    known = sorted((a for a in existing if a.anchor in inside),
                   key=lambda a: (RING_REGIONS not in a.rules, a.created_at is None,
                                  a.created_at or datetime.min, a.alert_id))
    if known:
        reason = "anchor of the ring's alert" if RING_REGIONS in known[0].rules \
            else "member with an alert"
        return known[0].anchor, reason

    def first_seen(member: str) -> tuple[datetime, str]:
        return visible(facts[member].sightings, clearance)[0].observed_at, member

    suspects = [m for m in members if m in facts and facts[m].label == PERSON
                and _named_in(visible(facts[m].sightings, clearance), RING_PERSON_ROLES)]
    seen_members = [m for m in (suspects or members)
                    if m in facts and visible(facts[m].sightings, clearance)]
    if not seen_members:
        return min(members), "smallest member id"
    return min(seen_members, key=first_seen), "suspect first seen" if suspects \
        else "member first seen"


@dataclass(frozen=True)
class Plan:
    """What the alert of one anchor says now: the findings that fired for it."""

    anchor: str
    findings: tuple[Finding, ...]
    anchor_reason: str = "entity"

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(sorted({f.rule for f in self.findings}))

    @property
    def members(self) -> tuple[str, ...]:
        """The anchor first, then every other member, sorted."""
        others = {m for f in self.findings for m in f.members} - {self.anchor}
        return (self.anchor, *sorted(others))

    @property
    def evidence(self) -> tuple[Sighting, ...]:
        return _union(f.evidence for f in self.findings)

    @property
    def evidence_keys(self) -> tuple[str, ...]:
        return tuple(sorted(s.key for s in self.evidence))

    @property
    def fingerprint(self) -> str:
        """Equal for equal evaluations: an unchanged evaluation changes nothing."""
        doc = {"anchor": self.anchor, "rules": self.rules, "members": self.members,
               "evidence": self.evidence_keys}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def plans(findings: Iterable[tuple[str, Finding]], reasons: Mapping[str, str] | None = None
          ) -> dict[str, Plan]:
    """Group ``(anchor, finding)`` pairs into one plan per anchor."""
    grouped: dict[str, dict[str, Finding]] = {}
    for anchor, finding in findings:
        grouped.setdefault(anchor, {})[finding.rule] = finding
    return {anchor: Plan(anchor, tuple(by_rule[r] for r in sorted(by_rule)),
                         (reasons or {}).get(anchor, "entity"))
            for anchor, by_rule in sorted(grouped.items())}


def max_severity(sightings: Iterable[Sighting]) -> str | None:
    ranked = [s.severity for s in sightings if s.severity in SEVERITY_RANK]
    return max(ranked, key=SEVERITY_RANK.__getitem__) if ranked else None


def _union(groups: Iterable[Iterable[Sighting]]) -> tuple[Sighting, ...]:
    """One sighting per signal (its newest revision), oldest first."""
    by_id: dict[str, Sighting] = {}
    for group in groups:
        for s in group:
            held = by_id.get(s.signal_id)
            if held is None or s.revision > held.revision:
                by_id[s.signal_id] = s
    return tuple(sorted(by_id.values(), key=lambda s: (s.observed_at, s.signal_id)))
