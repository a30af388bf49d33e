"""Every record not marked invalid is exactly as producers/FORMATS.md describes it."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import phonenumbers
from schwifty import IBAN
from stdnum.nl import bsn, postcode

from generator.kvk import COLUMNS
from schemas.indicators import catalogue

from .conftest import Export

KVK, RIEC, ZORG, TIPS = ("kvk-mutaties.csv", "riec-casussignalen.jsonl", "zorg-meldingen.jsonl",
                         "meldmisdaadanoniem-tips.jsonl")
LEGAL_FORMS = {"Eenmanszaak", "VOF", "CV", "BV", "NV", "Stichting", "Vereniging", "Cooperatie",
               "Buitenlandse rechtsvorm"}
ROLES = {"verdachte", "slachtoffer", "getuige", "faciliteerder", "eigenaar", "bestuurder", "werknemer",
         "bewoner", "locatie", "middel", "overig"}
RELATIONS = {"bestuurder_van", "eigenaar_van", "werkt_bij", "gevestigd_op", "woont_op", "gebruikt",
             "controleert", "geassocieerd_met"}
FORMS = {"seksueel", "arbeid", "crimineel", "overig"}
MUTATIONS = {"inschrijving", "adreswijziging", "functionariswijziging", "opheffing"}


def _timestamp(value: str) -> None:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value)


def _phone(value: str) -> None:
    assert phonenumbers.is_valid_number(phonenumbers.parse(value, "NL")), value


def _address(doc: dict[str, object]) -> None:
    assert isinstance(doc["straat"], str) and isinstance(doc["huisnummer"], int)
    if "postcode" in doc:
        assert postcode.is_valid(str(doc["postcode"])), doc


def test_kvk_header_is_exact_and_valid_rows_are_well_formed(export: Export) -> None:
    text = (export.dir / KVK).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=";", quotechar='"'))
    assert rows[0] == list(COLUMNS)
    assert ";".join(rows[0]) == ("mutatie_id;mutatie_type;datum;kvk_nummer;handelsnaam;rechtsvorm;sbi_code;"
                                 "straat;huisnummer;toevoeging;postcode;plaats;gemeente;functionaris_voornamen;"
                                 "functionaris_tussenvoegsel;functionaris_achternaam;"
                                 "functionaris_geboortedatum;functionaris_rol")
    assert len(rows) == export.report.kvk_rows + 1
    checked = 0
    for number, row in enumerate(rows[1:], start=2):
        if export.truth[(KVK, number)]["kind"] == "invalid":
            continue
        record = dict(zip(COLUMNS, row, strict=True))
        assert re.fullmatch(r"M\d{10}", record["mutatie_id"])
        assert record["mutatie_type"] in MUTATIONS
        date.fromisoformat(record["datum"])
        assert re.fullmatch(r"\d{8}", record["kvk_nummer"])
        assert record["rechtsvorm"] in LEGAL_FORMS
        assert re.fullmatch(r"\d{2,5}", record["sbi_code"])
        assert record["huisnummer"].isdigit()
        assert postcode.is_valid(record["postcode"]), record["postcode"]
        assert record["functionaris_rol"] in {"", "eigenaar", "bestuurder", "vennoot"}
        if record["functionaris_achternaam"]:
            date.fromisoformat(record["functionaris_geboortedatum"])
        checked += 1
    assert checked > 0.95 * export.report.kvk_rows
    assert {row[1] for row in rows[1:]} >= MUTATIONS


def test_riec_records_follow_the_format(export: Export) -> None:
    codes = set(catalogue())
    kinds = set()
    for _, doc, truth in export.valid_json(RIEC):
        assert re.fullmatch(r"RIEC-[A-Z]{2,3}-\d{4}-\d{4,}", doc["casus_ref"])
        assert doc["casus_ref"] == truth["ref"]
        date.fromisoformat(doc["datum_constatering"])
        _timestamp(doc["datum_melding"])
        assert doc["datum_constatering"] <= doc["datum_melding"][:10]
        assert doc["uitbuitingsvorm"] in FORMS
        assert set(doc["barrieres"]) <= {"entree", "huisvesting", "identiteit", "werk", "financien"}
        assert doc["indicatoren"] and set(doc["indicatoren"]) <= codes
        assert doc["ernst"] in {"laag", "midden", "hoog", "zeer hoog"}
        assert doc["doel"] in {"bestuurlijk", "strafrechtelijk", "zorg", "preventie"}
        ids = {s["id"] for s in doc["subjecten"]}
        for subject in doc["subjecten"]:
            kinds.add(subject["soort"])
            assert subject["rol"] in ROLES
            if "bsn" in subject:
                assert bsn.is_valid(subject["bsn"])
            if subject["soort"] == "rekening":
                IBAN(subject["iban"])
            if subject["soort"] == "telefoon":
                _phone(subject["nummer"])
            if isinstance(subject.get("adres"), dict):
                _address(subject["adres"])
        for relation in doc["relaties"]:
            assert relation["type"] in RELATIONS and {relation["van"], relation["naar"]} <= ids
    assert kinds == {"persoon", "bedrijf", "adres", "telefoon", "rekening", "voertuig", "email", "website"}


def test_zorg_records_follow_the_format_and_sometimes_carry_a_clinical_note(export: Export) -> None:
    notes = bsns = 0
    for _, doc, _ in export.valid_json(ZORG):
        assert re.fullmatch(r"ZORG-\d{4}-\d{6}", doc["melding_id"])
        _timestamp(doc["datum"])
        assert re.fullmatch(r"P-\d+", doc["patient_id"])
        assert isinstance(doc["geschatte_leeftijd"], int)
        assert doc["vermoedelijke_vorm"] in FORMS
        if "bsn" in doc:
            bsns += 1
            assert bsn.is_valid(doc["bsn"])
        if "telefoon" in doc.get("begeleider", {}):
            _phone(doc["begeleider"]["telefoon"])
        if "verblijfadres" in doc:
            _address(doc["verblijfadres"])
        notes += "klinische_notitie" in doc
    assert notes > 0 and bsns > 0


def test_tips_mention_what_the_ground_truth_says_and_reporters_slip(export: Export) -> None:
    empty = slipped = 0
    for _, doc, truth in export.valid_json(TIPS):
        assert re.fullmatch(r"M-\d{4}-\d{6}", doc["tip_id"])
        _timestamp(doc["ontvangen"])
        assert doc["tekst"] and isinstance(doc["gemeente"], str)
        assert set(doc["melder"]) <= {"naam", "telefoon", "email"}
        empty += not doc["melder"]
        for mention in truth["mentions"]:
            if mention["subject"] != "tekst":
                continue
            assert mention["surface"] in doc["tekst"]
            if mention["type"] == "telefoon":
                _phone(mention["surface"])
            if mention["type"] == "rekening":
                IBAN(mention["surface"])
            if mention.get("reporter", False):
                slipped += 1
    assert empty > 0 and slipped > 0


def test_invalid_records_are_invalid_for_the_reason_given(export: Export) -> None:
    reasons = set()
    for (file, number), truth in export.truth.items():
        if truth["kind"] != "invalid":
            continue
        reasons.add(truth["reason"])
        line = export.lines(file)[number - 1]
        if truth["reason"] == "invalid_bsn":
            assert re.search(r'"bsn": "(\d{9})"', line)
            assert not all(bsn.is_valid(b) for b in re.findall(r'"bsn": "(\d{9})"', line))
        if truth["reason"] == "csv_missing_columns":
            assert len(line.split(";")) < len(COLUMNS)
        if truth["reason"] == "csv_extra_column":
            assert len(line.split(";")) > len(COLUMNS)
    assert {"invalid_bsn", "invalid_iban", "broken_json", "invalid_postcode"} & reasons
    assert export.report.invalid == sum(t["kind"] == "invalid" for t in export.truth.values())
