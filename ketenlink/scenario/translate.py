"""A scenario's signals as each partner's own native export (producers/FORMATS.md): KvK mutation
CSV rows, RIEC case-signal JSON lines, zorg reports, Stichting M. tips, municipal findings,
labour inspections and probation watches. World references get
the run suffix (KvK numbers a run-specific 8-digit number); names, phones and plates stay as
written. Revisions reuse the revised signal's reference; a resend repeats its record."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.partner_ids import partner_kind
from ketenlink.scenario.model import Background, Business, Person, Place, Scenario, Signal, Thing
from ketenlink.scenario.partners import PartnerMapping
from producers.adapters.kvk import COLUMNS as KVK_COLUMNS
from schemas.municipalities import municipalities

OBSERVATIONS: dict[str, str] = {
    "housing_by_employer": "DEP-HOUSING", "transport_by_employer": "DEP-TRANSPORT",
    "papers_arranged_by_employer": "DEP-PAPERS", "debt_to_employer": "DEP-DEBT",
    "sleeps_at_workplace": "DEP-SLEEP-AT-WORK", "unknown_own_address": "DEP-UNKNOWN-ADDRESS",
    "no_id_documents": "FRE-NO-ID", "no_own_earnings": "FRE-NO-EARNINGS",
    "no_free_movement": "FRE-NO-MOVEMENT", "medical_care_withheld": "FRE-NO-MEDICAL",
    "long_hours": "CON-LONG-HOURS", "low_or_no_pay": "CON-LOW-PAY",
    "dangerous_work": "CON-DANGEROUS", "controller_present": "SIT-CONTROLLER",
    "injuries": "SIT-INJURIES", "sudden_wealth_young": "SIT-SUDDEN-WEALTH",
    "false_promises": "SIT-FALSE-PROMISES", "overcrowding": "ADM-OVERCROWDING",
    "cash_only": "BUS-CASH-INTENSIVE", "no_permit": "ADM-NO-PERMIT",
}
"""The scenario vocabulary's observations -> the indicator catalogue (schemas/indicators.yaml);
an observation missing here has no code and is dropped with a note."""

KVK_EVENTS = {"registration": "inschrijving", "closure": "opheffing",
              "director_change": "functionariswijziging", "address_change": "adreswijziging"}
RIEC_CATEGORY = {"sexual": "seksueel", "labour": "arbeid", "criminal": "crimineel", "other": "overig"}
RIEC_SEVERITY = {"low": "laag", "medium": "midden", "high": "hoog", "critical": "zeer hoog"}
RIEC_PURPOSE = {"administrative": "bestuurlijk", "criminal-law": "strafrechtelijk", "care": "zorg",
                "prevention": "preventie"}
RIEC_ROLE = {"suspect": "verdachte", "victim": "slachtoffer", "witness": "getuige",
             "facilitator": "faciliteerder", "owner": "eigenaar", "director": "bestuurder",
             "employee": "werknemer", "resident": "bewoner", "location": "locatie",
             "instrument": "middel", "other": "overig"}
RIEC_RELATION = {"owns": "eigenaar_van", "director_of": "bestuurder_van", "works_at": "werkt_bij",
                 "lives_at": "woont_op", "located_at": "gevestigd_op", "uses": "gebruikt",
                 "controls": "controleert"}
"""Relations the RIEC format has; the rest (recruited, accompanied, pays) become
``geassocieerd_met`` with a note."""
PERMIT = {"none": "geen", "refused": "geweigerd", "revoked": "ingetrokken"}
THING_KIND = {"phone": ("telefoon", "nummer"), "vehicle": ("voertuig", "kenteken"),
              "iban": ("rekening", "iban"), "email": ("email", "adres"),
              "website": ("website", "url")}
ORDINARY_SBI = ("6920", "4711", "4321", "6201", "7022", "4778", "8559", "7111", "4332", "6831")
"""``sbi: mixed`` in a background recipe: ordinary sectors, none of them high-risk."""
GIVEN = ("Peter", "Sanne", "Mark", "Eva", "Thomas", "Fleur", "Bas", "Iris", "Ruben", "Lotte")
FAMILY = ("Brouwer", "Dekker", "Kok", "Mulder", "Postma", "Vos", "Hendriks", "Willems", "Prins")
TRADE = ("Advies", "Bouw", "Consult", "Techniek", "Handel", "Diensten", "Projecten", "Studio")


@dataclass(frozen=True)
class NativeRecord:
    """One line of a partner's export and what it stands for."""

    partner: str
    """The registered partner that publishes it."""
    line: str
    ref: str
    signal: str | None
    """The scenario signal id (None for a background record)."""
    mentions: tuple[tuple[str, str], ...] = ()
    """(world id, the subject ref the partner's adapter gives it) of the world ids it names."""


