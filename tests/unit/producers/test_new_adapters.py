"""Adapters of the municipality (gemeente:GM<4 digits>), the Nederlandse Arbeidsinspectie
(inspectie-szw) and probation (reclassering): producers/FORMATS.md."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from producers.adapters.base import Parsed, Rejected, Result
from producers.adapters.gemeente import GemeenteAdapter, gemeente_signal
from producers.adapters.inspectie_szw import InspectieSzwAdapter
from producers.adapters.reclassering import ReclasseringAdapter
from producers.exceptions import UnknownPartnerError
from producers.pseudonym import Pseudonymiser
from schemas.signal import Signal

BSN_RESIDENT, BSN_WORKER, BSN_WATCHED, BSN_CONTACT = "104332189", "111222333", "235116154", \
    "123456782"
INVALID_BSN = "123456789"  # fails the elfproef


@pytest.fixture
def pseudonyms() -> Pseudonymiser:
    return Pseudonymiser(SecretStr("unit-test-key-0123456789"))


def _read(adapter: Any, tmp_path: Path, *docs: object) -> list[Result]:
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(d if isinstance(d, str) else json.dumps(d) for d in docs) + "\n",
                    encoding="utf-8")
    results: list[Result] = list(adapter.read(path))
    assert len(results) == len(docs)  # nothing is dropped silently
    return results


def _one(adapter: Any, tmp_path: Path, doc: object) -> Signal:
    [result] = _read(adapter, tmp_path, doc)
    assert isinstance(result, Parsed), result
    return result.signal


def _rejected(adapter: Any, tmp_path: Path, doc: object) -> Rejected:
    [result] = _read(adapter, tmp_path, doc)
    assert isinstance(result, Rejected), result
    return result


def _edit(doc: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of ``doc`` with ``path`` (``adres.postcode``, ``werknemers.0.bsn``) set to
    ``value``, or removed when ``value`` is ``...``."""
    out = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is ...:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def _edges(signal: Signal) -> set[tuple[str, str, str]]:
    return {(r.source, r.type, r.target) for r in signal.relations}


# --- gemeente ---------------------------------------------------------------------------------

GEMEENTE: dict[str, Any] = {
    "kenmerk": "GM1783-2025-0412", "datum_controle": "2025-09-04",
    "datum_melding": "2025-09-05T09:30:00+02:00",
    "adres": {"straat": "Zuidweg", "huisnummer": 12, "postcode": "2671 MN", "plaats": "Naaldwijk",
              "gemeente": "GM1783"},
    "aangetroffen_bewoners": 14, "ingeschreven_bewoners": 2,
    "bedrijf": {"naam": "Flex Horti Staffing", "kvk_nummer": "81422377"},
    "vergunning": "geweigerd", "bevindingen": ["DEP-HOUSING"],
    "subjecten": [{"id": "s1", "soort": "persoon", "rol": "bewoner", "voornaam": "Andrei",
                   "achternaam": "Lungu", "bsn": BSN_RESIDENT}],
    "relaties": [{"van": "s1", "type": "woont_op", "naar": "adres"}],
    "toelichting": "Woning verhuurd door Flex Horti Staffing.",
}


def _gemeente(pseudonyms: Pseudonymiser) -> GemeenteAdapter:
    return GemeenteAdapter(pseudonyms, "gemeente:GM1783")


def test_gemeente_finding_becomes_a_signal(tmp_path: Path, pseudonyms: Pseudonymiser) -> None:
    signal = _one(_gemeente(pseudonyms), tmp_path, GEMEENTE)
    assert signal.partner == "gemeente:GM1783" and signal.partner_ref == "GM1783-2025-0412"
    assert (signal.category, signal.purpose, signal.distribution) == \
        ("labour", "administrative", "tlp:amber")
    assert "Bibob" in signal.legal_basis
    assert signal.indicators == ("DEP-HOUSING", "ADM-OVERCROWDING", "SIT-MANY-RESIDENTS",
                                 "ADM-NO-PERMIT")
    assert [(s.ref, s.type, s.role) for s in signal.subjects] == [
        ("adres", "location", "location"), ("bedrijf", "business", "location"),
        ("s1", "person", "resident")]
    location = signal.subjects[0]
    assert location.type == "location"
    assert location.address.postcode == "2671 MN" and location.address.city == "Naaldwijk"
    assert location.address.municipality == "Westland"  # GM1783, written by name in Signal v1
    assert _edges(signal) == {("bedrijf", "LOCATED_AT", "adres"), ("s1", "LIVES_AT", "adres")}
    narrative = signal.narrative or ""
    assert "14 bewoners aangetroffen" in narrative and "2 ingeschreven in de BRP" in narrative
    assert "vergunning: geweigerd" in narrative and "Woning verhuurd" in narrative
    resident = signal.subjects[2]
    assert resident.type == "person"
    assert [i.value for i in resident.identifiers] == [pseudonyms.bsn(BSN_RESIDENT)]
    assert BSN_RESIDENT not in signal.model_dump_json()


