"""RIEC ``riec-casussignalen.jsonl``: case signals with subjects and relations; most are about a
ring, the rest about single, unrelated cases."""

from __future__ import annotations

import itertools
import json
import random
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from generator import codes, noise, places
from generator.common import (
    Corrupted,
    Draft,
    Mention,
    World,
    address_doc,
    timestamp,
)
from generator.entities import Address, Business, Person
from generator.rings import Ring
from schemas.indicators import catalogue

RING_SHARE = 0.6
NAME_NOISE = 0.12
POSTCODE_NOISE = 0.2

INDICATORS = MappingProxyType({
    "seksueel": ("SIT-CONTROLLER", "FRE-NO-ID", "DEP-SLEEP-AT-WORK", "ADM-NO-PERMIT", "DEP-DEBT",
                 "FRE-NO-EARNINGS", "SIT-UNDERAGE", "DEP-HOUSING", "FRE-NO-MOVEMENT", "SIT-INJURIES",
                 "SIT-FALSE-PROMISES", "BUS-HIGH-RISK-SECTOR"),
    "arbeid": ("ADM-OVERCROWDING", "DEP-HOUSING", "DEP-TRANSPORT", "CON-LONG-HOURS", "CON-LOW-PAY",
               "DEP-DEBT", "DEP-PAPERS", "FRE-NO-ID", "CON-DANGEROUS", "SIT-MANY-RESIDENTS",
               "BUS-STRAW-MAN", "SIT-FALSE-PROMISES", "FRE-NO-EARNINGS"),
    "crimineel": ("SIT-SUDDEN-WEALTH", "SIT-UNDERAGE", "DEP-DEBT", "CON-DANGEROUS", "SIT-CONTROLLER",
                  "DEP-UNKNOWN-ADDRESS", "FRE-NO-MOVEMENT", "SIT-INJURIES"),
    "overig": ("BUS-CASH-INTENSIVE", "CON-LONG-HOURS", "BUS-HIGH-RISK-SECTOR", "ADM-NO-PERMIT",
               "CON-LOW-PAY", "SIT-MANY-RESIDENTS", "ADM-OVERCROWDING"),
})
STAGE_WORD = MappingProxyType({"entry": "entree", "housing": "huisvesting", "identity": "identiteit",
                               "work": "werk", "finance": "financien"})
GRONDSLAG = ("Convenant RIEC/LIEC 2019, art. 5", "Convenant RIEC/LIEC 2019, art. 6",
             "Convenant RIEC/LIEC 2019, art. 5 lid 2", "Wet Bibob, art. 28")
NARRATIVE = MappingProxyType({
    "seksueel": ("Bij controle in de salon {n} vrouwen aangetroffen; matrassen in de achterruimte.",
                 "Advertenties met hetzelfde telefoonnummer voor meerdere vrouwen aangetroffen.",
                 "Vrouwen konden geen identiteitsbewijs tonen; een man voerde steeds het woord.",
                 "Buurtbewoners melden veel wisselende bezoekers tot laat in de nacht."),
    "arbeid": ("Bij controle {n} matrassen aangetroffen boven de zaak.",
               "Werknemers werken twaalf uur per dag voor minder dan het minimumloon.",
               "Werknemers worden dagelijks met een busje opgehaald en teruggebracht.",
               "Loon wordt gestort op een rekening die niet op naam van de werknemer staat.",
               "Huur voor de woning wordt door de werkgever op het loon ingehouden."),
    "crimineel": ("Minderjarigen ingezet als drugskoerier; zij hebben schulden bij de verdachte.",
                  "Jongeren met dure kleding en telefoons zonder aanwijsbaar inkomen.",
                  "Winkeldiefstallen door een groep jongeren die door een volwassene wordt aangestuurd.",
                  "Jongeren verblijven in een woning zonder meubilair; {n} slaapplaatsen aangetroffen."),
    "overig": ("Controle op naleving van de vergunningvoorwaarden; geen bijzonderheden.",
               "Signaal over lange werktijden; nader onderzoek nodig.",
               "Klacht over overlast; geen aanwijzingen voor uitbuiting gevonden.",
               "Administratie niet op orde; kasstromen passen niet bij de omzet."),
})


