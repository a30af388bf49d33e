"""Municipal inspection and permit findings (JSON Lines, producers/FORMATS.md) -> Signal v1.

A municipality publishes as ``gemeente:GM<4 digits>`` (its CBS code). One finding is one signal:
the inspected address is a location (role ``location``), the business it names a business, the
``subjecten``/``relaties`` are read as in the RIEC format, and clear BSNs become keyed pseudonyms
here. The address's ``gemeente`` must be the publishing municipality's own CBS code (filled in when
left out). Purpose ``administrative``, distribution ``tlp:amber``.

Indicators are the partner's ``bevindingen`` plus what the adapter derives from the facts by
these rules (constants below):

- ``SIT-MANY-RESIDENTS`` when ``aangetroffen_bewoners`` or ``ingeschreven_bewoners`` is at least
  ``MANY_RESIDENTS`` (5, i.e. more than four). A chosen default: there is no national count. It
  follows the cap of four unrelated residents (labour migrants) per ordinary dwelling that many
  municipalities set in their housing rules (e.g. the Bommelerwaard rules, BD 2019-01).
- ``ADM-OVERCROWDING`` when more people were found than the floor area allows, one person per
  ``M2_PER_PERSON`` (12) m² of ``gebruiksoppervlakte`` (Bouwbesluit 2012 art. 7.18 lid 1), or, without
  a floor area, when at least ``MANY_RESIDENTS`` people were found and more than the BRP
  registers at the address (residents the BRP does not know of, on top of a crowded address;
  fewer than that is too common, a guest, to be an indicator — the counts go to the narrative).
- ``ADM-NO-PERMIT`` when ``vergunning`` is ``geen``, ``geweigerd`` or ``ingetrokken``.

Category: ``labour``, unless the business's SBI code is a sector the KvK adapter marks as a
sexual-exploitation risk (beauty, massage, sauna: ``kvk.HIGH_RISK_SBI``), or none of the
indicators points to labour exploitation in the catalogue while some point to another form
(then sexual before criminal).

The helpers here (partner-id checks, CBS-coded addresses, persons and businesses checked under
the partner's field names, ``subjecten``/``relaties``) serve ``inspectie_szw`` and
``reclassering`` too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from core.partner_ids import is_partner_id, partner_kind
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
from producers.adapters.kvk import HIGH_RISK_SBI
from producers.adapters.riec import RELATION, lookup, person, subject, subject_ref
from producers.exceptions import UnknownPartnerError
from producers.pseudonym import Pseudonymiser
from schemas import identifiers as ids
from schemas.errors import field_errors
from schemas.indicators import catalogue
from schemas.municipalities import municipalities
from schemas.subjects import Address, Subject

GEMEENTE_PARTNER = re.compile(r"^gemeente:(GM\d{4})$")
CBS_CODE = re.compile(r"^GM\d{4}$")
MANY_RESIDENTS = 5
"""At least this many residents (found or registered) at one address: ``SIT-MANY-RESIDENTS``."""
M2_PER_PERSON = 12
"""Bouwbesluit 2012 art. 7.18 lid 1: a dwelling holds at most one person per 12 m² floor area."""
PERMIT = {"geen": "no permit", "geweigerd": "permit refused", "ingetrokken": "permit revoked"}
LEGAL_BASIS = "Woningwet / Gemeentewet / Wet Bibob (bestuurlijke aanpak); Convenant RIEC/LIEC"
ADDRESS_REF, BUSINESS_REF = "adres", "bedrijf"

NATIVE_NAMES = {"given_name": "voornaam", "name_prefix": "tussenvoegsel",
                "family_name": "achternaam", "birth_date": "geboortedatum",
                "nationality": "nationaliteit", "address": "adres", "street": "straat",
                "house_number": "huisnummer", "house_number_addition": "toevoeging",
                "city": "plaats", "municipality": "gemeente", "country": "land",
                "kvk_number": "kvk_nummer", "trade_name": "naam", "sbi_code": "sbi"}
"""Signal v1 field -> the partner's name for it, so that a reason names the partner's field."""
RIEC_NAMES = {**NATIVE_NAMES, "trade_name": "handelsnaam", "sbi_code": "sbi_code",
              "legal_form": "rechtsvorm", "number": "nummer", "plate": "kenteken"}
"""The same for ``subjecten``, whose fields are named as in the RIEC format."""
_SUBJECT: TypeAdapter[Any] = TypeAdapter(Subject)


def checked(doc: dict[str, Any], field: str, names: dict[str, str] = NATIVE_NAMES
            ) -> dict[str, Any]:
    """Validate one subject against Signal v1 now, so that a broken rule is reported under the
    partner's field (``werknemers[1].achternaam: ...``) rather than as ``subjects.3...``."""
    try:
        _SUBJECT.validate_json(json.dumps(doc), strict=True)
    except ValidationError as exc:
        raise RecordError(_reasons(exc, field, names, skip=str(doc.get("type")))) from None
    return doc


