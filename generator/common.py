"""What every partner writer shares: the draft of one record with the true entities it mentions,
timestamps, bounded pools of recent entities, and the world the writers draw from."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from generator import noise
from generator.entities import Address, Business, Person, Window
from generator.factory import Factory
from generator.rings import Ring
from generator.sectors import INNOCENT_SBI_WEIGHTS

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Mention:
    """One subject of a record and the true entity behind it."""

    subject: str
    """Where in the record: a RIEC subject id ('s1'), a field ('functionaris', 'begeleider'),
    or 'tekst' for something written in a tip's free text."""
    type: str
    """persoon, bedrijf, adres, telefoon, rekening, voertuig, email or website."""
    entity: str
    ring: str | None
    surface: str | None = None
    """The literal text of a mention in free text."""
    reporter: bool = False
    """The reporter's own phone or e-mail address, written in the text."""

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"subject": self.subject, "type": self.type, "entity": self.entity,
                               "ring": self.ring}
        if self.surface is not None:
            doc["surface"] = self.surface
        if self.reporter:
            doc["reporter"] = True
        return doc


@dataclass(slots=True)
class Draft:
    """One native record before it is written."""

    ref: str
    payload: Any
    """A JSON object (dict) or a CSV row (list of str)."""
    mentions: list[Mention]
    ring: str | None


@dataclass(frozen=True, slots=True)
class Corrupted:
    """A deliberately invalid version of a record."""

    line: str
    reason: str
    field: str | None


class Source(Protocol):
    """Makes one partner's records."""

    file: str
    header: str | None

    def next(self, day: date) -> Draft: ...

    def serialize(self, payload: Any) -> str: ...

    def revise(self, draft: Draft) -> tuple[Any, list[str]]: ...

    def invalidate(self, draft: Draft) -> Corrupted: ...


class Pool(Generic[T]):
    """A bounded sample of recent entities, so partners sometimes mention the same innocent
    business or person (replacement is random, so old ones linger)."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng, self.size = rng, size
        self.items: list[T] = []

    def add(self, item: T) -> None:
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            self.items[self.rng.randrange(self.size)] = item

    def pick(self) -> T | None:
        return self.rng.choice(self.items) if self.items else None


@dataclass(slots=True)
class World:
    """The hidden true world the partner writers draw from."""

    rng: random.Random
    window: Window
    factory: Factory
    rings: list[Ring]
    businesses: Pool[Business] = field(init=False)
    people: Pool[Person] = field(init=False)

    def __post_init__(self) -> None:
        self.businesses = Pool(self.rng, 4000)
        self.people = Pool(self.rng, 4000)

    def ring(self) -> Ring:
        return self.rng.choice(self.rings)

    def innocent_business(self, day: date, reuse: float = 0.6) -> Business:
        """An ordinary business: one seen before in the KvK export, or a new one."""
        known = self.businesses.pick() if self.rng.random() < reuse else None
        if known is not None:
            return known
        rng = self.rng
        mi = self.factory.municipality()
        sbi = rng.choices(tuple(INNOCENT_SBI_WEIGHTS), tuple(INNOCENT_SBI_WEIGHTS.values()))[0]
        owner = self.innocent_person(mi)
        business = self.factory.business(
            sbi=sbi, mi=mi, address=self.factory.address(mi, reuse=0.05), director=owner,
            registered=self.window.start - timedelta(days=rng.randint(200, 15 * 365)),
            closed=None, ring=None)
        self.businesses.add(business)
        return business

    def innocent_person(self, mi: int | None = None, reuse: float = 0.0) -> Person:
        known = self.people.pick() if reuse and self.rng.random() < reuse else None
        if known is not None:
            return known
        person = self.factory.innocent_person(mi)
        self.people.add(person)
        return person


def timestamp(day: date, minute: int) -> str:
    """ISO 8601 with the Dutch offset of that day, e.g. ``2026-03-04T10:12:00+01:00``."""
    moment = datetime.combine(day, time(minute // 60 % 24, minute % 60), tzinfo=AMSTERDAM)
    return moment.isoformat()


def address_doc(rng: random.Random, address: Address, level: float, full: bool = True) -> dict[str, Any]:
    """A partner's ``adres`` object; noise on the postcode, optional fields sometimes missing."""
    p = address.parts
    doc: dict[str, Any] = {"straat": p.street, "huisnummer": p.number}
    if p.addition:
        doc["toevoeging"] = p.addition
    doc["postcode"] = noise.postcode(rng, p.postcode, level)
    doc["plaats"] = p.place
    if full:
        if rng.random() > level / 2:
            doc["gemeente"] = p.municipality
        doc["land"] = "NL"
    return doc