def test_gemeente_address_without_municipality_is_on_its_own_territory(
        pseudonyms: Pseudonymiser) -> None:
    from producers.adapters.base import build_signal

    doc = _edit(GEMEENTE, "adres.gemeente", ...)
    location = build_signal(gemeente_signal(doc, pseudonyms, "gemeente:GM1783")).subjects[0]
    assert location.type == "location" and location.address.municipality == "Westland"


def test_gemeente_business_without_permit_finding_is_only_named(pseudonyms: Pseudonymiser) -> None:
    from producers.adapters.base import build_signal

    doc = _edit(GEMEENTE, "vergunning", ...)
    signal = build_signal(gemeente_signal(doc, pseudonyms, "gemeente:GM1783"))
    assert "ADM-NO-PERMIT" not in signal.indicators
    business = next(s for s in signal.subjects if s.type == "business")
    assert business.role == "other"
    assert ("bedrijf", "LOCATED_AT", "adres") not in _edges(signal)


@pytest.mark.parametrize(("found", "registered", "floor", "expected"), [
    (14, 2, None, {"ADM-OVERCROWDING", "SIT-MANY-RESIDENTS"}),
    (5, 4, None, {"ADM-OVERCROWDING", "SIT-MANY-RESIDENTS"}),
    (4, 1, None, set()),                       # more than registered, but not many: no indicator
    (5, 5, None, {"SIT-MANY-RESIDENTS"}),      # many, all registered: not overcrowding by count
    (0, 6, None, {"SIT-MANY-RESIDENTS"}),      # many registered, nobody found
    (3, 3, 30, {"ADM-OVERCROWDING"}),          # 3 persons need 36 m² (Bouwbesluit art. 7.18)
    (3, 3, 36, set()),
    (None, None, None, set()),                 # a permit finding without a house visit
])
def test_gemeente_residents_rules(pseudonyms: Pseudonymiser, found: int | None,
                                  registered: int | None, floor: float | None,
                                  expected: set[str]) -> None:
    from producers.adapters.base import build_signal

    doc = {k: v for k, v in GEMEENTE.items()
           if k not in ("vergunning", "bevindingen", "aangetroffen_bewoners",
                        "ingeschreven_bewoners")}
    doc.update({"aangetroffen_bewoners": found, "ingeschreven_bewoners": registered,
                "gebruiksoppervlakte": floor})
    signal = build_signal(gemeente_signal(doc, pseudonyms, "gemeente:GM1783"))
    assert set(signal.indicators) == expected
    if found is not None:
        assert f"{found} bewoners aangetroffen" in (signal.narrative or "")


@pytest.mark.parametrize(("edits", "category"), [
    ({}, "labour"),
    ({"bedrijf": {"naam": "Salon Lotus", "sbi": "9604"}}, "sexual"),
    ({"bevindingen": ["SIT-SUDDEN-WEALTH"], "vergunning": ..., "aangetroffen_bewoners": 1},
     "sexual"),
])
def test_gemeente_category(pseudonyms: Pseudonymiser, edits: dict[str, Any], category: str) -> None:
    from producers.adapters.base import build_signal

    doc = GEMEENTE
    for key, value in edits.items():
        doc = _edit(doc, key, value)
    assert build_signal(gemeente_signal(doc, pseudonyms, "gemeente:GM1783")).category == category


