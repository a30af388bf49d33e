from __future__ import annotations

from pathlib import Path

import pytest

from producers.adapters.base import Parsed, Rejected
from producers.adapters.riec import RiecAdapter
from producers.adapters.stichting_m import REPORTER_REMOVED, StichtingMAdapter, extract_subjects
from producers.adapters.zorg import ZorgAdapter
from producers.pseudonym import Pseudonymiser


def test_riec_case_signal_maps_subjects_and_relations(data: Path,
                                                      pseudonyms: Pseudonymiser) -> None:
    results = list(RiecAdapter(pseudonyms).read(data / "riec-casussignalen.jsonl"))
    case = results[0]
    assert isinstance(case, Parsed)
    signal = case.signal
    assert signal.partner_ref == "RIEC-ZWB-2026-0142" and signal.distribution == "tlp:amber"
    assert [s.type for s in signal.subjects] == ["person", "business", "location", "phone",
                                                 "bank_account", "vehicle", "person"]
    suspect = signal.subjects[0]
    assert suspect.type == "person"
    assert [i.scheme for i in suspect.identifiers] == ["bsn-pseudonym"]
    assert suspect.identifiers[0].value == pseudonyms.bsn("111222333")
    assert ("s1", "CONTROLS", "s7") in {(r.source, r.type, r.target) for r in signal.relations}
    assert "111222333" not in signal.model_dump_json()


def test_riec_rejects_name_the_field(data: Path, pseudonyms: Pseudonymiser) -> None:
    rejected = {r.line: r for r in RiecAdapter(pseudonyms).read(data / "riec-casussignalen.jsonl")
                if isinstance(r, Rejected)}
    assert rejected[3].reason.startswith("subjects.0.bank_account.iban: not a valid IBAN")
    assert rejected[4].reason.startswith("subjecten[0].bsn: not a valid BSN")
    assert "123456789" not in rejected[4].reason + rejected[4].raw  # not even in the rejects
    assert rejected[5].reason == "subjecten[0].adres.huisnummer: expected a whole number, " \
                                 "got 'zeven'"
    assert "unknown indicator codes ['NOT-A-CODE']" in rejected[6].reason
    assert rejected[7].reason.startswith("not JSON")


def test_zorg_keeps_only_pseudonyms_and_codes(data: Path, pseudonyms: Pseudonymiser) -> None:
    path = data / "zorg-meldingen.jsonl"
    results = list(ZorgAdapter(pseudonyms).read(path))
    first = results[0]
    assert isinstance(first, Parsed)
    wire = first.signal.model_dump_json()
    for secret in ("P-88231", "111222333", "fractuur", "hematomen"):
        assert secret not in wire
    victim = first.signal.subjects[0]
    assert victim.type == "person" and victim.role == "victim"
    assert {i.scheme for i in victim.identifiers} == {"patient-pseudonym", "bsn-pseudonym"}
    assert victim.given_name is None and victim.family_name is None
    assert first.signal.distribution == "tlp:amber+strict" and first.signal.purpose == "care"
    assert "SIT-UNDERAGE" in first.signal.indicators  # 19 years old, sexual exploitation
    third = results[2]
    assert isinstance(third, Rejected)
    assert "patient_id or bsn is required" in third.reason
    assert "no identifier at all" not in third.raw  # clinical note redacted in the reject


def test_patient_pseudonym_is_scoped_to_institution(pseudonyms: Pseudonymiser) -> None:
    assert pseudonyms.patient("SEH A", "P-1") != pseudonyms.patient("SEH B", "P-1")
    assert pseudonyms.patient("SEH A", "P-1") == pseudonyms.patient("seh a ", "P-1")


def test_stichting_m_drops_the_reporter_and_extracts_subjects(data: Path) -> None:
    path = data / "meldmisdaadanoniem-tips.jsonl"
    results = list(StichtingMAdapter().read(path))
    tip = results[0]
    assert isinstance(tip, Parsed)
    wire = tip.signal.model_dump_json()
    for reporter in ("Kees", "Bakker", "kees.bakker@example.nl", "87654321"):
        assert reporter not in wire
    assert REPORTER_REMOVED in (tip.signal.narrative or "")
    found = {(s.type, s.model_dump(mode="json").get("number") or s.model_dump(mode="json")
              .get("iban") or s.model_dump(mode="json").get("plate") or
              s.model_dump(mode="json").get("trade_name")) for s in tip.signal.subjects
             if s.type != "location"}
    assert found == {("phone", "+31612345678"), ("bank_account", "NL91ABNA0417164300"),
                     ("vehicle", "VZ123B"), ("business", "Lucky Nails")}
    location = next(s for s in tip.signal.subjects if s.type == "location")
    assert location.address.postcode == "4811 AB"  # type: ignore[union-attr]
    assert location.address.house_number_addition == "A"  # type: ignore[union-attr]
    assert tip.signal.category == "sexual" and "DEP-TRANSPORT" in tip.signal.indicators
    labour = results[1]
    assert isinstance(labour, Parsed) and labour.signal.category == "labour"
    assert {"FRE-NO-ID", "CON-LONG-HOURS"} <= set(labour.signal.indicators)
    empty = results[2]
    assert isinstance(empty, Rejected) and empty.reason == "tekst: missing or empty"