@dataclass
class Translation:
    """Records in time order, and per scenario signal what could not be expressed."""

    records: list[NativeRecord] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    """Scenario signal id -> its partner reference."""
    not_sent: dict[str, str] = field(default_factory=dict)
    """Scenario signal id -> why it was not sent."""

    def note(self, signal: str, text: str) -> None:
        self.notes.setdefault(signal, []).append(text)


def kvk_number(original: str, run_id: str) -> str:
    """A KvK number of this run: 8 digits derived from the original and the run id."""
    digest = hashlib.sha256(f"{run_id}/{original}".encode()).hexdigest()
    return f"{int(digest, 16) % 10**8:08d}"


def timestamp(moment: date | datetime) -> str:
    """ISO 8601 with offset (Dutch time as +01:00 when the file gives none); a date at noon."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, 12, 0)
    return moment.isoformat() if moment.tzinfo else f"{moment.isoformat()}+01:00"


def day(moment: date | datetime) -> str:
    return (moment.date() if isinstance(moment, datetime) else moment).isoformat()


class Translator:
    """Translates one scenario for one run."""

    def __init__(self, scenario: Scenario, run_id: str,
                 partner_of: Callable[[str], PartnerMapping]) -> None:
        self.s, self.run_id, self.partner_of = scenario, run_id, partner_of
        self.tag = f"{scenario.scenario}-{run_id}"
        """The suffix of every reference of this scenario in this run."""

    def translate(self) -> Translation:
        out = Translation()
        timeline: list[tuple[str, int, Signal | tuple[str, date, Business]]] = []
        for i, recipe in enumerate(self.s.background):
            for j, (when, business) in enumerate(self.background(i, recipe)):
                timeline.append((when.isoformat(), 0, (f"BG{i}-{j}-{self.tag}", when, business)))
        for n, signal in enumerate(self.s.signals):
            timeline.append((day(signal.date), n + 1, signal))
        for _, _, item in sorted(timeline, key=lambda t: (t[0], t[1])):
            if isinstance(item, Signal):
                self.signal(item, out)
            else:
                ref, when, business = item
                out.records.append(NativeRecord(
                    "kvk", self.kvk_line(ref, "registration", when, business), ref, None))
        return out

    def background(self, index: int, recipe: Background) -> list[tuple[date, Business]]:
        """The recipe's businesses: invented names and directors, seeded by scenario and index."""
        rng = random.Random(f"{self.s.scenario}/{index}")
        first, last = recipe.registered_between
        span = max((last - first).days, 0)
        out = []
        for j in range(recipe.businesses):
            family = rng.choice(FAMILY)
            when = first + timedelta(days=rng.randint(0, span))
            sbi = rng.choice(ORDINARY_SBI) if recipe.sbi == "mixed" else recipe.sbi
            kvk = f"{rng.randrange(10**8):08d}"  # kvk_line makes it the run's own
            out.append((when, Business(kvk=kvk, name=f"{family} {rng.choice(TRADE)} {j + 1}",
                                       sbi=sbi, legal_form="eenmanszaak", at=recipe.at,
                                       directors=[], registered=when)))
        return out

    def signal(self, signal: Signal, out: Translation) -> None:
        mapping = self.partner_of(signal.partner)
        if not mapping.can_publish:
            out.not_sent[signal.id] = mapping.reason or f"cannot express: no input format for " \
                                                        f"{signal.partner}"
            return
        assert mapping.platform is not None
        if signal.resend_of:
            original = next((r for r in reversed(out.records) if r.signal == signal.resend_of), None)
            if original is None:
                out.not_sent[signal.id] = f"cannot express: it resends {signal.resend_of}, which " \
                                          "was not sent"
                return
            out.refs[signal.id] = original.ref
            out.records.append(NativeRecord(mapping.platform, original.line, original.ref, signal.id))
            return
        ref = out.refs.get(signal.revises or "") or f"{signal.id}-{self.tag}"
        out.refs[signal.id] = ref
        mentions: dict[str, str] = {}
        line = {"kvk": lambda: self.kvk_signal(signal, ref, mentions),
                "riec": lambda: self.riec(signal, ref, out, mentions),
                "zorg": lambda: self.zorg(signal, ref, out, mentions),
                "stichting-m": lambda: self.tip(signal, ref),
                "gemeente": lambda: self.gemeente(signal, ref, out, mentions),
                "inspectie-szw": lambda: self.inspection(signal, ref, out, mentions),
                "reclassering": lambda: self.watch(signal, ref, out, mentions),
                }[partner_kind(mapping.platform)]()
        out.records.append(NativeRecord(mapping.platform, line, ref, signal.id,
                                        tuple(mentions.items())))

    # --- KvK -------------------------------------------------------------------------------
    def kvk_signal(self, signal: Signal, ref: str, mentions: dict[str, str]) -> str:
        f = signal.fields
        business = self.s.businesses[str(f["business"])]
        mentions.update({str(f["business"]): "b1", business.at: "l1"})
        if business.directors:
            mentions[business.directors[0]] = "p1"
        return self.kvk_line(ref, str(f["event"]), signal.date, business)

    def kvk_line(self, ref: str, event: str, when: date | datetime, business: Business) -> str:
        place = self.s.places[business.at]
        director: Person | None = self.s.people.get(business.directors[0]) \
            if business.directors else None
        row = {"mutatie_id": ref, "mutatie_type": KVK_EVENTS[event], "datum": day(when),
               "kvk_nummer": kvk_number(business.kvk, self.tag), "handelsnaam": business.name,
               "rechtsvorm": business.legal_form or "", "sbi_code": business.sbi,
               "straat": place.street, "huisnummer": place.number, "toevoeging": place.addition or "",
               "postcode": place.postcode or "", "plaats": place.city, "gemeente": address(place)["gemeente"],
               "functionaris_voornamen": director.given if director else "",
               "functionaris_tussenvoegsel": (director.prefix or "") if director else "",
               "functionaris_achternaam": director.family if director else "",
               "functionaris_geboortedatum": director.dob.isoformat()
               if director and director.dob else "",
               "functionaris_rol": ("eigenaar" if business.legal_form == "eenmanszaak"
                                    else "bestuurder") if director else ""}
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";", quotechar='"', lineterminator="").writerow(
            [row[c] for c in KVK_COLUMNS])
        return buffer.getvalue()

    # --- RIEC ------------------------------------------------------------------------------
    def riec(self, signal: Signal, ref: str, out: Translation, mentions: dict[str, str]) -> str:
        f = signal.fields
        subjects, relations = self.case_subjects(signal, out, mentions)
        region = signal.partner.partition(":")[2]
        doc = {"casus_ref": ref, "regio": region or None, "datum_constatering": day(signal.date),
               "datum_melding": timestamp(signal.date),
               "uitbuitingsvorm": RIEC_CATEGORY[str(f.get("category", "other"))],
               "indicatoren": self.codes(signal, out),
               "ernst": RIEC_SEVERITY[str(f.get("severity", "medium"))],
               "doel": RIEC_PURPOSE[str(f.get("purpose", "administrative"))],
               "subjecten": subjects, "relaties": relations, "toelichting": f.get("note")}
        if f.get("intervention"):
            out.note(signal.id, "the RIEC format has no intervention field: not sent")
        return json.dumps({k: v for k, v in doc.items() if v is not None}, ensure_ascii=False)

    def case_subjects(self, signal: Signal, out: Translation, refs: dict[str, str]
                      ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """``subjects`` and ``relations`` as the RIEC format's ``subjecten`` and ``relaties``
        (also read by the municipal and inspection formats); ``refs`` holds the world ids the
        record names elsewhere (its address, its business) and gains the others."""
        f = signal.fields
        subjects_in = dict(f.get("subjects") or {})
        overrides = dict(subjects_in.pop("as", None) or {})
        subjects: list[dict[str, Any]] = []

        def add(world_id: str, role: str) -> None:
            refs[world_id] = f"s{len(subjects) + 1}"
            subjects.append(self.subject(world_id, refs[world_id], role,
                                         overrides.get(world_id) or {}))

        for world_id, role in subjects_in.items():
            if world_id not in refs:
                add(world_id, RIEC_ROLE.get(str(role), "overig"))
        relations = []
        for source, kind, target in f.get("relations") or []:
            for world_id in (source, target):
                if world_id not in refs:
                    add(world_id, "overig")
            if kind not in RIEC_RELATION:
                out.note(signal.id, f"relation {kind} has no RIEC type: sent as geassocieerd_met")
            relations.append({"van": refs[source], "type": RIEC_RELATION.get(kind, "geassocieerd_met"),
                              "naar": refs[target]})
        return subjects, relations

    def subject(self, world_id: str, ref: str, role: str, override: dict[str, Any]) -> dict[str, Any]:
        common = {"id": ref, "rol": role}
        if world_id in self.s.people:
            return {**common, "soort": "persoon", **self.person(world_id, override)}
        if world_id in self.s.businesses:
            b = self.s.businesses[world_id]
            return {**common, "soort": "bedrijf", "kvk_nummer": kvk_number(b.kvk, self.tag),
                    "handelsnaam": b.name, "rechtsvorm": b.legal_form, "sbi_code": b.sbi,
                    "adres": address(self.s.places[b.at])}
        if world_id in self.s.places:
            return {**common, "soort": "adres", "adres": address(self.s.places[world_id])}
        thing: Thing = self.s.things[world_id]
        kind, key = THING_KIND[thing.type]
        return {**common, "soort": kind, key: thing.value}

    def codes(self, signal: Signal, out: Translation) -> list[str]:
        observed: Sequence[str] = signal.fields.get("observations") or []
        for name in observed:
            if name not in OBSERVATIONS:
                out.note(signal.id, f"observation {name} has no indicator code: dropped")
        return [OBSERVATIONS[o] for o in observed if o in OBSERVATIONS]

    # --- zorg ------------------------------------------------------------------------------
    def zorg(self, signal: Signal, ref: str, out: Translation, mentions: dict[str, str]) -> str:
        f = signal.fields
        patient_id = str(f["patient"])
        mentions[patient_id] = "v1"
        person = self.s.people[patient_id]
        escort = dict(f.get("escort") or {})
        doc = {"melding_id": ref, "instelling": signal.partner.partition(":")[2] or signal.partner,
               "datum": timestamp(signal.date), "patient_id": f"{patient_id}-{self.tag}",
               "bsn": person.bsn, "geschatte_leeftijd": f.get("age"),
               "nationaliteit": person.nationality, "indicatoren": self.codes(signal, out),
               "begeleider": {k: v for k, v in (("telefoon", escort.get("phone")),
                                                ("omschrijving", escort.get("description")))
                              if v} or None,
               "toelichting": f.get("text")}
        return json.dumps({k: v for k, v in doc.items() if v is not None}, ensure_ascii=False)

    # --- municipality ----------------------------------------------------------------------
    def gemeente(self, signal: Signal, ref: str, out: Translation, mentions: dict[str, str]) -> str:
        f = signal.fields
        mentions[str(f["at"])] = "adres"
        company = self.company(f.get("business"), mentions)
        subjects, relations = self.case_subjects(signal, out, mentions)
        doc = {"kenmerk": ref, "datum_controle": day(signal.date),
               "datum_melding": timestamp(signal.date),
               "adres": address(self.s.places[str(f["at"])], cbs=True),
               "aangetroffen_bewoners": f.get("residents"),
               "ingeschreven_bewoners": f.get("registered_residents"), "bedrijf": company,
               "vergunning": PERMIT.get(str(f["permit"])) if f.get("permit") else None,
               "bevindingen": self.codes(signal, out), "subjecten": subjects or None,
               "relaties": relations or None, "toelichting": f.get("note")}
        return json.dumps({k: v for k, v in doc.items() if v is not None}, ensure_ascii=False)

    def company(self, world_id: object, mentions: dict[str, str]) -> dict[str, Any] | None:
        """A ``bedrijf`` object of the municipal and inspection formats."""
        if not world_id:
            return None
        business = self.s.businesses[str(world_id)]
        mentions[str(world_id)] = "bedrijf"
        return {"naam": business.name, "kvk_nummer": kvk_number(business.kvk, self.tag),
                "sbi": business.sbi}

    # --- labour inspection -----------------------------------------------------------------
    def inspection(self, signal: Signal, ref: str, out: Translation,
                   mentions: dict[str, str]) -> str:
        f = signal.fields
        company = self.company(f["business"], mentions)
        if f.get("at"):
            mentions[str(f["at"])] = "locatie"
        workers = []
        for n, world_id in enumerate(f.get("workers") or [], start=1):
            mentions[str(world_id)] = f"w{n}"
            workers.append({"id": f"w{n}", **self.person(str(world_id), {})})
        subjects, relations = self.case_subjects(signal, out, mentions)
        doc = {"kenmerk": ref, "datum_inspectie": day(signal.date),
               "datum_melding": timestamp(signal.date), "bedrijf": company,
               "locatie": address(self.s.places[str(f["at"])], cbs=True) if f.get("at") else None,
               "werknemers": workers or None, "bevindingen": self.codes(signal, out),
               "subjecten": subjects or None, "relaties": relations or None,
               "toelichting": f.get("note")}
        return json.dumps({k: v for k, v in doc.items() if v is not None}, ensure_ascii=False)

    # --- probation -------------------------------------------------------------------------
    def watch(self, signal: Signal, ref: str, out: Translation, mentions: dict[str, str]) -> str:
        f = signal.fields
        mentions[str(f["watch"])] = "p1"
        conditions: list[dict[str, Any]] = []
        for condition in f.get("conditions") or []:
            for kind, value in dict(condition).items():
                if kind == "no_contact":
                    mentions[str(value)] = f"c{sum(c['type'] == 'contactverbod' for c in conditions) + 1}"
                    conditions.append({"type": "contactverbod", "persoon": self.person(str(value), {})})
                elif kind == "no_business_in_sector":
                    conditions.append({"type": "beroepsverbod", "sbi": str(value)})
                elif kind == "no_location":
                    conditions.append({"type": "locatieverbod",
                                       "adres": address(self.s.places[str(value)], cbs=True)})
                else:
                    out.note(signal.id, f"condition {kind} has no probation type: not sent")
        doc = {"kenmerk": ref, "datum": day(signal.date), "toezicht_tot": day(f["until"]),
               "persoon": self.person(str(f["watch"]), {}), "voorwaarden": conditions}
        return json.dumps(doc, ensure_ascii=False)

    def person(self, world_id: str, override: dict[str, Any]) -> dict[str, Any]:
        """A person's fields as the Dutch formats write them (RIEC ``persoon``)."""
        p = self.s.people[world_id].model_copy(update=override)
        fields = {"voornaam": p.given, "tussenvoegsel": p.prefix or None, "achternaam": p.family,
                  "geboortedatum": p.dob.isoformat() if p.dob else None,
                  "nationaliteit": p.nationality, "bsn": p.bsn}
        return {k: v for k, v in fields.items() if v is not None}

    # --- Stichting M. ----------------------------------------------------------------------
    def tip(self, signal: Signal, ref: str) -> str:
        f = signal.fields
        reporter = dict(f.get("reporter") or {})
        melder = {k: reporter[v] for k, v in (("naam", "name"), ("telefoon", "phone"),
                                              ("email", "email"), ("adres", "address"))
                  if reporter.get(v)}
        doc = {"tip_id": ref, "ontvangen": timestamp(signal.date), "melder": melder or None,
               "tekst": f.get("text")}
        return json.dumps({k: v for k, v in doc.items() if v is not None}, ensure_ascii=False)


def address(place: Place, cbs: bool = False) -> dict[str, Any]:
    """A native ``adres``: its ``gemeente`` the municipality's name (KvK, RIEC), or its CBS code
    (``cbs``: the municipal, inspection and probation formats)."""
    known = municipalities().get(place.municipality)
    municipality = place.municipality if cbs else known.short_name if known else place.city
    fields = {"straat": place.street,
              "huisnummer": int(place.number) if place.number.isdigit() else place.number,
              "toevoeging": place.addition, "postcode": place.postcode, "plaats": place.city,
              "gemeente": municipality, "land": None if cbs else "NL"}
    return {k: v for k, v in fields.items() if v is not None}