@pytest.mark.parametrize(("path", "value", "reason"), [
    ("kenmerk", ..., "kenmerk: missing"),
    ("datum_controle", "4-9-2025", "datum_controle: '4-9-2025' is not a date"),
    ("datum_melding", "2025-09-03T10:00:00+02:00", "datum_melding: lies before datum_controle"),
    ("adres", ..., "adres: missing"),
    ("adres", {"huisnummer": 12}, "adres: an address needs at least"),
    ("adres.postcode", "0671 MN", "adres.postcode: not a valid Dutch postcode"),
    ("adres.huisnummer", "twaalf", "adres.huisnummer: expected a whole number"),
    ("adres.gemeente", "Westland", "adres.gemeente: 'Westland' is not a CBS code"),
    ("adres.gemeente", "GM0599", "adres.gemeente: GM0599 is not the publishing municipality"),
    ("adres.gemeente", "GM9999", "adres.gemeente: GM9999 is not a current CBS municipality code"),
    ("aangetroffen_bewoners", -1, "aangetroffen_bewoners: expected a whole number >= 0"),
    ("ingeschreven_bewoners", "twee", "ingeschreven_bewoners: expected a whole number >= 0"),
    ("gebruiksoppervlakte", 0, "gebruiksoppervlakte: expected a number of m² > 0"),
    ("vergunning", "verleend", "vergunning: unknown value 'verleend'"),
    ("bevindingen", ["NOT-A-CODE"], "bevindingen: unknown indicator codes ['NOT-A-CODE']"),
    ("bevindingen", "ADM-OVERCROWDING", "bevindingen: expected a list of indicator codes"),
    ("bedrijf", {"sbi": "9604"}, "bedrijf: needs naam or kvk_nummer"),
    ("bedrijf.kvk_nummer", "1234", "bedrijf.kvk_nummer: a KvK number is exactly 8 digits"),
    ("bedrijf.naam", "Flex;Horti", "bedrijf.naam: must not contain ';'"),
    ("subjecten.0.soort", "hond", "subjecten[0].soort: unknown value 'hond'"),
    ("subjecten.0.achternaam", "L<ungu>", "subjecten[0].achternaam: a name may only hold"),
    ("subjecten.0.id", "adres", "subjecten[0]: ref 'adres' is already used by adres"),
    ("relaties.0.naar", "s9", "relaties[0].naar: no subject with id 's9'"),
    ("relaties.0.type", "kent", "relaties[0].type: unknown value 'kent'"),
])
def test_gemeente_rejects_name_the_field(tmp_path: Path, pseudonyms: Pseudonymiser, path: str,
                                         value: object, reason: str) -> None:
    rejected = _rejected(_gemeente(pseudonyms), tmp_path, _edit(GEMEENTE, path, value))
    assert rejected.reason.startswith(reason), rejected.reason


def test_gemeente_rejects_an_invalid_bsn_without_echoing_it(tmp_path: Path,
                                                            pseudonyms: Pseudonymiser) -> None:
    rejected = _rejected(_gemeente(pseudonyms), tmp_path,
                         _edit(GEMEENTE, "subjecten.0.bsn", INVALID_BSN))
    assert rejected.reason.startswith("subjecten[0].bsn: not a valid BSN")
    assert INVALID_BSN not in rejected.reason + rejected.raw


def test_gemeente_rejects_lines_that_are_no_finding(tmp_path: Path,
                                                    pseudonyms: Pseudonymiser) -> None:
    results = _read(_gemeente(pseudonyms), tmp_path, "{not json", "[1, 2]", GEMEENTE)
    assert isinstance(results[0], Rejected) and results[0].reason.startswith("not JSON")
    assert isinstance(results[1], Rejected) and results[1].reason == \
        "expected a JSON object, got list"
    assert isinstance(results[2], Parsed)


@pytest.mark.parametrize("partner", ["gemeente", "gemeente:GM599", "gemeente:GM05990",
                                     "gemeente:gm0599", "gemeente:rotterdam", "riec:GM0599",
                                     "GM0599", ""])
def test_gemeente_refuses_a_partner_id_that_is_no_municipality(pseudonyms: Pseudonymiser,
                                                               partner: str) -> None:
    with pytest.raises(UnknownPartnerError):
        GemeenteAdapter(pseudonyms, partner)
    with pytest.raises(UnknownPartnerError):
        gemeente_signal(GEMEENTE, pseudonyms, partner)


def test_gemeente_publishes_as_the_municipality_it_is(pseudonyms: Pseudonymiser) -> None:
    adapter = GemeenteAdapter(pseudonyms, "gemeente:GM0599")
    assert adapter.partner == "gemeente:GM0599"


# --- inspectie-szw ----------------------------------------------------------------------------

