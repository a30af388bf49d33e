"""Labour inspection findings of the Nederlandse Arbeidsinspectie (JSON Lines,
producers/FORMATS.md) -> Signal v1.

One inspection is one signal: the inspected business (role ``location``: where the finding was
made) LOCATED_AT the inspected ``locatie`` when given, every worker found (``werknemers``) a person
who WORKS_AT the business, and ``subjecten``/``relaties`` as in the RIEC format (a worker's
``id`` lets a relation name them, e.g. the staffing agency that employs them). Clear BSNs become
keyed pseudonyms here. Category ``labour``, purpose ``administrative``, distribution ``tlp:amber``.

A worker's role is ``victim`` when the findings point to exploitation rather than to a breach of
labour law alone, else ``employee``. The rule follows the structure of art. 273f Sr (a means such
as coercion or abuse of a dependent position, together with exploitation), read on the
catalogue's groups (schemas/indicators.yaml): the findings hold an indicator of the ``freedom``
group (restriction of basic freedoms: no papers, no earnings, no movement, medical help withheld),
or at least one of the ``dependency`` group (housing, transport, papers or debt through the
employer) together with at least one of the ``conditions`` group (very long hours, very low pay,
dangerous work). Under-payment or long hours alone keep the workers employees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from producers.adapters.base import (
    RecordError,
    Result,
    age_indicators,
    parse_date,
    parse_timestamp,
    record_and_ref,
    start_of_day,
    text,
)
from producers.adapters.gemeente import (
    BUSINESS_REF,
    RIEC_NAMES,
    address,
    assemble,
    business,
    check_partner,
    checked,
    indicator_codes,
    partner_subjects,
    person_subject,
    severity,
    stages,
)
from producers.adapters.jsonl import read_jsonl, redact_keys
from producers.adapters.riec import subject_ref
from producers.pseudonym import Pseudonymiser
from schemas.indicators import catalogue

PARTNER = "inspectie-szw"
LEGAL_BASIS = ("Wet arbeid vreemdelingen / Wet minimumloon / Arbeidsomstandighedenwet "
               "(toezicht Nederlandse Arbeidsinspectie)")
LOCATION_REF = "locatie"


def points_to_exploitation(codes: Iterable[str]) -> bool:
    """Whether the findings make the workers victims (module docstring)."""
    groups = {catalogue()[c].group for c in codes}
    return "freedom" in groups or {"dependency", "conditions"} <= groups


def inspectie_szw_signal(doc: object, pseudonyms: Pseudonymiser,
                         partner: str = PARTNER) -> dict[str, Any]:
    """One labour inspection finding as a Signal v1 document."""
    doc, ref = record_and_ref(doc, "kenmerk")
    day = parse_date(doc.get("datum_inspectie"), "datum_inspectie")
    observed = start_of_day(day)
    reported = parse_timestamp(doc.get("datum_melding"), "datum_melding")
    if reported < observed:
        raise RecordError("datum_melding: lies before datum_inspectie")
    codes = indicator_codes(doc.get("bevindingen"), "bevindingen")
    exploitation = points_to_exploitation(codes)

    if doc.get("bedrijf") is None:
        raise RecordError("bedrijf: missing")
    subjects: list[tuple[str, dict[str, Any]]] = [
        ("bedrijf", business(doc["bedrijf"], "bedrijf", "location"))]
    relations: list[dict[str, str]] = []
    if doc.get("locatie") is not None:
        place, _ = address(doc["locatie"], "locatie")
        subjects.append(("locatie", checked(
            {"type": "location", "ref": LOCATION_REF, "role": "location", "address": place},
            "locatie")))
        relations.append({"source": BUSINESS_REF, "type": "LOCATED_AT", "target": LOCATION_REF})

    workers_raw = doc.get("werknemers") or []
    if not isinstance(workers_raw, list):
        raise RecordError("werknemers: expected a list")
    role = "victim" if exploitation else "employee"
    for i, raw in enumerate(workers_raw):
        field = f"werknemers[{i}]"
        given = raw.get("id") if isinstance(raw, dict) else None
        worker_ref = subject_ref(given, f"{field}.id") if given is not None else f"w{i + 1}"
        subjects.append((field, person_subject(raw, field, worker_ref, role, pseudonyms)))
        relations.append({"source": worker_ref, "type": "WORKS_AT", "target": BUSINESS_REF})
    more, more_relations = partner_subjects(doc, pseudonyms)
    subjects += [(field, checked(s, field, RIEC_NAMES)) for field, s in more]
    all_subjects, all_relations = assemble(subjects, relations, more_relations)
    codes += [c for c in age_indicators(all_subjects, observed, "labour") if c not in codes]

    facts = [f"Inspectie Nederlandse Arbeidsinspectie op {day.isoformat()}"]
    if workers_raw:
        facts.append(f"{len(workers_raw)} werknemers aangetroffen"
                     + (" (bevindingen wijzen op uitbuiting)" if exploitation else ""))
    return {
        "partner": partner,
        "partner_ref": ref,
        "observed_at": observed,
        "reported_at": reported,
        "category": "labour",
        "barrier_stages": stages(codes),
        "indicators": codes,
        "severity": "high" if exploitation else severity(codes),
        "distribution": "tlp:amber",
        "purpose": "administrative",
        "legal_basis": LEGAL_BASIS,
        "subjects": all_subjects,
        "relations": all_relations,
        "narrative": "\n".join(filter(None, ["; ".join(facts) + ".",
                                             text(doc.get("toelichting"), "toelichting")])),
    }


class InspectieSzwAdapter:
    """Reads ``arbeidsinspectie-bevindingen.jsonl``; publishes as ``partner``."""

    def __init__(self, pseudonyms: Pseudonymiser, partner: str = PARTNER) -> None:
        self.pseudonyms, self.partner = pseudonyms, check_partner(partner, PARTNER)

    def read(self, path: Path) -> Iterator[Result]:
        return read_jsonl(path, lambda doc: inspectie_szw_signal(doc, self.pseudonyms, self.partner),
                          lambda raw: redact_keys(raw, frozenset({"bsn"})))
