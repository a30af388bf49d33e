"""The true entities of the hidden world: what partners write about, each with a stable id and
the ring it belongs to (None for the innocent majority)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from generator.codes import PhoneNumber
from generator.names import Name
from generator.places import AddressParts


@dataclass(frozen=True, slots=True)
class Window:
    """The period the exports cover (both ends included)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def day(self, fraction: float) -> date:
        """The day a fraction (0..1) of the way through the window."""
        return self.start + timedelta(days=min(self.days - 1, max(0, int(fraction * self.days))))


@dataclass(frozen=True, slots=True)
class Address:
    id: str
    parts: AddressParts
    municipality: int
    """Index into places.MUNICIPALITIES."""
    ring: str | None


@dataclass(frozen=True, slots=True)
class Phone:
    id: str
    number: PhoneNumber
    ring: str | None


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    iban: str
    ring: str | None


@dataclass(frozen=True, slots=True)
class Vehicle:
    id: str
    plate: str
    ring: str | None


@dataclass(frozen=True, slots=True)
class Email:
    id: str
    address: str
    ring: str | None


@dataclass(frozen=True, slots=True)
class Website:
    id: str
    url: str
    ring: str | None


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: Name
    female: bool
    birth: date
    nationality: str
    bsn: str | None
    address: Address | None
    phone: Phone | None
    email: Email | None
    ring: str | None
    role: str
    """verdachte, slachtoffer or burger (innocent)."""

    def age_on(self, day: date) -> int:
        years = day.year - self.birth.year
        return years - ((day.month, day.day) < (self.birth.month, self.birth.day))


@dataclass(frozen=True, slots=True)
class Business:
    id: str
    kvk: str
    name: str
    legal_form: str
    sbi: str
    registered: date
    closed: date | None
    addresses: tuple[tuple[date, Address], ...]
    """(from, address), oldest first."""
    directors: tuple[tuple[date, Person, str], ...]
    """(from, person, role), oldest first."""
    phone: Phone | None
    email: Email | None
    website: Website | None
    ring: str | None

    def address_on(self, day: date) -> Address:
        current = self.addresses[0][1]
        for since, address in self.addresses:
            if since <= day:
                current = address
        return current

    def director_on(self, day: date) -> tuple[Person, str]:
        current = self.directors[0]
        for entry in self.directors:
            if entry[0] <= day:
                current = entry
        return current[1], current[2]

    def active_on(self, day: date) -> bool:
        return self.registered <= day and (self.closed is None or day < self.closed)


Entity = Address | Phone | Account | Vehicle | Email | Website | Person | Business


def describe(entity: Entity) -> dict[str, object]:
    """The canonical (noise-free) attributes of an entity, for entities.jsonl and world.json;
    ``id``, ``type`` and ``ring`` are always there, other attributes only when known."""
    return {k: v for k, v in _attributes(entity).items() if v is not None or k == "ring"}


def _attributes(entity: Entity) -> dict[str, object]:
    base: dict[str, object] = {"id": entity.id, "ring": entity.ring}
    if isinstance(entity, Address):
        p = entity.parts
        return {**base, "type": "adres", "straat": p.street, "huisnummer": p.number,
                "toevoeging": p.addition, "postcode": p.postcode, "plaats": p.place,
                "gemeente": p.municipality}
    if isinstance(entity, Phone):
        return {**base, "type": "telefoon", "e164": entity.number.e164}
    if isinstance(entity, Account):
        return {**base, "type": "rekening", "iban": entity.iban}
    if isinstance(entity, Vehicle):
        return {**base, "type": "voertuig", "kenteken": entity.plate}
    if isinstance(entity, Email):
        return {**base, "type": "email", "adres": entity.address}
    if isinstance(entity, Website):
        return {**base, "type": "website", "url": entity.url}
    if isinstance(entity, Person):
        return {**base, "type": "persoon", "rol": entity.role, "voornamen": " ".join(entity.name.given),
                "tussenvoegsel": entity.name.prefix, "achternaam": entity.name.family,
                "geboortedatum": entity.birth.isoformat(), "nationaliteit": entity.nationality,
                "bsn": entity.bsn, "adres": entity.address.id if entity.address else None,
                "telefoon": entity.phone.id if entity.phone else None,
                "email": entity.email.id if entity.email else None}
    return {**base, "type": "bedrijf", "kvk_nummer": entity.kvk, "handelsnaam": entity.name,
            "rechtsvorm": entity.legal_form, "sbi_code": entity.sbi,
            "ingeschreven": entity.registered.isoformat(),
            "opgeheven": entity.closed.isoformat() if entity.closed else None,
            "adressen": [[d.isoformat(), a.id] for d, a in entity.addresses],
            "functionarissen": [[d.isoformat(), p.id, r] for d, p, r in entity.directors]}