INSPECTIE: dict[str, Any] = {
    "kenmerk": "NLA-2025-10-0042", "datum_inspectie": "2025-10-20",
    "datum_melding": "2025-10-22T14:00:00+02:00",
    "bedrijf": {"naam": "Van Leeuwen Kwekerij", "kvk_nummer": "27164530", "sbi": "0113"},
    "locatie": {"straat": "Poeldijkseweg", "huisnummer": 88, "postcode": "2685 AB",
                "plaats": "Poeldijk", "gemeente": "GM1783"},
    "werknemers": [{"id": "w-lungu", "voornaam": "Andrei", "achternaam": "Lungu",
                    "geboortedatum": "1995-02-11", "nationaliteit": "RO", "bsn": BSN_WORKER},
                   {"voornaam": "Bogdan", "achternaam": "Stan", "geboortedatum": "1990-12-01",
                    "nationaliteit": "RO"}],
    "bevindingen": ["CON-LONG-HOURS", "CON-LOW-PAY", "DEP-PAPERS", "DEP-TRANSPORT"],
    "subjecten": [{"id": "s1", "soort": "bedrijf", "rol": "verdachte", "kvk_nummer": "81422377",
                   "handelsnaam": "Flex Horti Staffing"}],
    "relaties": [{"van": "w-lungu", "type": "werkt_bij", "naar": "s1"}],
    "toelichting": "Werknemers via uitzendbureau.",
}


def test_inspectie_finding_becomes_a_signal(tmp_path: Path, pseudonyms: Pseudonymiser) -> None:
    adapter = InspectieSzwAdapter(pseudonyms)
    assert adapter.partner == "inspectie-szw"
    signal = _one(adapter, tmp_path, INSPECTIE)
    assert signal.partner == "inspectie-szw" and signal.partner_ref == "NLA-2025-10-0042"
    assert (signal.category, signal.purpose, signal.distribution, signal.severity) == \
        ("labour", "administrative", "tlp:amber", "high")
    assert signal.indicators == ("CON-LONG-HOURS", "CON-LOW-PAY", "DEP-PAPERS", "DEP-TRANSPORT")
    assert [(s.ref, s.type, s.role) for s in signal.subjects] == [
        ("bedrijf", "business", "location"), ("locatie", "location", "location"),
        ("w-lungu", "person", "victim"), ("w2", "person", "victim"), ("s1", "business", "suspect")]
    assert _edges(signal) == {("bedrijf", "LOCATED_AT", "locatie"),
                              ("w-lungu", "WORKS_AT", "bedrijf"), ("w2", "WORKS_AT", "bedrijf"),
                              ("w-lungu", "WORKS_AT", "s1")}
    worker = signal.subjects[2]
    assert worker.type == "person"
    assert [i.value for i in worker.identifiers] == [pseudonyms.bsn(BSN_WORKER)]
    assert BSN_WORKER not in signal.model_dump_json()
    assert "2 werknemers aangetroffen" in (signal.narrative or "")
    location = signal.subjects[1]
    assert location.type == "location" and location.address.municipality == "Westland"


@pytest.mark.parametrize(("codes", "role"), [
    (["CON-LONG-HOURS", "CON-LOW-PAY"], "employee"),   # under-payment alone: no exploitation
    (["DEP-HOUSING"], "employee"),
    (["DEP-HOUSING", "CON-LOW-PAY"], "victim"),        # dependency and poor conditions
    (["FRE-NO-ID"], "victim"),                         # restriction of basic freedoms
    ([], "employee"),
])
def test_inspectie_workers_are_victims_when_the_findings_point_to_exploitation(
        tmp_path: Path, pseudonyms: Pseudonymiser, codes: list[str], role: str) -> None:
    signal = _one(InspectieSzwAdapter(pseudonyms), tmp_path,
                  _edit(INSPECTIE, "bevindingen", codes))
    assert {s.role for s in signal.subjects if s.type == "person"} == {role}


def test_inspectie_without_location_or_workers(tmp_path: Path, pseudonyms: Pseudonymiser) -> None:
    doc = {k: v for k, v in INSPECTIE.items()
           if k not in ("locatie", "werknemers", "subjecten", "relaties")}
    signal = _one(InspectieSzwAdapter(pseudonyms), tmp_path, doc)
    assert [s.ref for s in signal.subjects] == ["bedrijf"] and signal.relations == ()