def test_extraction_ignores_invalid_candidates() -> None:
    subjects = extract_subjects("Rekening NL91ABNA0417164301, postcode 0123 AB, bel 06-1234.")
    assert subjects == []


def test_extraction_rules_cover_the_ways_people_write() -> None:
    text = ("Kerkstraat 165-II, 1017 GC Amsterdam. Betalen op nl91 abna 0417 1643 00. "
            "Busje VZ 123 B, ook 12ABC3 en 48-zx-tt. Kom in 12 of 13 uur. Postcode 4811AB.")
    subjects = extract_subjects(text)
    by_type: dict[str, list[dict[str, object]]] = {}
    for subject in subjects:
        by_type.setdefault(str(subject["type"]), []).append(subject)
    assert [s["iban"] for s in by_type["bank_account"]] == ["NL91ABNA0417164300"]
    assert "phone" not in by_type  # the IBAN's digits are not read as a phone number
    assert [s["plate"] for s in by_type["vehicle"]] == ["VZ123B", "12ABC3", "48ZXTT"]
    [location] = by_type["location"]
    assert location["address"] == {"street": "Kerkstraat", "house_number": 165,
                                   "house_number_addition": "II", "postcode": "1017 GC",
                                   "city": "Amsterdam", "country": "NL"}


def _zorg(**fields: object) -> dict[str, object]:
    return {"melding_id": "ZORG-T-1", "instelling": "SEH Test", "datum": "2026-03-04T02:15:00+01:00",
            "patient_id": "P-1", "geschatte_leeftijd": 30, **fields}


@pytest.mark.parametrize(("age", "form", "underage"), [
    (16, None, True), (17, "arbeid", True),  # a minor, whatever the form
    (19, "seksueel", True), (19, "arbeid", False), (19, None, False),  # under 21: sex work only
    (21, "seksueel", False), (None, "seksueel", False)])
def test_zorg_flags_a_minor_and_under_21_in_sex_work(pseudonyms: Pseudonymiser, age: int | None,
                                                     form: str | None, underage: bool) -> None:
    from producers.adapters.base import build_signal
    from producers.adapters.zorg import zorg_signal

    fields = {"geschatte_leeftijd": age, **({"vermoedelijke_vorm": form} if form else {})}
    signal = build_signal(zorg_signal(_zorg(**fields), pseudonyms))
    assert ("SIT-UNDERAGE" in signal.indicators) is underage


def test_zorg_escort_without_a_name_keeps_phone_and_vehicle(pseudonyms: Pseudonymiser) -> None:
    from producers.adapters.base import build_signal
    from producers.adapters.zorg import zorg_signal

    signal = build_signal(zorg_signal(_zorg(begeleider={
        "telefoon": "06-12345678", "kenteken": "VZ-123-B",
        "omschrijving": "man van ca. 40, zei dat hij haar baas was"}), pseudonyms))
    kinds = {(s.type, s.role) for s in signal.subjects}
    assert kinds == {("person", "victim"), ("phone", "instrument"), ("vehicle", "instrument")}
    assert signal.relations == ()  # nobody to link the phone and the vehicle to
    assert "Begeleider: man van ca. 40" in (signal.narrative or "")


def test_zorg_named_escort_uses_phone_and_vehicle(pseudonyms: Pseudonymiser) -> None:
    from producers.adapters.base import build_signal
    from producers.adapters.zorg import zorg_signal

    signal = build_signal(zorg_signal(_zorg(begeleider={
        "voornaam": "Dragos", "achternaam": "Popescu", "telefoon": "06-12345678",
        "kenteken": "VZ-123-B"}), pseudonyms))
    assert {(r.source, r.type, r.target) for r in signal.relations} == {
        ("s1", "CONTROLS", "v1"), ("s1", "USES", "t1"), ("s1", "USES", "k1")}


def test_zorg_toelichting_is_published_de_identified(pseudonyms: Pseudonymiser) -> None:
    from producers.adapters.base import build_signal
    from producers.adapters.zorg import zorg_signal

    signal = build_signal(zorg_signal(_zorg(
        patient_naam="Ioana Dumitru", bsn="111222333",
        toelichting="Mevrouw Dumitru (BSN 111 222 333, pat.nr. P-1) had blauwe plekken. "
                    "Groet, Anna de Wit, SEH-verpleegkundige",
        klinische_notitie="fractuur"), pseudonyms))
    narrative = signal.narrative or ""
    assert "blauwe plekken" in narrative
    for secret in ("Dumitru", "111", "P-1", "Anna", "de Wit", "fractuur"):
        assert secret not in signal.model_dump_json()
