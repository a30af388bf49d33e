"""RIEC case-signal export (JSON Lines, producers/FORMATS.md) -> Signal v1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from producers.adapters.base import (
    RecordError,
    Result,
    age_indicators,
    drop_none,
    dutch_address,
    parse_date,
    parse_timestamp,
    record_and_ref,
    start_of_day,
    text,
)
from producers.adapters.jsonl import read_jsonl, redact_keys
from producers.pseudonym import Pseudonymiser

CATEGORY = {"seksueel": "sexual", "arbeid": "labour", "crimineel": "criminal", "overig": "other"}
STAGE = {"entree": "entry", "huisvesting": "housing", "identiteit": "identity", "werk": "work",
         "financien": "finance", "financiën": "finance"}
SEVERITY = {"laag": "low", "midden": "medium", "hoog": "high", "zeer hoog": "critical"}
PURPOSE = {"bestuurlijk": "administrative", "strafrechtelijk": "criminal-law", "zorg": "care",
           "preventie": "prevention"}
ROLE = {"verdachte": "suspect", "slachtoffer": "victim", "getuige": "witness",
        "faciliteerder": "facilitator", "eigenaar": "owner", "bestuurder": "director",
        "werknemer": "employee", "bewoner": "resident", "locatie": "location",
        "middel": "instrument", "overig": "other"}
RELATION = {"bestuurder_van": "DIRECTOR_OF", "eigenaar_van": "OWNS", "werkt_bij": "WORKS_AT",
            "gevestigd_op": "LOCATED_AT", "woont_op": "LIVES_AT", "gebruikt": "USES",
            "controleert": "CONTROLS", "geassocieerd_met": "ASSOCIATED_WITH"}


def lookup(table: dict[str, str], value: object, field: str) -> str:
    """Map a partner's code to ours; an unknown code is an error listing the known ones."""
    key = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(key, str) or key not in table:
        raise RecordError(f"{field}: unknown value {value!r} (expected one of {sorted(table)})")
    return table[key]


def subject_ref(value: object, field: str) -> str:
    ref = text(value, field)
    if ref is None:
        raise RecordError(f"{field}: missing")
    return ref.lower()


def person(raw: dict[str, Any], field: str, pseudonyms: Pseudonymiser) -> dict[str, Any]:
    """A RIEC ``persoon`` subject; a clear ``bsn`` becomes a keyed pseudonym here."""
    identifiers = []
    clear_bsn = text(raw.get("bsn"), f"{field}.bsn")
    if clear_bsn:
        try:
            identifiers.append({"scheme": "bsn-pseudonym", "value": pseudonyms.bsn(clear_bsn)})
        except ValueError as exc:
            raise RecordError(f"{field}.bsn: {exc}") from None  # never echo the number
    birth = raw.get("geboortedatum")
    return drop_none({
        "type": "person",
        "given_name": text(raw.get("voornaam"), f"{field}.voornaam"),
        "name_prefix": text(raw.get("tussenvoegsel"), f"{field}.tussenvoegsel"),
        "family_name": text(raw.get("achternaam"), f"{field}.achternaam"),
        "birth_date": parse_date(birth, f"{field}.geboortedatum").isoformat() if birth else None,
        "nationality": text(raw.get("nationaliteit"), f"{field}.nationaliteit"),
        "identifiers": identifiers,
        "address": dutch_address(raw.get("adres"), f"{field}.adres"),
    })