@pytest.mark.parametrize(("path", "value", "reason"), [
    ("kenmerk", "", "kenmerk: missing"),
    ("datum_inspectie", ..., "datum_inspectie: expected a date"),
    ("datum_melding", "2025-10-19T10:00:00+02:00", "datum_melding: lies before datum_inspectie"),
    ("bedrijf", ..., "bedrijf: missing"),
    ("bedrijf.sbi", "9x", "bedrijf.sbi: an SBI code is 2 to 5 digits"),
    ("locatie.postcode", "2685 SS", "locatie.postcode: not a valid Dutch postcode"),
    ("locatie.gemeente", "Westland", "locatie.gemeente: 'Westland' is not a CBS code"),
    ("werknemers", {"voornaam": "Andrei"}, "werknemers: expected a list"),
    ("werknemers.1", "Bogdan Stan", "werknemers[1]: expected an object"),
    ("werknemers.1", {"naam": "Bogdan Stan"}, "werknemers[1].naam: give the name as voornaam"),
    ("werknemers.1", {"nationaliteit": "RO"}, "werknemers[1]: needs achternaam, voornaam or bsn"),
    ("werknemers.1.geboortedatum", "01-12-1990", "werknemers[1].geboortedatum: '01-12-1990'"),
    ("werknemers.1.nationaliteit", "Roemeens", "werknemers[1].nationaliteit: not an ISO 3166-1"),
    ("werknemers.1.id", "s1", "subjecten[0]: ref 's1' is already used by werknemers[1]"),
    ("bevindingen", ["CON-LOW-PAY", "XYZ-1"], "bevindingen: unknown indicator codes ['XYZ-1']"),
    ("relaties.0.van", "w9", "relaties[0].van: no subject with id 'w9'"),
])
def test_inspectie_rejects_name_the_field(tmp_path: Path, pseudonyms: Pseudonymiser, path: str,
                                          value: object, reason: str) -> None:
    rejected = _rejected(InspectieSzwAdapter(pseudonyms), tmp_path, _edit(INSPECTIE, path, value))
    assert rejected.reason.startswith(reason), rejected.reason


def test_inspectie_rejects_an_invalid_bsn_without_echoing_it(tmp_path: Path,
                                                             pseudonyms: Pseudonymiser) -> None:
    rejected = _rejected(InspectieSzwAdapter(pseudonyms), tmp_path,
                         _edit(INSPECTIE, "werknemers.0.bsn", INVALID_BSN))
    assert rejected.reason.startswith("werknemers[0].bsn: not a valid BSN")
    assert INVALID_BSN not in rejected.reason + rejected.raw


def test_inspectie_partner_id(pseudonyms: Pseudonymiser) -> None:
    assert InspectieSzwAdapter(pseudonyms, "inspectie-szw").partner == "inspectie-szw"
    for wrong in ("riec", "inspectie", "gemeente:GM0599", "Inspectie-SZW"):
        with pytest.raises(UnknownPartnerError):
            InspectieSzwAdapter(pseudonyms, wrong)


# --- reclassering -----------------------------------------------------------------------------

TOEZICHT: dict[str, Any] = {
    "kenmerk": "RN-2026-00017", "datum": "2026-01-05", "toezicht_tot": "2027-12-31",
    "persoon": {"voornaam": "Dennis", "achternaam": "Hoekstra", "geboortedatum": "1978-09-14",
                "bsn": BSN_WATCHED},
    "voorwaarden": [
        {"type": "beroepsverbod", "sbi": "96"},
        {"type": "contactverbod", "persoon": {"voornaam": "Nadia", "achternaam": "Popescu",
                                              "geboortedatum": "1999-02-27", "bsn": BSN_CONTACT}},
        {"type": "locatieverbod", "adres": {"straat": "Kaldenkerkerweg", "huisnummer": 112,
                                            "postcode": "5913 AG", "plaats": "Venlo",
                                            "gemeente": "GM0983"}}],
}


def test_reclassering_watch_becomes_a_signal(tmp_path: Path, pseudonyms: Pseudonymiser) -> None:
    adapter = ReclasseringAdapter(pseudonyms)
    assert adapter.partner == "reclassering"
    signal = _one(adapter, tmp_path, TOEZICHT)
    assert signal.partner == "reclassering" and signal.partner_ref == "RN-2026-00017"
    assert (signal.category, signal.purpose, signal.distribution) == \
        ("criminal", "criminal-law", "tlp:amber+strict")
    assert signal.indicators == () and signal.barrier_stages == ()
    assert [(s.ref, s.type, s.role) for s in signal.subjects] == [
        ("p1", "person", "other"), ("c1", "person", "other"), ("l1", "location", "location")]
    assert _edges(signal) == {("p1", "ASSOCIATED_WITH", "c1")}
    assert signal.narrative == ("Toezicht van 2026-01-05 tot 2027-12-31; voorwaarden: "
                                "contactverbod (1 persoon), beroepsverbod SBI 96, "
                                "locatieverbod (1 adres).")
    watched, contact = signal.subjects[0], signal.subjects[1]
    assert watched.type == "person" and contact.type == "person"
    assert [i.value for i in watched.identifiers] == [pseudonyms.bsn(BSN_WATCHED)]
    assert [i.value for i in contact.identifiers] == [pseudonyms.bsn(BSN_CONTACT)]
    wire = signal.model_dump_json()
    assert BSN_WATCHED not in wire and BSN_CONTACT not in wire


