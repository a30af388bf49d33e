"""Healthcare ``zorg-meldingen.jsonl``: reports about possible victims seen at emergency
departments, GP posts and sexual-health clinics; about half concern a ring's victims."""

from __future__ import annotations

import json
import random
from datetime import date
from types import MappingProxyType
from typing import Any

from generator import codes, noise, places
from generator.common import Corrupted, Draft, Mention, World, timestamp
from generator.entities import Address, Person

RING_SHARE = 0.5
NAME_NOISE = 0.2

INDICATORS = MappingProxyType({
    "seksueel": ("SIT-INJURIES", "SIT-CONTROLLER", "FRE-NO-ID", "FRE-NO-MEDICAL", "SIT-UNDERAGE",
                 "DEP-UNKNOWN-ADDRESS", "FRE-NO-MOVEMENT", "DEP-SLEEP-AT-WORK"),
    "arbeid": ("SIT-INJURIES", "CON-DANGEROUS", "CON-LONG-HOURS", "FRE-NO-MEDICAL", "DEP-HOUSING",
               "SIT-CONTROLLER", "FRE-NO-ID", "DEP-UNKNOWN-ADDRESS"),
    "crimineel": ("SIT-INJURIES", "SIT-UNDERAGE", "SIT-SUDDEN-WEALTH", "SIT-CONTROLLER",
                  "DEP-UNKNOWN-ADDRESS"),
    "overig": ("SIT-INJURIES", "FRE-NO-MEDICAL", "DEP-UNKNOWN-ADDRESS", "CON-LONG-HOURS"),
})
NOTES = (
    "Fractuur linker onderarm, hematomen van verschillende ouderdom.",
    "Patiënt(e) vertelt wisselend verhaal over het ontstaan van het letsel.",
    "SOA-test positief; patiënte spreekt geen Nederlands, begeleider tolkt.",
    "Brandwonden aan beide handen, sinds enkele dagen onbehandeld.",
    "Tekenen van ondervoeding en uitputting; werkt naar eigen zeggen zeven dagen per week.",
    "Zwangerschapstest positief, patiënte wil niet dat begeleider dit hoort.",
    "Snijwond rechterhand opgelopen op het werk, geen beschermingsmiddelen.",
)


def _age(rng: random.Random, person: Person, day: date) -> int:
    return max(12, person.age_on(day) + rng.choice((0, 0, 0, -1, 1, -2, 2, 3, -3, 5)))