class _Subjects:
    """Builds ``subjecten``, ``relaties`` and the ground-truth mentions of one case signal."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.relations: list[dict[str, str]] = []
        self.mentions: list[Mention] = []
        self._refs: dict[str, str] = {}

    def add(self, entity_id: str, kind: str, ring: str | None, doc: dict[str, Any]) -> str:
        known = self._refs.get(entity_id)
        if known is not None:
            return known
        ref = f"s{len(self.items) + 1}"
        self._refs[entity_id] = ref
        self.items.append({"id": ref, **doc})
        self.mentions.append(Mention(ref, kind, entity_id, ring))
        return ref

    def relate(self, source: str, kind: str, target: str) -> None:
        relation = {"van": source, "type": kind, "naar": target}
        if relation not in self.relations:
            self.relations.append(relation)


class RiecSource:
    """Writes ``riec-casussignalen.jsonl``."""

    file = "riec-casussignalen.jsonl"
    header: str | None = None

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self._seq: dict[tuple[str, int], int] = {}
        self._stage = {code: STAGE_WORD[ind.stage] for code, ind in catalogue().items()}

    def next(self, day: date) -> Draft:
        rng = self.rng
        observed = day - timedelta(days=rng.choice((0, 0, 1, 2, 3, 5, 7, 14)))
        if rng.random() < RING_SHARE:
            ring = self.world.ring()
            subjects, form, mi = self._ring_case(ring, observed), ring.form, ring.municipality_on(observed)
            ring_id: str | None = ring.id
            severity = rng.choice(("midden", "hoog", "hoog", "zeer hoog"))
            purpose = rng.choice(("strafrechtelijk", "bestuurlijk", "bestuurlijk", "zorg"))
        else:
            subjects, mi = self._innocent_case(observed)
            form, ring_id = rng.choice(("overig", "overig", "arbeid")), None
            severity = rng.choice(("laag", "laag", "midden"))
            purpose = rng.choice(("bestuurlijk", "preventie"))
        region = places.MUNICIPALITIES[mi].riec
        key = (region, day.year)
        self._seq[key] = self._seq.get(key, 0) + 1
        ref = f"RIEC-{region}-{day.year}-{self._seq[key]:04d}"
        pool = INDICATORS[form] if form != "arbeid" or ring_id else INDICATORS["overig"]
        indicators = rng.sample(pool, rng.randint(1 if ring_id is None else 2, 5))
        stages = sorted({self._stage[c] for c in indicators}, key=tuple(STAGE_WORD.values()).index)
        doc: dict[str, Any] = {
            "casus_ref": ref, "regio": places.RIEC_REGIONS[region],
            "datum_constatering": observed.isoformat(),
            "datum_melding": timestamp(day, rng.randint(8 * 60, 18 * 60)),
            "uitbuitingsvorm": form, "barrieres": stages, "indicatoren": indicators,
            "ernst": severity, "doel": purpose, "grondslag": rng.choice(GRONDSLAG),
            "subjecten": subjects.items, "relaties": subjects.relations,
        }
        if rng.random() < 0.85:
            doc["toelichting"] = rng.choice(NARRATIVE[form]).format(n=rng.randint(4, 16))
        return Draft(ref, doc, subjects.mentions, ring_id)

    # --- subjects ----------------------------------------------------------------------------

    def _person(self, subjects: _Subjects, person: Person, role: str, day: date) -> str:
        rng = self.rng
        given, prefix, family = noise.split_name(rng, person.name, person.nationality, NAME_NOISE)
        doc: dict[str, Any] = {"soort": "persoon", "rol": role, "voornaam": given,
                               "tussenvoegsel": prefix, "achternaam": family}
        if rng.random() < 0.75:
            doc["geboortedatum"] = person.birth.isoformat()
        if rng.random() < 0.8:
            doc["nationaliteit"] = person.nationality
        if person.bsn and rng.random() < 0.35:
            doc["bsn"] = person.bsn
        if person.address and rng.random() < 0.4:
            doc["adres"] = address_doc(rng, person.address, POSTCODE_NOISE)
        return subjects.add(person.id, "persoon", person.ring, doc)

    def _location(self, subjects: _Subjects, address: Address) -> str:
        doc = {"soort": "adres", "rol": "locatie", "adres": address_doc(self.rng, address, POSTCODE_NOISE)}
        return subjects.add(address.id, "adres", address.ring, doc)

    def _business(self, subjects: _Subjects, business: Business, role: str, day: date) -> str:
        rng = self.rng
        address = business.address_on(day)
        doc: dict[str, Any] = {"soort": "bedrijf", "rol": role}
        if rng.random() < 0.85:
            doc["kvk_nummer"] = business.kvk
        doc["handelsnaam"] = noise.text_case(rng, business.name, NAME_NOISE / 2)
        doc["rechtsvorm"] = business.legal_form
        doc["sbi_code"] = business.sbi
        doc["adres"] = address_doc(rng, address, POSTCODE_NOISE)
        ref = subjects.add(business.id, "bedrijf", business.ring, doc)
        if rng.random() < 0.6:
            subjects.relate(ref, "gevestigd_op", self._location(subjects, address))
        return ref

    def _means(self, subjects: _Subjects, user: str, ring: Ring) -> None:
        rng = self.rng
        if ring.phones and rng.random() < 0.7:
            phone = rng.choice(ring.phones)
            ref = subjects.add(phone.id, "telefoon", phone.ring,
                               {"soort": "telefoon", "rol": "middel",
                                "nummer": noise.phone(rng, phone.number)})
            subjects.relate(user, "gebruikt", ref)
        if ring.accounts and rng.random() < 0.45:
            account = rng.choice(ring.accounts)
            ref = subjects.add(account.id, "rekening", account.ring,
                               {"soort": "rekening", "rol": "middel",
                                "iban": noise.iban(rng, account.iban, 0.3)})
            subjects.relate(user, "gebruikt", ref)
        if ring.vehicles and rng.random() < 0.4:
            vehicle = rng.choice(ring.vehicles)
            ref = subjects.add(vehicle.id, "voertuig", vehicle.ring,
                               {"soort": "voertuig", "rol": "middel",
                                "kenteken": noise.plate(rng, vehicle.plate, 0.2), "land": "NL"})
            subjects.relate(user, "gebruikt", ref)
        if ring.emails and rng.random() < 0.2:
            email = rng.choice(ring.emails)
            ref = subjects.add(email.id, "email", email.ring,
                               {"soort": "email", "rol": "middel", "adres": email.address})
            subjects.relate(user, "gebruikt", ref)
        if ring.websites and rng.random() < 0.35:
            site = rng.choice(ring.websites)
            ref = subjects.add(site.id, "website", site.ring, {"soort": "website", "rol": "middel",
                                                              "url": site.url})
            subjects.relate(user, "gebruikt", ref)

    def _ring_case(self, ring: Ring, day: date) -> _Subjects:
        rng = self.rng
        subjects = _Subjects()
        suspects = rng.sample(ring.suspects, rng.randint(1, min(3, len(ring.suspects))))
        refs = [self._person(subjects, s, "verdachte", day) for s in suspects]
        for a, b in itertools.pairwise(refs):
            subjects.relate(a, "geassocieerd_met", b)
        business_ref = None
        if rng.random() < 0.7:
            business = rng.choice(ring.businesses_on(day))
            business_ref = self._business(subjects, business, "faciliteerder", day)
            director, role = business.director_on(day)
            director_ref = self._person(subjects, director,
                                        "bestuurder" if director not in suspects else "verdachte", day)
            subjects.relate(director_ref, "eigenaar_van" if role == "eigenaar" else "bestuurder_van",
                            business_ref)
        housing = rng.choice(ring.housing_on(day))
        housing_ref = self._location(subjects, housing) if rng.random() < 0.7 else None
        for victim in rng.sample(ring.victims, rng.randint(0, min(4, len(ring.victims)))):
            ref = self._person(subjects, victim, "slachtoffer", day)
            subjects.relate(refs[0], "controleert", ref)
            if business_ref:
                subjects.relate(ref, "werkt_bij", business_ref)
            if housing_ref:
                subjects.relate(ref, "woont_op", housing_ref)
        self._means(subjects, refs[0], ring)
        return subjects

    def _innocent_case(self, day: date) -> tuple[_Subjects, int]:
        rng = self.rng
        subjects = _Subjects()
        business = self.world.innocent_business(day)
        address = business.address_on(day)
        business_ref = self._business(subjects, business, "overig", day)
        owner, role = business.director_on(day)
        owner_ref = self._person(subjects, owner, "eigenaar" if role == "eigenaar" else "bestuurder", day)
        subjects.relate(owner_ref, "eigenaar_van" if role == "eigenaar" else "bestuurder_van", business_ref)
        for _ in range(rng.choice((0, 0, 1, 2))):
            worker = self.world.innocent_person(address.municipality)
            ref = self._person(subjects, worker, rng.choice(("werknemer", "getuige")), day)
            subjects.relate(ref, "werkt_bij", business_ref)
        if owner.phone and rng.random() < 0.4:
            ref = subjects.add(owner.phone.id, "telefoon", None,
                               {"soort": "telefoon", "rol": "middel",
                                "nummer": noise.phone(rng, owner.phone.number)})
            subjects.relate(owner_ref, "gebruikt", ref)
        return subjects, address.municipality

    # --- writing, revisions, invalid records ---------------------------------------------------

    def serialize(self, payload: Any) -> str:
        return json.dumps(payload, ensure_ascii=False)

    def revise(self, draft: Draft) -> tuple[Any, list[str]]:
        """The same casus_ref sent again later with its assessment updated."""
        rng = self.rng
        doc = json.loads(json.dumps(draft.payload))
        reported = doc["datum_melding"]
        day = date.fromisoformat(reported[:10]) + timedelta(days=rng.randint(1, 20))
        doc["datum_melding"] = timestamp(day, rng.randint(8 * 60, 18 * 60))
        changed = ["datum_melding"]
        order = ("laag", "midden", "hoog", "zeer hoog")
        if rng.random() < 0.5 and doc["ernst"] != order[-1]:
            doc["ernst"] = order[order.index(doc["ernst"]) + 1]
            changed.append("ernst")
        else:
            extra = [c for c in INDICATORS[doc["uitbuitingsvorm"]] if c not in doc["indicatoren"]]
            if extra:
                doc["indicatoren"] = [*doc["indicatoren"], rng.choice(extra)]
                stages = sorted({self._stage[c] for c in doc["indicatoren"]},
                                key=tuple(STAGE_WORD.values()).index)
                changed.append("indicatoren")
                if stages != doc["barrieres"]:
                    doc["barrieres"] = stages
                    changed.append("barrieres")
        doc["toelichting"] = (doc.get("toelichting", "") + " Aanvulling na nader onderzoek.").strip()
        changed.append("toelichting")
        return doc, changed

    def invalidate(self, draft: Draft) -> Corrupted:
        rng = self.rng
        doc = json.loads(json.dumps(draft.payload))
        subjects = doc["subjecten"]
        kinds = ["broken_json", "wrong_type", "invalid_postcode", "unknown_value"]
        if any("bsn" in s for s in subjects):
            kinds += ["invalid_bsn", "invalid_bsn"]
        if any(s["soort"] == "rekening" for s in subjects):
            kinds += ["invalid_iban", "invalid_iban"]
        kind = rng.choice(kinds)
        if kind == "invalid_bsn":
            i = next(i for i, s in enumerate(subjects) if "bsn" in s)
            subjects[i]["bsn"] = codes.break_bsn(subjects[i]["bsn"])
            return Corrupted(self.serialize(doc), kind, f"subjecten[{i}].bsn")
        if kind == "invalid_iban":
            i = next(i for i, s in enumerate(subjects) if s["soort"] == "rekening")
            subjects[i]["iban"] = codes.break_iban(subjects[i]["iban"].replace(" ", "").upper())
            return Corrupted(self.serialize(doc), kind, f"subjecten[{i}].iban")
        if kind == "invalid_postcode":
            for i, s in enumerate(subjects):
                if "adres" in s and isinstance(s["adres"], dict):
                    digits = s["adres"]["postcode"].replace(" ", "")[:4]
                    s["adres"]["postcode"] = rng.choice((f"{digits} SA", f"0{digits[1:]} AB",
                                                         f"{digits}0 AB"))
                    return Corrupted(self.serialize(doc), kind, f"subjecten[{i}].adres.postcode")
        if kind == "wrong_type":
            for i, s in enumerate(subjects):
                if isinstance(s.get("adres"), dict):
                    s["adres"]["huisnummer"] = f"{s['adres']['huisnummer']} achter"
                    return Corrupted(self.serialize(doc), kind, f"subjecten[{i}].adres.huisnummer")
            doc["indicatoren"] = ", ".join(doc["indicatoren"])
            return Corrupted(self.serialize(doc), kind, "indicatoren")
        if kind == "unknown_value":
            doc["uitbuitingsvorm"] = rng.choice(("mensenhandel", "seksuele uitbuiting", "onbekend"))
            return Corrupted(self.serialize(doc), kind, "uitbuitingsvorm")
        line = self.serialize(doc)
        return Corrupted(line[: rng.randint(len(line) // 3, len(line) - 2)], "broken_json", None)
