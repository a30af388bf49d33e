"""KvK ``kvk-mutaties.csv``: registration events of ordinary businesses, with the rings' events
(shared addresses, serial straw men, quick succession, waterbed moves) merged in on their dates."""

from __future__ import annotations

import heapq
import random
from collections import deque
from datetime import date, timedelta
from typing import Any

from generator import noise
from generator.common import Corrupted, Draft, Mention, Pool, World
from generator.entities import Address, Business, Person
from generator.rings import KvkEvent
from generator.sectors import INNOCENT_SBI_WEIGHTS

COLUMNS = ("mutatie_id", "mutatie_type", "datum", "kvk_nummer", "handelsnaam", "rechtsvorm",
           "sbi_code", "straat", "huisnummer", "toevoeging", "postcode", "plaats", "gemeente",
           "functionaris_voornamen", "functionaris_tussenvoegsel", "functionaris_achternaam",
           "functionaris_geboortedatum", "functionaris_rol")
HEADER = ";".join(COLUMNS)
NAME_NOISE = 0.03
POSTCODE_NOISE = 0.15

_SBI = tuple(INNOCENT_SBI_WEIGHTS)
_SBI_CUM = tuple(sum(tuple(INNOCENT_SBI_WEIGHTS.values())[: i + 1]) for i in range(len(_SBI)))


def csv_line(row: list[str]) -> str:
    """One CSV line, separator ``;``, quoting like the csv module's QUOTE_MINIMAL."""
    out = []
    for value in row:
        if any(ch in value for ch in ';"\n\r'):
            value = '"' + value.replace('"', '""') + '"'
        out.append(value)
    return ";".join(out)


