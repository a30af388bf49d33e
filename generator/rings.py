"""Trafficking rings of the hidden world: suspects, victims, businesses at shared addresses,
phones, accounts and vehicles across several municipalities, and the KvK registration events that
betray them (shared address, serial straw-man director, quick succession, the waterbed move)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from generator import places, sectors
from generator.entities import (
    Account,
    Address,
    Business,
    Email,
    Entity,
    Person,
    Phone,
    Vehicle,
    Website,
    Window,
)
from generator.factory import Factory
from generator.names import RING_ORIGINS

FORMS = ("seksueel", "arbeid", "crimineel")
_FORM_WEIGHTS = (4, 4, 2)
_AD_SITES = ("https://www.privehuisjes.nl/advertentie/{n}", "https://www.date-dames.nl/profiel/{n}",
             "https://www.massage-salons.nl/salon/{n}", "https://www.werkeninnederland.eu/vacature/{n}")


@dataclass(frozen=True, slots=True)
class KvkEvent:
    """One registration event of a ring business, as KvK would record it."""

    day: date
    kind: str
    """inschrijving, adreswijziging, functionariswijziging or opheffing."""
    business: Business
    address: Address
    director: Person | None
    role: str | None


@dataclass(slots=True)
class Ring:
    id: str
    form: str
    origin: str
    home: int
    second: int
    moved_to: int | None
    move_date: date | None
    suspects: list[Person] = field(default_factory=list)
    suspect_roles: list[str] = field(default_factory=list)
    victims: list[Person] = field(default_factory=list)
    housing: list[tuple[int, Address]] = field(default_factory=list)
    """(phase, address): phase 0 before the move, 1 after."""
    businesses: list[Business] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    websites: list[Website] = field(default_factory=list)
    kvk_events: list[KvkEvent] = field(default_factory=list)

    def phase(self, day: date) -> int:
        return int(self.move_date is not None and day >= self.move_date)

    def housing_on(self, day: date) -> list[Address]:
        phase = self.phase(day)
        found = [a for p, a in self.housing if p == phase]
        return found or [a for _, a in self.housing]

    def businesses_on(self, day: date) -> list[Business]:
        return [b for b in self.businesses if b.active_on(day)] or self.businesses

    def municipality_on(self, day: date) -> int:
        return self.moved_to if self.phase(day) and self.moved_to is not None else self.home

    def municipalities(self) -> list[int]:
        found = [self.home, self.second] + ([self.moved_to] if self.moved_to is not None else [])
        for _, address in self.housing:
            found.append(address.municipality)
        return sorted(set(found))


def _pick_home(rng: random.Random, factory: Factory) -> int:
    while True:
        mi = factory.municipality()
        if places.neighbours(mi):
            return mi


def build_ring(rng: random.Random, factory: Factory, window: Window, number: int,
               scale: int) -> Ring:
    """One ring; ``scale`` (1..) grows the number of victims and means with the export size."""
    form = rng.choices(FORMS, _FORM_WEIGHTS)[0]
    origin = rng.choice(RING_ORIGINS[form])
    home = _pick_home(rng, factory)
    near = list(places.neighbours(home))
    second = rng.choice(near)
    waterbed = rng.random() < 0.5
    moved_to = None
    move_date = None
    if waterbed:
        others = [m for m in near if m != second] or near
        moved_to = rng.choice(others)
        move_date = window.day(rng.uniform(0.45, 0.7))
    ring = Ring(f"R{number:03d}", form, origin, home, second, moved_to, move_date)
    rid = ring.id

    # housing: several addresses in home and second municipality, later in the new one
    for _ in range(rng.randint(1, 2)):
        ring.housing.append((0, factory.address(home, rid)))
    ring.housing.append((0, factory.address(second, rid)))
    if moved_to is not None:
        for _ in range(rng.randint(1, 2)):
            ring.housing.append((1, factory.address(moved_to, rid)))

    # suspects: a leader and recruiters of the origin, a Dutch straw man, a driver
    extra = ("werver", "handlanger", "boekhouder")[: rng.randint(0, 1 + min(scale, 2))]
    roles = ["leider", "werver", "katvanger", "chauffeur", *extra]
    for role in roles:
        dutch = role == "katvanger" and rng.random() < 0.7
        nationality = "NL" if dutch else origin
        mi = rng.choice((home, second, home))
        person = factory.person(nationality=nationality, female=rng.random() < 0.25,
                                ages=(21, 58) if role != "katvanger" else (19, 70),
                                role="verdachte", ring=rid,
                                home=factory.address(mi, rid) if rng.random() < 0.7 else None,
                                phone=0.95, email=0.4)
        ring.suspects.append(person)
        ring.suspect_roles.append(role)
        if person.phone:
            ring.phones.append(person.phone)
        if person.email:
            ring.emails.append(person.email)
    shared_phone = factory.phone(None, rid)  # a prepaid "work phone" several suspects use
    ring.phones.append(shared_phone)

    # victims
    victim_origin = origin if origin != "NL" or form == "crimineel" else rng.choice(RING_ORIGINS[form])
    for _ in range(rng.randint(3, 5 + 3 * scale)):
        minor = rng.random() < {"crimineel": 0.5, "seksueel": 0.15}.get(form, 0.0)
        housing = rng.choice([a for p, a in ring.housing if p == 0])
        victim = factory.person(
            nationality=victim_origin if rng.random() < 0.8 else rng.choice(RING_ORIGINS[form]),
            female=rng.random() < (0.9 if form == "seksueel" else 0.35),
            ages=(15, 17) if minor else (18, 34), role="slachtoffer", ring=rid, home=housing,
            phone=0.5, email=0.1)
        ring.victims.append(victim)
        if victim.phone:
            ring.phones.append(victim.phone)

    # money and vehicles
    ring.accounts.append(factory.account(rid))
    for _ in range(rng.randint(1, 2 + scale // 2)):
        foreign = origin if origin in ("RO", "BG", "PL", "LT") else "XX"
        ring.accounts.append(factory.account(rid, foreign if rng.random() < 0.6 else None))
    for _ in range(rng.randint(1, 2 + scale // 2)):
        ring.vehicles.append(factory.vehicle(rid, van=form == "arbeid" or rng.random() < 0.3))
    if form == "seksueel" or rng.random() < 0.3:
        for _ in range(rng.randint(1, 2 + scale // 2)):
            site = rng.choice(_AD_SITES[:3] if form == "seksueel" else _AD_SITES[3:])
            ring.websites.append(factory.website(site, rid))

    _plan_businesses(rng, factory, window, ring)
    return ring


def _clamp(window: Window, day: date) -> date | None:
    return day if day <= window.end else None


def _plan_businesses(rng: random.Random, factory: Factory, window: Window, ring: Ring) -> None:
    """Businesses and their KvK events: three registered at one shared address, a straw man
    directing three of which two close within 24 months, a quick re-registration where one closed,
    and (waterbed) a move and new registrations in the neighbouring municipality."""
    rid, start = ring.id, window.start
    sbis = sectors.RING_SBI[ring.form]
    straw = ring.suspects[ring.suspect_roles.index("katvanger")]
    leader = ring.suspects[0]
    others = ring.suspects[1:]
    shared = factory.address(ring.home, rid)
    events: list[KvkEvent] = []

    def register(day: date, mi: int, address: Address, director: Person, life: int | None) -> Business:
        closed = _clamp(window, day + timedelta(days=life)) if life else None
        business = factory.business(sbi=rng.choice(sbis), mi=mi, address=address, director=director,
                                    registered=day, closed=closed, ring=rid)
        events.append(KvkEvent(day, "inschrijving", business, address, director, business.directors[0][2]))
        if closed:
            named = rng.random() < 0.5
            events.append(KvkEvent(closed, "opheffing", business, address, director if named else None,
                                   business.directors[0][2] if named else None))
        ring.businesses.append(business)
        return business

    span = window.days
    early = [start + timedelta(days=rng.randint(5, span * 35 // 100)) for _ in range(3)]
    early.sort()
    # three at the shared address; the straw man directs the first two, the first closes early
    register(early[0], ring.home, shared, straw, rng.randint(120, 420))
    register(early[1], ring.home, shared, straw, None)
    register(early[2], ring.home, shared, rng.choice(others), None)
    # the straw man's third business elsewhere, closed within a year; then quick succession there
    elsewhere = factory.address(ring.second, rid)
    day = start + timedelta(days=rng.randint(10, span // 4))
    third = register(day, ring.second, elsewhere, straw, rng.randint(100, 360))
    if third.closed:
        again = _clamp(window, third.closed + timedelta(days=rng.randint(15, 170)))
        if again:
            register(again, ring.second, elsewhere, rng.choice(others), None)
    # a business registered before the export, run by the leader (no inschrijving in the export)
    old = factory.business(sbi=rng.choice(sbis), mi=ring.home, address=factory.address(ring.home, rid),
                           director=leader, registered=start - timedelta(days=rng.randint(200, 2000)),
                           closed=None, ring=rid)
    ring.businesses.append(old)
    # a change of director: the leader hands a business to another suspect
    target = ring.businesses[2]
    change = _clamp(window, target.registered + timedelta(days=rng.randint(60, 300)))
    if change and (target.closed is None or change < target.closed):
        new_director = rng.choice([s for s in ring.suspects if s is not target.directors[0][1]])
        role = target.directors[0][2]
        updated = replace(target, directors=(*target.directors, (change, new_director, role)))
        _swap(ring, events, target, updated)
        events.append(KvkEvent(change, "functionariswijziging", updated, updated.address_on(change),
                               new_director, role))
    # waterbed: at the move, one business moves along, one closes, new ones open next door
    if ring.moved_to is not None and ring.move_date is not None:
        moved_to, move = ring.moved_to, ring.move_date
        mover = ring.businesses[1]
        new_address = factory.address(moved_to, rid)
        day = move + timedelta(days=rng.randint(0, 30))
        if mover.closed is None and _clamp(window, day):
            updated = replace(mover, addresses=(*mover.addresses, (day, new_address)))
            _swap(ring, events, mover, updated)
            events.append(KvkEvent(day, "adreswijziging", updated, new_address, None, None))
        closer = ring.businesses[2] if ring.businesses[2].closed is None else old
        last = max((e.day for e in events if e.business is closer), default=start)
        close_day = _clamp(window, max(move + timedelta(days=rng.randint(0, 40)),
                                       last + timedelta(days=rng.randint(7, 30))))
        if close_day and closer.closed is None:
            updated = replace(closer, closed=close_day)
            _swap(ring, events, closer, updated)
            director, role = updated.director_on(close_day)
            events.append(KvkEvent(close_day, "opheffing", updated, updated.address_on(close_day),
                                   director, role))
        for _ in range(rng.randint(1, 2)):
            day_new = _clamp(window, move + timedelta(days=rng.randint(10, 90)))
            if day_new:
                register(day_new, moved_to, rng.choice((new_address, factory.address(moved_to, rid))),
                         rng.choice((straw, leader, *others)), None)
    events.sort(key=lambda e: (e.day, e.business.id, e.kind))
    ring.kvk_events = events


def _swap(ring: Ring, events: list[KvkEvent], old: Business, new: Business) -> None:
    """Replace a business by its updated version everywhere in the ring's plan."""
    ring.businesses = [new if b is old else b for b in ring.businesses]
    events[:] = [replace(e, business=new) if e.business is old else e for e in events]


def members(ring: Ring) -> list[Entity]:
    """Every entity of the ring once, in a fixed order (persons, their means, businesses, ...)."""
    found: dict[str, Entity] = {}

    def add(entity: Entity | None) -> None:
        if entity is not None and entity.ring == ring.id and entity.id not in found:
            found[entity.id] = entity

    for person in (*ring.suspects, *ring.victims):
        add(person)
        add(person.address)
        add(person.phone)
        add(person.email)
    for _, address in ring.housing:
        add(address)
    for business in ring.businesses:
        add(business)
        for _, address in business.addresses:
            add(address)
        add(business.phone)
        add(business.email)
        add(business.website)
    for means in (ring.phones, ring.accounts, ring.vehicles, ring.emails, ring.websites):
        for entity in means:
            add(entity)
    return list(found.values())