class ZorgSource:
    """Writes ``zorg-meldingen.jsonl``."""

    file = "zorg-meldingen.jsonl"
    header: str | None = None

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self._seq: dict[int, int] = {}

    def _instelling(self, mi: int) -> tuple[int, str]:
        rng = self.rng
        if rng.random() < 0.25:
            near = places.neighbours(mi)
            if near:
                mi = rng.choice(near)
        care = places.MUNICIPALITIES[mi].care
        i = rng.randrange(len(care))
        return mi * 10 + i, care[i]

    def next(self, day: date) -> Draft:
        rng = self.rng
        mentions: list[Mention] = []
        stay: Address | None
        if rng.random() < RING_SHARE:
            ring = self.world.ring()
            patient = rng.choice(ring.victims)
            form, ring_id = ring.form, ring.id
            escort = rng.choice(ring.suspects) if rng.random() < 0.7 else None
            stay = rng.choice(ring.housing_on(day)) if rng.random() < 0.6 else None
            mi = ring.municipality_on(day)
            indicators = rng.sample(INDICATORS[form], rng.randint(1, 4))
        else:
            patient = self.world.innocent_person()
            form, ring_id = rng.choice(("overig", "overig", "arbeid", "seksueel")), None
            escort = self.world.innocent_person(reuse=0.1) if rng.random() < 0.3 else None
            stay = patient.address if rng.random() < 0.5 else None
            mi = patient.address.municipality if patient.address else self.world.factory.municipality()
            indicators = rng.sample(INDICATORS["overig"], rng.randint(1, 2))
        inst_key, instelling = self._instelling(mi)
        self._seq[day.year] = self._seq.get(day.year, 0) + 1
        ref = f"ZORG-{day.year}-{self._seq[day.year]:06d}"
        minute = rng.choice((rng.randint(0, 24 * 60 - 1), rng.randint(20 * 60, 24 * 60 - 1),
                             rng.randint(0, 5 * 60)))
        number = int(patient.id[1:])
        doc: dict[str, Any] = {
            "melding_id": ref, "instelling": instelling, "datum": timestamp(day, minute),
            "patient_id": f"P-{(number * 7919 + inst_key * 104729) % 9_000_000 + 1_000_000}",
        }
        mentions.append(Mention("patient", "persoon", patient.id, patient.ring))
        if patient.bsn and rng.random() < 0.3:
            doc["bsn"] = patient.bsn
        doc["geschatte_leeftijd"] = _age(rng, patient, day)
        if rng.random() < 0.85:
            doc["nationaliteit"] = patient.nationality
        doc["vermoedelijke_vorm"] = form
        doc["indicatoren"] = indicators
        if escort is not None:
            begeleider: dict[str, Any] = {}
            given, prefix, family = noise.split_name(rng, escort.name, escort.nationality, NAME_NOISE)
            begeleider["voornaam"] = given
            if rng.random() < 0.75:
                begeleider["achternaam"] = f"{prefix} {family}" if prefix else family
            mentions.append(Mention("begeleider", "persoon", escort.id, escort.ring))
            if escort.phone and rng.random() < 0.7:
                begeleider["telefoon"] = noise.phone(rng, escort.phone.number)
                mentions.append(Mention("begeleider.telefoon", "telefoon", escort.phone.id,
                                        escort.phone.ring))
            doc["begeleider"] = begeleider
        if stay is not None:
            p = stay.parts
            verblijf: dict[str, Any] = {"straat": p.street, "huisnummer": p.number}
            if p.addition:
                verblijf["toevoeging"] = p.addition
            if rng.random() < 0.8:
                verblijf["postcode"] = noise.postcode(rng, p.postcode, 0.3)
            verblijf["plaats"] = p.place
            doc["verblijfadres"] = verblijf
            mentions.append(Mention("verblijfadres", "adres", stay.id, stay.ring))
        if rng.random() < 0.35:
            note = rng.choice(NOTES)
            if rng.random() < 0.3:
                note += f" Patiënt(e) noemt zich {patient.name.first}."
            doc["klinische_notitie"] = note
        return Draft(ref, doc, mentions, ring_id)

    def serialize(self, payload: Any) -> str:
        return json.dumps(payload, ensure_ascii=False)

    def revise(self, draft: Draft) -> tuple[Any, list[str]]:
        """The same melding_id sent again with an indicator added or the age estimate corrected
        (``datum`` is the visit time, so it stays)."""
        rng = self.rng
        doc = json.loads(json.dumps(draft.payload))
        extra = [c for c in INDICATORS[doc["vermoedelijke_vorm"]] if c not in doc["indicatoren"]]
        if extra and rng.random() < 0.6:
            doc["indicatoren"] = [*doc["indicatoren"], rng.choice(extra)]
            return doc, ["indicatoren"]
        doc["geschatte_leeftijd"] = doc["geschatte_leeftijd"] + rng.choice((-2, -1, 1, 2))
        return doc, ["geschatte_leeftijd"]

    def invalidate(self, draft: Draft) -> Corrupted:
        rng = self.rng
        doc = json.loads(json.dumps(draft.payload))
        kinds = ["broken_json", "wrong_type", "invalid_timestamp"]
        if "bsn" in doc:
            kinds += ["invalid_bsn", "invalid_bsn"]
        if "postcode" in doc.get("verblijfadres", {}):
            kinds.append("invalid_postcode")
        kind = rng.choice(kinds)
        if kind == "invalid_bsn":
            doc["bsn"] = codes.break_bsn(doc["bsn"])
            return Corrupted(self.serialize(doc), kind, "bsn")
        if kind == "invalid_postcode":
            digits = doc["verblijfadres"]["postcode"].replace(" ", "")[:4]
            doc["verblijfadres"]["postcode"] = rng.choice((f"{digits} SD", f"0{digits[1:]} XY", digits[:3]))
            return Corrupted(self.serialize(doc), kind, "verblijfadres.postcode")
        if kind == "wrong_type":
            age = doc["geschatte_leeftijd"]
            doc["geschatte_leeftijd"] = rng.choice((f"ongeveer {age}", f"{age}-{age + 5}"))
            return Corrupted(self.serialize(doc), kind, "geschatte_leeftijd")
        if kind == "invalid_timestamp":
            stamp = doc["datum"]
            doc["datum"] = f"{stamp[8:10]}-{stamp[5:7]}-{stamp[:4]} {stamp[11:16]}"
            return Corrupted(self.serialize(doc), kind, "datum")
        line = self.serialize(doc)
        return Corrupted(line[: rng.randint(len(line) // 3, len(line) - 2)], "broken_json", None)