class KvkSource:
    """Writes ``kvk-mutaties.csv``."""

    file = "kvk-mutaties.csv"
    header: str | None = HEADER

    def __init__(self, world: World, rng: random.Random, ring_budget: int) -> None:
        self.world, self.rng = world, rng
        events = sorted((e for ring in world.rings for e in ring.kvk_events),
                        key=lambda e: (e.day, e.business.id, e.kind))
        self.ring_events: deque[KvkEvent] = deque(events[:ring_budget])
        self.ring_rows = len(self.ring_events)
        self._later: list[tuple[date, int, KvkEvent]] = []
        self._closed: Pool[Address] = Pool(rng, 500)
        self._seq: dict[int, int] = {}
        self._n = 0

    # --- records -----------------------------------------------------------------------------

    def next(self, day: date) -> Draft:
        if self.ring_events and self.ring_events[0].day <= day:
            return self._draft(self.ring_events.popleft())
        if self._later and self._later[0][0] <= day:
            return self._draft(heapq.heappop(self._later)[2])
        return self._draft(self._innocent(day))

    def _innocent(self, day: date) -> KvkEvent:
        rng, world, factory = self.rng, self.world, self.world.factory
        r = rng.random()
        if r < 0.45:
            mi = factory.municipality()
            closed = self._closed.pick() if rng.random() < 0.03 else None
            if closed is not None:
                address, mi = closed, closed.municipality
            elif rng.random() < 0.04:
                address = factory.business_centre(mi)
            else:
                address = factory.address(mi, reuse=0.02)
            director = world.innocent_person(mi, reuse=0.02)
            sbi = rng.choices(_SBI, cum_weights=_SBI_CUM)[0]
            business = factory.business(sbi=sbi, mi=mi, address=address, director=director,
                                        registered=day, closed=None, ring=None)
            world.businesses.add(business)
            self._follow_up(business, day)
            return KvkEvent(day, "inschrijving", business, address, director, business.directors[0][2])
        business = world.innocent_business(day, reuse=0.0)
        if r < 0.70:
            mi = business.address_on(day).municipality if rng.random() < 0.8 else factory.municipality()
            address = factory.address(mi, reuse=0.02)
            return KvkEvent(day, "adreswijziging", business, address, None, None)
        if r < 0.84:
            director = world.innocent_person(business.address_on(day).municipality)
            return KvkEvent(day, "functionariswijziging", business, business.address_on(day), director,
                            business.directors[0][2])
        address = business.address_on(day)
        self._closed.add(address)
        director, role = business.director_on(day)
        keep = rng.random() < 0.6
        return KvkEvent(day, "opheffing", business, address, director if keep else None,
                        role if keep else None)

    def _follow_up(self, business: Business, day: date) -> None:
        """Some new businesses move, change director or close later in the export."""
        rng = self.rng
        r = rng.random()
        if r >= 0.25:
            return
        later = day + timedelta(days=rng.randint(30, 600))
        if later > self.world.window.end:
            return
        self._n += 1
        if r < 0.10:
            event = KvkEvent(later, "adreswijziging", business,
                             self.world.factory.address(business.address_on(day).municipality), None, None)
        elif r < 0.15:
            person = self.world.innocent_person(business.address_on(day).municipality)
            event = KvkEvent(later, "functionariswijziging", business, business.address_on(day), person,
                             business.directors[0][2])
        else:
            director, role = business.director_on(day)
            self._closed.add(business.address_on(day))
            event = KvkEvent(later, "opheffing", business, business.address_on(day), director, role)
        heapq.heappush(self._later, (later, self._n, event))

    def _ref(self, day: date) -> str:
        seq = self._seq.get(day.year, 0) + 1
        self._seq[day.year] = seq
        return f"M{day.year}{seq:06d}"

    def _draft(self, event: KvkEvent) -> Draft:
        rng = self.rng
        business, address, person = event.business, event.address, event.director
        p = address.parts
        ref = self._ref(event.day)
        row = [ref, event.kind, event.day.isoformat(), business.kvk,
               noise.text_case(rng, business.name, NAME_NOISE / 2), business.legal_form, business.sbi,
               p.street, str(p.number), p.addition or "", noise.postcode(rng, p.postcode, POSTCODE_NOISE),
               p.place, p.municipality]
        mentions = [Mention("bedrijf", "bedrijf", business.id, business.ring),
                    Mention("adres", "adres", address.id, address.ring)]
        row += self._functionaris(person, event.role)
        if person is not None:
            mentions.append(Mention("functionaris", "persoon", person.id, person.ring))
        return Draft(ref, row, mentions, business.ring)

    def _functionaris(self, person: Person | None, role: str | None) -> list[str]:
        if person is None:
            return ["", "", "", "", ""]
        given, prefix, family = noise.split_name(self.rng, person.name, person.nationality, NAME_NOISE,
                                                 all_given=True)
        return [given, prefix or "", family, person.birth.isoformat(), role or ""]

    # --- writing, revisions, invalid records ---------------------------------------------------

    def serialize(self, payload: Any) -> str:
        row: list[str] = payload
        return csv_line(row)

    def revise(self, draft: Draft) -> tuple[Any, list[str]]:
        """A resubmission: the same mutatie_id with one field changed. Only fields that do not
        change which entity is meant: the trade name's spelling, the event date, the postcode's
        spelling, the role."""
        rng = self.rng
        row = list(draft.payload)
        choice = rng.randrange(4)
        if choice == 0:
            spelled = noise.typo(rng, row[4]) if rng.random() < 0.5 else row[4].upper()
            if spelled != row[4]:
                row[4] = spelled
                return row, ["handelsnaam"]
        if choice == 1:
            canonical = row[10].replace(" ", "").upper()
            canonical = f"{canonical[:4]} {canonical[4:]}"
            spellings = [canonical, canonical.replace(" ", ""), canonical.lower()]
            row[10] = rng.choice([p for p in spellings if p != row[10]])
            return row, ["postcode"]
        if choice == 2 and row[17]:
            row[17] = ""
            return row, ["functionaris_rol"]
        row[2] = (date.fromisoformat(row[2]) + timedelta(days=rng.randint(1, 3))).isoformat()
        return row, ["datum"]

    def invalidate(self, draft: Draft) -> Corrupted:
        rng = self.rng
        row = list(draft.payload)
        kind = rng.randrange(6)
        if kind == 0:
            return Corrupted(";".join(row[: rng.randint(7, 16)]), "csv_missing_columns", None)
        if kind == 1:
            row[4] = row[4] + "; " + rng.choice(("Holding", "Beheer", "Vastgoed"))
            return Corrupted(";".join(v.replace('"', "") for v in row), "csv_extra_column", "handelsnaam")
        if kind == 2:
            digits, letters = row[10].replace(" ", "")[:4], row[10].replace(" ", "")[4:]
            row[10] = rng.choice((f"0{digits[1:]} {letters}", f"{digits} SS",
                                  f"{digits}{digits[-1]} {letters}", f"{letters} {digits}", digits))
            return Corrupted(csv_line(row), "invalid_postcode", "postcode")
        if kind == 3:
            year = row[2][:4]
            row[2] = rng.choice((f"{year}-02-30", f"{row[2][8:10]}-{row[2][5:7]}-{year}", f"{year}-13-01"))
            return Corrupted(csv_line(row), "invalid_date", "datum")
        if kind == 4:
            row[3] = rng.choice((row[3][:7], row[3][:7] + "O", row[3] + "0"))
            return Corrupted(csv_line(row), "invalid_kvk_nummer", "kvk_nummer")
        row[1] = rng.choice(("wijziging", "oprichting", "uitschrijving"))
        return Corrupted(csv_line(row), "unknown_mutatie_type", "mutatie_type")