def _reasons(exc: ValidationError, field: str, names: dict[str, str], skip: str = "") -> str:
    reasons = []
    for error in field_errors(exc):
        parts = error.path.split(".") if error.path else []
        if parts and parts[0] == skip:
            parts = parts[1:]  # the union's tag, not a field
        where = ".".join([field, *(names.get(p, p) for p in parts)])
        reasons.append(f"{where}: {error.message}")
    return "; ".join(reasons)


def partner_code(partner: str) -> str:
    """The CBS code of a municipality's partner id; anything but ``gemeente:GM<4 digits>`` is
    refused (the adapter would otherwise publish under a partner id nobody can subscribe to)."""
    match = GEMEENTE_PARTNER.match(partner) if isinstance(partner, str) else None
    if match is None:
        raise UnknownPartnerError(str(partner), ("gemeente:GM<4 digits> (the CBS code)",))
    return match.group(1)


def check_partner(partner: str, kind: str) -> str:
    """``partner`` when it is a well-formed partner id of ``kind`` (``kind`` or ``kind:instance``)."""
    if not isinstance(partner, str) or not is_partner_id(partner) or partner_kind(partner) != kind:
        raise UnknownPartnerError(str(partner), (kind, f"{kind}:<instance>"))
    return partner


def count(value: object, field: str) -> int | None:
    """A number of people: a whole number >= 0, or absent."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RecordError(f"{field}: expected a whole number >= 0, got {value!r}")
    return value


def area(value: object, field: str) -> float | None:
    """A floor area in m²: a number > 0, or absent."""
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise RecordError(f"{field}: expected a number of m² > 0, got {value!r}")
    return float(value)


def indicator_codes(value: object, field: str) -> list[str]:
    """The partner's indicator codes: a list of catalogue codes (schemas/indicators.yaml)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise RecordError(f"{field}: expected a list of indicator codes")
    codes = list(dict.fromkeys(c.strip().upper() for c in value))
    unknown = [c for c in codes if c not in catalogue()]
    if unknown:
        raise RecordError(f"{field}: unknown indicator codes {unknown}; see schemas/indicators.yaml")
    return codes


def severity(codes: Iterable[str]) -> str:
    """``high`` with 3 or more indicators or one of weight >= 0.8 in the catalogue (a freedom
    restriction, debt, a controller, a minor); ``medium`` with fewer; ``low`` with none."""
    known = catalogue()
    codes = list(codes)
    if len(codes) >= 3 or any(known[c].weight >= 0.8 for c in codes):
        return "high"
    return "medium" if codes else "low"


def stages(codes: Iterable[str]) -> list[str]:
    known = catalogue()
    return sorted({known[c].stage for c in codes})


def business(raw: object, field: str, role: str) -> dict[str, Any]:
    """The ``bedrijf`` object ``{naam, kvk_nummer, sbi?}`` as a business subject."""
    if not isinstance(raw, dict):
        raise RecordError(f"{field}: expected an object")
    kvk = text(raw.get("kvk_nummer"), f"{field}.kvk_nummer")
    sbi = raw.get("sbi")
    sbi = text(str(sbi) if isinstance(sbi, int) else sbi, f"{field}.sbi")
    for value, label, check in ((kvk, "kvk_nummer", ids.kvk_number), (sbi, "sbi", ids.sbi_code)):
        if value is not None:
            try:
                check(value)
            except ValueError as exc:
                raise RecordError(f"{field}.{label}: {exc}") from None
    name = text(raw.get("naam"), f"{field}.naam")
    if kvk is None and name is None:
        raise RecordError(f"{field}: needs naam or kvk_nummer")
    return checked(drop_none({"type": "business", "ref": BUSINESS_REF, "role": role,
                              "trade_name": name, "kvk_number": kvk,
                              "sbi_code": ids.sbi_code(sbi) if sbi else None}), field)


