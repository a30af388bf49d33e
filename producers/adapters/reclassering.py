"""Probation watches (JSON Lines, producers/FORMATS.md) -> Signal v1.

One watch is one signal about a person under probation supervision (``persoon``) and the special
conditions (bijzondere voorwaarden, art. 14c lid 2 Sr) whose breach other partners' signals may
show. Conditions form a closed list (``CONDITIONS``):

- ``contactverbod`` ``{persoon}``: no contact with this person (art. 14c lid 2 onder 5° Sr). The
  person becomes a subject the watched person is ASSOCIATED_WITH (the only relation type between
  two persons that asserts no control);
- ``locatieverbod`` ``{adres}``: stay away from this address (onder 6°). It becomes a location
  subject with no relation: no relation type says "must stay away from", and LOCATED_AT or
  LIVES_AT would say the opposite;
- ``beroepsverbod`` ``{sbi}``: no work or business in this sector (SBI code, 2 to 5 digits), a
  condition on the convicted person's conduct. It has no subject; it is in the narrative.

Signal v1 has no role for a person under supervision nor for the persons a contact ban protects:
both are ``other``. The end of supervision (``toezicht_tot``) has no field in Signal v1 either;
the narrative carries it with the conditions in a fixed, non-identifying form
(``Toezicht van 2026-01-05 tot 2027-12-31; voorwaarden: contactverbod (1 persoon), beroepsverbod
SBI 96.``); no free text is published. Clear BSNs become keyed pseudonyms here. Category
``criminal``, purpose ``criminal-law``, distribution ``tlp:amber+strict``, no indicators,
severity ``medium`` (a watch is no finding of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from producers.adapters.base import (
    RecordError,
    Result,
    parse_date,
    record_and_ref,
    start_of_day,
    text,
)
from producers.adapters.gemeente import address, assemble, check_partner, checked, person_subject
from producers.adapters.jsonl import read_jsonl, redact_keys
from producers.adapters.riec import lookup
from producers.pseudonym import Pseudonymiser
from schemas import identifiers as ids

PARTNER = "reclassering"
CONDITIONS = {"contactverbod": "contactverbod", "locatieverbod": "locatieverbod",
              "beroepsverbod": "beroepsverbod"}
LEGAL_BASIS = "Wetboek van Strafrecht art. 14c (bijzondere voorwaarden); toezicht reclassering"
WATCHED_REF = "p1"


def reclassering_signal(doc: object, pseudonyms: Pseudonymiser,
                        partner: str = PARTNER) -> dict[str, Any]:
    """One probation watch as a Signal v1 document."""
    doc, ref = record_and_ref(doc, "kenmerk")
    start = parse_date(doc.get("datum"), "datum")
    until = parse_date(doc.get("toezicht_tot"), "toezicht_tot")
    if until < start:
        raise RecordError(f"toezicht_tot: {until.isoformat()} lies before datum "
                          f"{start.isoformat()}")
    if doc.get("persoon") is None:
        raise RecordError("persoon: missing")
    watched = person_subject(doc["persoon"], "persoon", WATCHED_REF, "other", pseudonyms)
    # A watch on a name alone would hit every namesake.
    for ours, theirs in (("family_name", "achternaam"), ("birth_date", "geboortedatum")):
        if not watched.get(ours):
            raise RecordError(f"persoon.{theirs}: missing (a watch needs achternaam and "
                              "geboortedatum)")

    conditions = doc.get("voorwaarden")
    if not isinstance(conditions, list) or not conditions:
        raise RecordError("voorwaarden: expected a non-empty list of conditions")
    subjects: list[tuple[str, dict[str, Any]]] = [("persoon", watched)]
    relations: list[dict[str, str]] = []
    contacts, places, sectors = 0, 0, []
    for i, condition in enumerate(conditions):
        field = f"voorwaarden[{i}]"
        if not isinstance(condition, dict):
            raise RecordError(f"{field}: expected an object")
        kind = lookup(CONDITIONS, condition.get("type"), f"{field}.type")
        if kind == "contactverbod":
            if condition.get("persoon") is None:
                raise RecordError(f"{field}.persoon: missing")
            contacts += 1
            contact_ref = f"c{contacts}"
            subjects.append((f"{field}.persoon", person_subject(
                condition["persoon"], f"{field}.persoon", contact_ref, "other", pseudonyms)))
            relations.append({"source": WATCHED_REF, "type": "ASSOCIATED_WITH",
                              "target": contact_ref})
        elif kind == "locatieverbod":
            place, _ = address(condition.get("adres"), f"{field}.adres")
            places += 1
            subjects.append((f"{field}.adres", checked(
                {"type": "location", "ref": f"l{places}", "role": "location", "address": place},
                f"{field}.adres")))
        else:
            sbi = condition.get("sbi")
            sbi = str(sbi) if isinstance(sbi, int) and not isinstance(sbi, bool) else sbi
            code = text(sbi, f"{field}.sbi")
            if code is None:
                raise RecordError(f"{field}.sbi: missing")
            try:
                sectors.append(ids.sbi_code(code))
            except ValueError as exc:
                raise RecordError(f"{field}.sbi: {exc}") from None
    all_subjects, all_relations = assemble(subjects, relations, [])

    terms = []
    if contacts:
        terms.append(f"contactverbod ({contacts} {'persoon' if contacts == 1 else 'personen'})")
    terms += [f"beroepsverbod SBI {code}" for code in dict.fromkeys(sectors)]
    if places:
        terms.append(f"locatieverbod ({places} {'adres' if places == 1 else 'adressen'})")
    observed = start_of_day(start)
    return {
        "partner": partner,
        "partner_ref": ref,
        "observed_at": observed,
        "reported_at": observed,
        "category": "criminal",
        "barrier_stages": [],
        "indicators": [],
        "severity": "medium",
        "distribution": "tlp:amber+strict",
        "purpose": "criminal-law",
        "legal_basis": LEGAL_BASIS,
        "subjects": all_subjects,
        "relations": all_relations,
        "narrative": f"Toezicht van {start.isoformat()} tot {until.isoformat()}; "
                     f"voorwaarden: {', '.join(terms)}.",
    }


class ReclasseringAdapter:
    """Reads ``reclassering-toezichten.jsonl``; publishes as ``partner``."""

    def __init__(self, pseudonyms: Pseudonymiser, partner: str = PARTNER) -> None:
        self.pseudonyms, self.partner = pseudonyms, check_partner(partner, PARTNER)

    def read(self, path: Path) -> Iterator[Result]:
        return read_jsonl(path, lambda doc: reclassering_signal(doc, self.pseudonyms, self.partner),
                          lambda raw: redact_keys(raw, frozenset({"bsn"})))