def test_reclassering_watch_with_one_sector_ban(tmp_path: Path, pseudonyms: Pseudonymiser) -> None:
    doc = _edit(TOEZICHT, "voorwaarden", [{"type": "beroepsverbod", "sbi": 9604}])
    signal = _one(ReclasseringAdapter(pseudonyms), tmp_path, doc)
    assert [s.ref for s in signal.subjects] == ["p1"] and signal.relations == ()
    assert signal.narrative == "Toezicht van 2026-01-05 tot 2027-12-31; voorwaarden: " \
                               "beroepsverbod SBI 9604."


@pytest.mark.parametrize(("path", "value", "reason"), [
    ("kenmerk", ..., "kenmerk: missing"),
    ("datum", "januari", "datum: 'januari' is not a date"),
    ("toezicht_tot", "2025-12-31", "toezicht_tot: 2025-12-31 lies before datum 2026-01-05"),
    ("toezicht_tot", ..., "toezicht_tot: expected a date"),
    ("persoon", ..., "persoon: missing"),
    ("persoon.geboortedatum", ..., "persoon.geboortedatum: missing (a watch needs"),
    ("persoon.achternaam", ..., "persoon.achternaam: missing (a watch needs"),
    ("persoon.naam", "Dennis Hoekstra", "persoon.naam: give the name as voornaam"),
    ("voorwaarden", [], "voorwaarden: expected a non-empty list"),
    ("voorwaarden", ..., "voorwaarden: expected a non-empty list"),
    ("voorwaarden.0", "beroepsverbod 96", "voorwaarden[0]: expected an object"),
    ("voorwaarden.0.type", "reisverbod", "voorwaarden[0].type: unknown value 'reisverbod' "
                                         "(expected one of ['beroepsverbod', 'contactverbod', "
                                         "'locatieverbod'])"),
    ("voorwaarden.0.type", ..., "voorwaarden[0].type: unknown value None"),
    ("voorwaarden.0.sbi", "kapper", "voorwaarden[0].sbi: an SBI code is 2 to 5 digits"),
    ("voorwaarden.0.sbi", ..., "voorwaarden[0].sbi: missing"),
    ("voorwaarden.1.persoon", ..., "voorwaarden[1].persoon: missing"),
    ("voorwaarden.1.persoon", {"geboortedatum": "1999-02-27"},
     "voorwaarden[1].persoon: needs achternaam, voornaam or bsn"),
    ("voorwaarden.2.adres", ..., "voorwaarden[2].adres: missing"),
    ("voorwaarden.2.adres.postcode", "5913", "voorwaarden[2].adres.postcode: not a valid"),
])
def test_reclassering_rejects_name_the_field(tmp_path: Path, pseudonyms: Pseudonymiser, path: str,
                                             value: object, reason: str) -> None:
    rejected = _rejected(ReclasseringAdapter(pseudonyms), tmp_path, _edit(TOEZICHT, path, value))
    assert rejected.reason.startswith(reason), rejected.reason


@pytest.mark.parametrize("path", ["persoon.bsn", "voorwaarden.1.persoon.bsn"])
def test_reclassering_rejects_an_invalid_bsn_without_echoing_it(
        tmp_path: Path, pseudonyms: Pseudonymiser, path: str) -> None:
    rejected = _rejected(ReclasseringAdapter(pseudonyms), tmp_path,
                         _edit(TOEZICHT, path, INVALID_BSN))
    assert "bsn: not a valid BSN" in rejected.reason
    assert INVALID_BSN not in rejected.reason + rejected.raw
    # a rejects file keeps no BSN at all, valid or not
    assert BSN_WATCHED not in rejected.raw and BSN_CONTACT not in rejected.raw


def test_reclassering_partner_id(pseudonyms: Pseudonymiser) -> None:
    for wrong in ("riec", "reclassering:", "probation"):
        with pytest.raises(UnknownPartnerError):
            ReclasseringAdapter(pseudonyms, wrong)