def person_subject(raw: object, field: str, ref: str, role: str, pseudonyms: Pseudonymiser
                   ) -> dict[str, Any]:
    """A person object named as in the RIEC format (``voornaam``, ``tussenvoegsel``,
    ``achternaam``, ``geboortedatum``, ``nationaliteit``, ``bsn``, ``adres``); the BSN becomes a
    keyed pseudonym. A single ``naam`` string is refused rather than guessed apart."""
    if not isinstance(raw, dict):
        raise RecordError(f"{field}: expected an object")
    if "naam" in raw:
        raise RecordError(f"{field}.naam: give the name as voornaam, tussenvoegsel and achternaam")
    doc = {"ref": ref, "role": role, **person(raw, field, pseudonyms)}
    if not (doc.get("family_name") or doc.get("given_name") or doc.get("identifiers")):
        raise RecordError(f"{field}: needs achternaam, voornaam or bsn")
    return checked(doc, field)


def address(raw: object, field: str) -> tuple[dict[str, Any], str | None]:
    """A required ``adres`` object whose ``gemeente`` is a CBS code: the Signal v1 address
    (checked under the partner's names; Signal v1 writes a CBS code as the municipality's name)
    and the CBS code."""
    found = dutch_address(raw, field)
    if not found:
        raise RecordError(f"{field}: missing")
    code = found.get("municipality")
    if code is not None and not CBS_CODE.match(code):
        raise RecordError(f"{field}.gemeente: {code!r} is not a CBS code GM<4 digits>")
    if code is not None and code not in municipalities():
        raise RecordError(f"{field}.gemeente: {code} is not a current CBS municipality code "
                          "(schemas/municipalities.csv)")
    try:
        Address.model_validate_json(json.dumps(found), strict=True)
    except ValidationError as exc:
        raise RecordError(_reasons(exc, field, NATIVE_NAMES)) from None
    return found, code


def partner_subjects(doc: dict[str, Any], pseudonyms: Pseudonymiser
                     ) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, str]]]:
    """``subjecten`` and ``relaties`` as in the RIEC format: (field, subject) pairs and relations."""
    subjects_raw = doc.get("subjecten") or []
    relations_raw = doc.get("relaties") or []
    if not isinstance(subjects_raw, list):
        raise RecordError("subjecten: expected a list")
    if not isinstance(relations_raw, list):
        raise RecordError("relaties: expected a list")
    subjects = [(f"subjecten[{i}]", subject(s, f"subjecten[{i}]", pseudonyms))
                for i, s in enumerate(subjects_raw)]
    relations = []
    for i, rel in enumerate(relations_raw):
        if not isinstance(rel, dict):
            raise RecordError(f"relaties[{i}]: expected an object")
        relations.append({"source": subject_ref(rel.get("van"), f"relaties[{i}].van"),
                          "type": lookup(RELATION, rel.get("type"), f"relaties[{i}].type"),
                          "target": subject_ref(rel.get("naar"), f"relaties[{i}].naar")})
    return subjects, relations