def subject(raw: object, field: str, pseudonyms: Pseudonymiser) -> dict[str, Any]:
    """One entry of ``subjecten`` as a Signal v1 subject."""
    if not isinstance(raw, dict):
        raise RecordError(f"{field}: expected an object")
    kind = raw.get("soort")
    common = {"ref": subject_ref(raw.get("id"), f"{field}.id"),
              "role": lookup(ROLE, raw.get("rol"), f"{field}.rol")}
    if kind == "persoon":
        return {**common, **person(raw, field, pseudonyms)}
    if kind == "bedrijf":
        return {**common, **drop_none({
            "type": "business",
            "kvk_number": text(raw.get("kvk_nummer"), f"{field}.kvk_nummer"),
            "trade_name": text(raw.get("handelsnaam"), f"{field}.handelsnaam"),
            "legal_form": legal_form(raw.get("rechtsvorm")),
            "sbi_code": text(raw.get("sbi_code"), f"{field}.sbi_code"),
            "address": dutch_address(raw.get("adres"), f"{field}.adres"),
        })}
    if kind == "adres":
        return {**common, "type": "location",
                "address": dutch_address(raw.get("adres"), f"{field}.adres")}
    simple = {"telefoon": ("phone", "number", "nummer"), "rekening": ("bank_account", "iban", "iban"),
              "email": ("email", "address", "adres"), "website": ("website", "url", "url")}
    if kind in simple:
        our_type, ours, theirs = simple[kind]
        return {**common, "type": our_type, ours: text(raw.get(theirs), f"{field}.{theirs}")}
    if kind == "voertuig":
        return {**common, **drop_none({"type": "vehicle",
                                       "plate": text(raw.get("kenteken"), f"{field}.kenteken"),
                                       "country": text(raw.get("land"), f"{field}.land")})}
    raise RecordError(f"{field}.soort: unknown value {kind!r} (expected persoon, bedrijf, adres, "
                      "telefoon, rekening, voertuig, email or website)")


LEGAL_FORM = {"eenmanszaak": "eenmanszaak", "vof": "vof", "cv": "cv", "bv": "bv", "nv": "nv",
              "stichting": "stichting", "vereniging": "vereniging", "cooperatie": "cooperatie",
              "coöperatie": "cooperatie", "buitenlandse rechtsvorm": "foreign"}


def legal_form(value: object) -> str | None:
    """KvK legal-form wording to Signal v1; unknown wording becomes ``other``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return LEGAL_FORM.get(value.strip().lower().replace(".", ""), "other")


def riec_signal(doc: object, pseudonyms: Pseudonymiser, partner: str = "riec") -> dict[str, Any]:
    """One RIEC case signal as a Signal v1 document (not yet validated)."""
    doc, ref = record_and_ref(doc, "casus_ref")
    subjects_raw = doc.get("subjecten") or []
    relations_raw = doc.get("relaties") or []
    if not isinstance(subjects_raw, list) or not isinstance(relations_raw, list):
        raise RecordError("subjecten and relaties must be lists")
    relations = []
    for i, rel in enumerate(relations_raw):
        if not isinstance(rel, dict):
            raise RecordError(f"relaties[{i}]: expected an object")
        relations.append({"source": subject_ref(rel.get("van"), f"relaties[{i}].van"),
                          "type": lookup(RELATION, rel.get("type"), f"relaties[{i}].type"),
                          "target": subject_ref(rel.get("naar"), f"relaties[{i}].naar")})
    region = text(doc.get("regio"), "regio")
    observed = start_of_day(parse_date(doc.get("datum_constatering"), "datum_constatering"))
    category = lookup(CATEGORY, doc.get("uitbuitingsvorm"), "uitbuitingsvorm")
    subjects = [subject(s, f"subjecten[{i}]", pseudonyms) for i, s in enumerate(subjects_raw)]
    return drop_none({
        "partner": partner,
        "partner_ref": ref,
        "observed_at": observed,
        "reported_at": parse_timestamp(doc.get("datum_melding"), "datum_melding"),
        "category": category,
        "barrier_stages": sorted({lookup(STAGE, s, "barrieres") for s in doc.get("barrieres") or []}),
        "indicators": list(dict.fromkeys([*(doc.get("indicatoren") or []),
                                          *age_indicators(subjects, observed, category)])),
        "severity": lookup(SEVERITY, doc.get("ernst"), "ernst"),
        "distribution": "tlp:amber",
        "purpose": lookup(PURPOSE, doc.get("doel"), "doel"),
        "legal_basis": text(doc.get("grondslag"), "grondslag") or "Convenant RIEC/LIEC",
        "subjects": subjects,
        "relations": relations,
        "narrative": "\n".join(filter(None, [f"Regio: {region}" if region else None,
                                             text(doc.get("toelichting"), "toelichting")])) or None,
    })


class RiecAdapter:
    """Reads ``riec-casussignalen.jsonl``."""

    def __init__(self, pseudonyms: Pseudonymiser, partner: str = "riec") -> None:
        self.pseudonyms, self.partner = pseudonyms, partner

    def read(self, path: Path) -> Iterator[Result]:
        return read_jsonl(path, lambda doc: riec_signal(doc, self.pseudonyms, self.partner),
                          lambda raw: redact_keys(raw, frozenset({"bsn"})))
