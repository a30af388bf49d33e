"""Creates true entities with distinct identifiers and reports each new one to a sink
(``entities.jsonl``)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import date, timedelta
from types import MappingProxyType
from typing import TypeVar

from generator import codes, names, places, sectors
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
)
from generator.noise import strip_accents

_PERSONAL_DOMAINS = ("gmail.com", "gmail.com", "hotmail.com", "outlook.com", "live.nl", "ziggo.nl",
                     "kpnmail.nl", "yahoo.com", "icloud.com")
_FOREIGN_DOMAINS = MappingProxyType({"RO": "yahoo.ro", "BG": "abv.bg", "PL": "wp.pl",
                                      "HU": "freemail.hu", "UA": "ukr.net", "CN": "qq.com"})

E = TypeVar("E", bound=Entity)


def slug(value: str) -> str:
    """Lower-case ASCII letters and digits only."""
    return "".join(ch for ch in strip_accents(value).lower() if ch.isalnum())


class Factory:
    """Every entity is created here, so ids and identifiers never repeat."""

    def __init__(self, rng: random.Random, today: date, sink: Callable[[Entity], None]) -> None:
        self.rng, self.today, self.sink = rng, today, sink
        self._bsn = codes.Distinct(rng, 90_000_000, "BSNs")
        self._kvk = codes.Distinct(rng, 90_000_000, "KvK numbers")
        self._mobile = codes.Distinct(rng, 50_000_000, "Dutch mobile numbers")
        self._account = codes.Distinct(rng, 1_000_000_000, "bank accounts")
        self._plates = codes.plate_spaces(rng)
        self._slots: dict[int, codes.Distinct] = {}
        self._landlines: dict[str, codes.Distinct] = {}
        self._foreign_mobiles: dict[str, codes.Distinct] = {}
        self._ids = {kind: itertools.count(1) for kind in "PBTIVEW"}
        self._domains: dict[str, int] = {}
        self._cum_weights = list(itertools.accumulate(m.weight for m in places.MUNICIPALITIES))

    def _id(self, kind: str) -> str:
        return f"{kind}{next(self._ids[kind]):07d}"

    def municipality(self) -> int:
        """A municipality index, drawn by population."""
        return self.rng.choices(range(len(places.MUNICIPALITIES)), cum_weights=self._cum_weights)[0]

    # --- addresses ---------------------------------------------------------------------------

    def _slot_space(self, mi: int) -> codes.Distinct:
        space = self._slots.get(mi)
        if space is None:
            space = self._slots[mi] = codes.Distinct(self.rng, places.MUNICIPALITIES[mi].slots,
                                                      f"addresses in {places.MUNICIPALITIES[mi].name}")
        return space

    def _address(self, mi: int, slot: int, ring: str | None) -> Address:
        return Address(f"A{mi:02d}{slot:06d}", places.address_at(mi, slot), mi, ring)

    def address(self, mi: int, ring: str | None = None, reuse: float = 0.0) -> Address:
        """A new address in municipality ``mi``; innocent ones may, with probability ``reuse``,
        be an address handed out before (the same entity)."""
        space = self._slot_space(mi)
        if ring is None and space.front and self.rng.random() < reuse:
            return self._address(mi, space.at(self.rng.randrange(space.front)), None)
        if ring is None and space.front + space.back >= space.size:
            return self._address(mi, space.at(self.rng.randrange(space.front)), None)
        slot = space.take_last() if ring else space.take()
        return self._new(self._address(mi, slot, ring))

    def business_centre(self, mi: int) -> Address:
        """One of the first few innocent addresses of a municipality: a business centre where many
        ordinary businesses register (an innocent BUS-MANY-AT-ADDRESS)."""
        space = self._slot_space(mi)
        if space.front < 3:
            return self.address(mi)
        return self._address(mi, space.at(self.rng.randrange(3)), None)

    # --- means -------------------------------------------------------------------------------

    def phone(self, nationality: str | None, ring: str | None) -> Phone:
        """A mobile number: Dutch, or of the nationality's country when it has a plan."""
        if nationality and nationality in codes.MOBILE_PLANS:
            space = self._foreign_mobiles.get(nationality)
            if space is None:
                space = self._foreign_mobiles[nationality] = codes.Distinct(
                    self.rng, codes.mobile_space(nationality), f"{nationality} mobile numbers")
            number = codes.foreign_mobile(nationality, space.take())
        else:
            number = codes.nl_mobile(self._mobile)
        return self._new(Phone(self._id("T"), number, ring))

    def landline(self, mi: int, ring: str | None) -> Phone:
        area = places.MUNICIPALITIES[mi].area_code
        space = self._landlines.get(area)
        if space is None:
            space = self._landlines[area] = codes.Distinct(self.rng, codes.landline_space(area),
                                                            f"numbers in area 0{area}")
        return self._new(Phone(self._id("T"), codes.nl_landline(area, space.take()), ring))

    def account(self, ring: str | None, country: str | None = None) -> Account:
        """A Dutch IBAN, or a foreign one when ``country`` is given (any foreign bank for 'XX')."""
        if country is None:
            iban = codes.nl_iban(self.rng, self._account)
        else:
            iban = codes.foreign_iban(self.rng, self._account, country)
        return self._new(Account(self._id("I"), iban, ring))

    def vehicle(self, ring: str | None, van: bool = False) -> Vehicle:
        return self._new(Vehicle(self._id("V"), codes.nl_plate(self.rng, self._plates, van), ring))

    def email(self, local: str, domain: str, ring: str | None) -> Email:
        entity_id = self._id("E")
        return self._new(Email(entity_id, f"{local}{int(entity_id[1:])}@{domain}", ring))

    def website(self, url: str, ring: str | None) -> Website:
        entity_id = self._id("W")
        return self._new(Website(entity_id, url.format(n=int(entity_id[1:]) * 7 + 1000), ring))

    def _new(self, entity: E) -> E:
        """Innocent entities go to the sink at once; a ring's are written with the ring."""
        if entity.ring is None:
            self.sink(entity)
        return entity

    # --- persons and businesses --------------------------------------------------------------

    def person(self, *, nationality: str, female: bool, ages: tuple[int, int], role: str,
               ring: str | None, home: Address | None, phone: float = 0.6, email: float = 0.2,
               dutch_name: bool = False) -> Person:
        """A person; Dutch residents (and registered foreigners) have a BSN."""
        rng = self.rng
        name = names.dutch_name(rng, female) if dutch_name or nationality == "NL" \
            else names.foreign_name(rng, nationality, female)
        birth = self.today - timedelta(days=rng.randrange(ages[0] * 365 + 1, ages[1] * 365 + 364))
        registered = nationality == "NL" or rng.random() < (0.65 if role != "slachtoffer" else 0.3)
        mail = None
        if rng.random() < email:
            local = f"{slug(name.first)}.{slug(name.family)}"
            mail = self.email(local, _FOREIGN_DOMAINS.get(nationality, rng.choice(_PERSONAL_DOMAINS)),
                              ring)
        person = Person(
            id=self._id("P"), name=name, female=female, birth=birth, nationality=nationality,
            bsn=codes.next_bsn(self._bsn) if registered else None, address=home,
            phone=self.phone(nationality if rng.random() < 0.5 else None, ring)
            if rng.random() < phone else None,
            email=mail, ring=ring, role=role)
        return self._new(person)

    def innocent_person(self, mi: int | None = None, role: str = "burger") -> Person:
        """An ordinary resident: mostly Dutch, living at an (often shared) address."""
        rng = self.rng
        mi = self.municipality() if mi is None else mi
        nationality = "NL" if rng.random() < 0.82 else rng.choice(
            ("PL", "TR", "MA", "RO", "BG", "UA", "CN", "BR", "HU", "LT"))
        return self.person(nationality=nationality, female=rng.random() < 0.5, ages=(18, 80),
                           role=role, ring=None, home=self.address(mi, reuse=0.25),
                           phone=0.8, email=0.3)

    def _domain(self, name: str, city: str) -> str:
        """A distinct web domain for a trade name: 'luckynails.nl', then 'luckynails-breda.nl'."""
        base = slug(name)[:24] or "bedrijf"
        used = self._domains.get(base, 0)
        self._domains[base] = used + 1
        if used == 0:
            return f"{base}.nl"
        if used == 1 and slug(city) not in base:
            return f"{base}-{slug(city)}.nl"
        return f"{base}{used}.nl"

    def business(self, *, sbi: str, mi: int, address: Address, director: Person, registered: date,
                 closed: date | None, ring: str | None, legal: sectors.LegalForm | None = None,
                 name: str | None = None) -> Business:
        rng = self.rng
        legal = legal or sectors.legal_form(rng, ring is not None)
        city = address.parts.place
        name = name or sectors.trade_name(rng, sbi, director.name.family, director.name.first, city)
        entity_id = self._id("B")
        mail = None
        site = None
        if rng.random() < 0.5:
            domain = self._domain(name, city)
            mail = self._new(Email(self._id("E"), f"{rng.choice(('info', 'contact', 'planning'))}@{domain}",
                                   ring))
            if rng.random() < 0.6:
                site = self._new(Website(self._id("W"), f"https://www.{domain}", ring))
        business = Business(
            id=entity_id, kvk=codes.next_kvk(self._kvk), name=name, legal_form=legal.name, sbi=sbi,
            registered=registered, closed=closed, addresses=((registered, address),),
            directors=((registered, director, legal.role),),
            phone=self.landline(mi, ring) if rng.random() < 0.4 else None,
            email=mail, website=site, ring=ring)
        return self._new(business)
