"""Healthcare reports about possible victims (JSON Lines, producers/FORMATS.md) -> Signal v1.

Privacy at the source: the patient appears only as keyed pseudonyms (patient number scoped to
the institution, BSN); name and clinical notes are dropped here and never reach Kafka. Only
indicator codes, an age band and nationality describe the person. The free-text ``toelichting``
(and the escort's ``omschrijving``) is published in the narrative only after de-identification
(``producers.deidentify``): the patient's name, BSN and patient number in any spelling, the care
worker's sign-off and self-identification, and every person name deduce finds are cut.

An escort (``begeleider``) with a name becomes a suspect person who USES the escort's phone and
vehicle; an escort without a name still gives the phone and the vehicle as instrument subjects
(Signal v1 has no person without a name or identifier), and a description goes to the narrative.
Distribution ``tlp:amber+strict``, purpose ``care``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from producers.adapters.base import (
    RecordError,
    Result,
    drop_none,
    dutch_address,
    parse_timestamp,
    text,
)
from producers.adapters.jsonl import read_jsonl, redact_keys
from producers.adapters.riec import CATEGORY
from producers.deidentify import DEFAULT_DEIDENTIFIER, Deidentifier, Identity
from producers.pseudonym import Pseudonymiser
from schemas import identifiers as ids
from schemas.indicators import catalogue

# Never leave the adapter, not even in a rejects file.
CONFIDENTIAL_KEYS_IN_REJECTS = frozenset({"patient_id", "bsn", "klinische_notitie",
                                          "patient_naam", "toelichting", "omschrijving"})


def age_band(age: object) -> str | None:
    """A coarse age band: exact age is more than the chain needs."""
    if age is None:
        return None
    if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 120:
        raise RecordError(f"geschatte_leeftijd: expected a whole number 0-120, got {age!r}")
    if age < 18:
        return "minor"
    if age < 21:
        return "18-20"
    return "21+"


def zorg_signal(doc: object, pseudonyms: Pseudonymiser,
                deidentifier: Deidentifier = DEFAULT_DEIDENTIFIER,
                partner: str = "zorg") -> dict[str, Any]:
    """One report as a Signal v1 document, its free text de-identified by ``deidentifier``."""
    if not isinstance(doc, dict):
        raise RecordError(f"expected a JSON object, got {type(doc).__name__}")
    ref = text(doc.get("melding_id"), "melding_id")
    institution = text(doc.get("instelling"), "instelling")
    patient_id = text(doc.get("patient_id"), "patient_id")
    if ref is None or institution is None:
        raise RecordError("melding_id and instelling are required")
    identifiers = []
    if patient_id:
        identifiers.append({"scheme": "patient-pseudonym",
                            "value": pseudonyms.patient(institution, patient_id)})
    clear_bsn = text(doc.get("bsn"), "bsn")
    if clear_bsn:
        try:
            identifiers.append({"scheme": "bsn-pseudonym", "value": pseudonyms.bsn(clear_bsn)})
        except ValueError as exc:
            raise RecordError(f"bsn: {exc}") from None
    if not identifiers:
        raise RecordError("patient_id or bsn is required to recognise the person again")
    band = age_band(doc.get("geschatte_leeftijd"))
    codes = list(dict.fromkeys(doc.get("indicatoren") or []))
    if "SIT-UNDERAGE" not in codes and (band == "minor" or (
            band == "18-20" and doc.get("vermoedelijke_vorm") == "seksueel")):
        codes.append("SIT-UNDERAGE")  # a minor in any form; under 21 in sex work (Wrp)
    subjects: list[dict[str, Any]] = [drop_none({
        "type": "person", "ref": "v1", "role": "victim", "identifiers": identifiers,
        "nationality": text(doc.get("nationaliteit"), "nationaliteit"),
    })]
    relations: list[dict[str, str]] = []
    escort = doc.get("begeleider")
    if escort is not None and not isinstance(escort, dict):
        raise RecordError("begeleider: expected an object")
    escort_note = _escort(escort or {}, subjects, relations)
    patient = Identity(names=tuple(n for n in [text(doc.get("patient_naam"), "patient_naam")] if n),
                       numbers=tuple(n for n in (patient_id, clear_bsn) if n))
    notes = [f"Possible victim seen by {institution}; age band {band or 'unknown'}."]
    for label, free in (("Toelichting", text(doc.get("toelichting"), "toelichting")),
                        ("Begeleider", escort_note)):
        if free:
            notes.append(f"{label}: {deidentifier(free, patient)}")
    stay = dutch_address(doc.get("verblijfadres"), "verblijfadres")
    if stay:
        subjects.append({"type": "location", "ref": "l1", "role": "location", "address": stay})
        relations.append({"source": "v1", "type": "LIVES_AT", "target": "l1"})
    moment = parse_timestamp(doc.get("datum"), "datum")
    known = catalogue()
    return {
        "partner": partner,
        "partner_ref": ref,
        "observed_at": moment,
        "reported_at": moment,
        "category": CATEGORY.get(str(doc.get("vermoedelijke_vorm") or "overig").lower(), "other"),
        "barrier_stages": sorted({known[c].stage for c in codes if c in known}),
        "indicators": codes,
        "severity": "high" if band != "21+" or len(codes) >= 3 else "medium",
        "distribution": "tlp:amber+strict",
        "purpose": "care",
        "legal_basis": "Wgbo art. 7:457 lid 3 (conflict of duties); Meldcode",
        "subjects": subjects,
        "relations": relations,
        "narrative": "\n".join(notes),
    }


def _escort(escort: dict[str, Any], subjects: list[dict[str, Any]],
            relations: list[dict[str, str]]) -> str | None:
    """Add the escort's subjects (a suspect with a name; the phone and vehicle in any case) and
    return the escort's free-text description, if any."""
    phone = text(escort.get("telefoon"), "begeleider.telefoon")
    plate = text(escort.get("kenteken"), "begeleider.kenteken")
    named = bool(escort.get("achternaam") or escort.get("voornaam"))
    if named:
        subjects.append(drop_none({
            "type": "person", "ref": "s1", "role": "suspect",
            "given_name": text(escort.get("voornaam"), "begeleider.voornaam"),
            "name_prefix": text(escort.get("tussenvoegsel"), "begeleider.tussenvoegsel"),
            "family_name": text(escort.get("achternaam"), "begeleider.achternaam"),
        }))
        relations.append({"source": "s1", "type": "CONTROLS", "target": "v1"})
    if phone:
        subjects.append({"type": "phone", "ref": "t1", "role": "instrument", "number": phone})
        if named:
            relations.append({"source": "s1", "type": "USES", "target": "t1"})
    if plate:
        try:
            ids.plate(plate)
        except ValueError as exc:
            raise RecordError(f"begeleider.kenteken: {exc}") from None
        subjects.append({"type": "vehicle", "ref": "k1", "role": "instrument", "plate": plate})
        if named:
            relations.append({"source": "s1", "type": "USES", "target": "k1"})
    return text(escort.get("omschrijving"), "begeleider.omschrijving")


class ZorgAdapter:
    """Reads ``zorg-meldingen.jsonl``."""

    def __init__(self, pseudonyms: Pseudonymiser,
                 deidentifier: Deidentifier = DEFAULT_DEIDENTIFIER,
                 partner: str = "zorg") -> None:
        self.pseudonyms, self.deidentifier, self.partner = pseudonyms, deidentifier, partner

    def read(self, path: Path) -> Iterator[Result]:
        return read_jsonl(path, lambda doc: zorg_signal(doc, self.pseudonyms, self.deidentifier,
                                                      self.partner),
                          lambda raw: redact_keys(raw, CONFIDENTIAL_KEYS_IN_REJECTS))