def assemble(subjects: list[tuple[str, dict[str, Any]]], own: list[dict[str, str]],
             relaties: list[dict[str, str]]
             ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Check that refs are unique and that every relation of the partner's ``relaties`` names a
    subject of the record, with the partner's field names in the reason; the adapter's ``own``
    relations and the partner's come out together, without duplicates."""
    seen: dict[str, str] = {}
    for field, doc in subjects:
        ref = doc["ref"]
        if ref in seen:
            raise RecordError(f"{field}: ref {ref!r} is already used by {seen[ref]}")
        seen[ref] = field
    for i, rel in enumerate(relaties):
        for end, name in (("source", "van"), ("target", "naar")):
            if rel[end] not in seen:
                raise RecordError(f"relaties[{i}].{name}: no subject with id {rel[end]!r} "
                                  f"(known: {sorted(seen)})")
    unique = {(r["source"], r["type"], r["target"]): r for r in own + relaties}
    return [doc for _, doc in subjects], list(unique.values())


def category(codes: Iterable[str], sbi: str | None) -> str:
    """Labour, unless the business's sector or the indicators say otherwise (module docstring)."""
    if sbi and sbi in HIGH_RISK_SBI:
        return HIGH_RISK_SBI[sbi]
    known = catalogue()
    forms = [set(known[c].exploitation) for c in codes]
    if not forms or any("labour" in f for f in forms):
        return "labour"
    return next(form for form in ("sexual", "criminal") if any(form in f for f in forms))


def derived_indicators(found: int | None, registered: int | None, floor: float | None,
                       permit: str | None) -> list[str]:
    """The indicators the facts give by the rules of the module docstring."""
    codes = []
    if (floor is not None and found is not None and found * M2_PER_PERSON > floor) or (
            found is not None and registered is not None and found >= MANY_RESIDENTS
            and found > registered):
        codes.append("ADM-OVERCROWDING")
    if max(found or 0, registered or 0) >= MANY_RESIDENTS:
        codes.append("SIT-MANY-RESIDENTS")
    if permit is not None:
        codes.append("ADM-NO-PERMIT")
    return codes


def gemeente_signal(doc: object, pseudonyms: Pseudonymiser, partner: str) -> dict[str, Any]:
    """One municipal finding of ``partner`` (``gemeente:GM<4 digits>``) as a Signal v1 document."""
    code = partner_code(partner)
    doc, ref = record_and_ref(doc, "kenmerk")
    observed = start_of_day(parse_date(doc.get("datum_controle"), "datum_controle"))
    reported = parse_timestamp(doc.get("datum_melding"), "datum_melding")
    if reported < observed:
        raise RecordError("datum_melding: lies before datum_controle")

    location, municipality = address(doc.get("adres"), "adres")
    if municipality is not None and municipality != code:
        raise RecordError(f"adres.gemeente: {municipality} is not the publishing municipality "
                          f"({code}); a municipality reports on its own territory")
    location["municipality"] = code  # on its own territory, also when the export leaves it out

    found = count(doc.get("aangetroffen_bewoners"), "aangetroffen_bewoners")
    registered = count(doc.get("ingeschreven_bewoners"), "ingeschreven_bewoners")
    floor = area(doc.get("gebruiksoppervlakte"), "gebruiksoppervlakte")
    permit = doc.get("vergunning")
    if permit is not None:
        lookup(PERMIT, permit, "vergunning")
        permit = permit.strip().lower()
    codes = indicator_codes(doc.get("bevindingen"), "bevindingen")
    codes += [c for c in derived_indicators(found, registered, floor, permit) if c not in codes]

    subjects: list[tuple[str, dict[str, Any]]] = [
        ("adres", {"type": "location", "ref": ADDRESS_REF, "role": "location", "address": location})]
    relations: list[dict[str, str]] = []
    sbi = None
    if doc.get("bedrijf") is not None:
        # A permit finding is about the establishment at the address: it is located there.
        # Otherwise the finding only names the business (as landlord, employer...): relaties say how.
        company = business(doc["bedrijf"], "bedrijf", "location" if permit else "other")
        sbi = company.get("sbi_code")
        subjects.append(("bedrijf", company))
        if permit:
            relations.append({"source": BUSINESS_REF, "type": "LOCATED_AT", "target": ADDRESS_REF})
    more, more_relations = partner_subjects(doc, pseudonyms)
    subjects += [(field, checked(s, field, RIEC_NAMES)) for field, s in more]
    all_subjects, all_relations = assemble(subjects, relations, more_relations)
    codes += [c for c in age_indicators(all_subjects, observed, category(codes, sbi))
              if c not in codes]

    facts = [f"Controle {code} op {observed.date().isoformat()}"]
    if found is not None:
        facts.append(f"{found} bewoners aangetroffen")
    if registered is not None:
        facts.append(f"{registered} ingeschreven in de BRP")
    if floor is not None:
        facts.append(f"gebruiksoppervlakte {floor:g} m²")
    if permit:
        facts.append(f"vergunning: {permit}")
    return {
        "partner": partner,
        "partner_ref": ref,
        "observed_at": observed,
        "reported_at": reported,
        "category": category(codes, sbi),
        "barrier_stages": stages(codes),
        "indicators": codes,
        "severity": severity(codes),
        "distribution": "tlp:amber",
        "purpose": "administrative",
        "legal_basis": LEGAL_BASIS,
        "subjects": all_subjects,
        "relations": all_relations,
        "narrative": "\n".join(filter(None, ["; ".join(facts) + ".",
                                             text(doc.get("toelichting"), "toelichting")])),
    }


class GemeenteAdapter:
    """Reads a municipality's ``gemeente-bevindingen.jsonl``; publishes as ``partner``
    (``gemeente:GM<4 digits>``, required: there is no default municipality)."""

    def __init__(self, pseudonyms: Pseudonymiser, partner: str) -> None:
        partner_code(partner)
        self.pseudonyms, self.partner = pseudonyms, partner

    def read(self, path: Path) -> Iterator[Result]:
        return read_jsonl(path, lambda doc: gemeente_signal(doc, self.pseudonyms, self.partner),
                          lambda raw: redact_keys(raw, frozenset({"bsn"})))
