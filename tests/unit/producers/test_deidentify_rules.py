"""The rules of producers.deidentify, one behaviour at a time (no deduce needed)."""

from __future__ import annotations

import pytest

from producers.adapters.stichting_m import extract_subjects
from producers.deidentify import (
    BSN_REMOVED,
    REPORTER_REMOVED,
    Identity,
    name_variants,
    national_digits,
    remove_identity,
)


@pytest.mark.parametrize("written", ["06-12345678", "06 1234 5678", "+31 6 1234 5678",
                                     "0031 6 12345678", "0031612345678", "+31 (0)6 12345678",
                                     "06.1234.5678", "(06) 12 34 56 78"])
def test_a_mobile_in_any_spelling_has_one_national_number(written: str) -> None:
    assert national_digits(written) == "612345678"


@pytest.mark.parametrize("written", ["010-2345678", "(010) 234 56 78", "+31 10 234 5678",
                                     "0031102345678", "010 2345678"])
def test_the_reporters_landline_goes_in_every_spelling(written: str) -> None:
    identity = Identity.from_block({"telefoon": "+31102345678"})
    cleaned = remove_identity(f"Bel gerust naar {written} als er iets is.", identity).text
    assert national_digits(written) not in cleaned.replace(" ", "").replace("-", "")
    assert REPORTER_REMOVED in cleaned


def test_a_suspects_phone_stays_while_the_reporters_goes() -> None:
    identity = Identity.from_block({"telefoon": "06-87654321"})
    cleaned = remove_identity("Ze bellen naar 06-12345678. Mij bereikt u op 06 8765 4321.",
                              identity).text
    assert "06-12345678" in cleaned and "8765" not in cleaned
    assert [s["number"] for s in extract_subjects(cleaned) if s["type"] == "phone"] == \
        ["+31612345678"]


def test_name_variants_cover_tussenvoegsels_and_double_names() -> None:
    variants = set(name_variants("Fatma van den Berg-Yilmaz"))
    assert {"Fatma van den Berg-Yilmaz", "van den Berg-Yilmaz", "Berg-Yilmaz", "Yilmaz",
            "van den Berg", "Fatma", "F. van den Berg-Yilmaz"} <= variants
    assert "van" not in variants and "den" not in variants


@pytest.mark.parametrize("text", [
    "Er wonen daar twintig mannen. Groet, Johan Smeets",
    "Er wonen daar twintig mannen.\n\nMet vriendelijke groet,\nJ. Smeets\nwijkagent a.d.",
    "Er wonen daar twintig mannen. Mvg Johan",
    "Er wonen daar twintig mannen. Groetjes van Johan",
    "Er wonen daar twintig mannen. Johan Smeets, conciërge, 013-5801234",
    "Er wonen daar twintig mannen.\n- Johan Smeets",
    "Mijn naam is Johan Smeets. Er wonen daar twintig mannen.",
    "Ik ben Johan Smeets en werk bij de school ernaast. Er wonen daar twintig mannen.",
    "(naam Johan Smeets) Er wonen daar twintig mannen.",
    "Melder: Johan Smeets. Er wonen daar twintig mannen.",
    "Er wonen daar twintig mannen (Johan Smeets, melder).",
    "Ondergetekende, Johan Smeets, zag dat er daar twintig mannen wonen.",
    "Er wonen daar twintig mannen. Ingevuld door conciërge Johan Smeets.",
])
def test_sign_offs_and_self_identification_go(text: str) -> None:
    cleaned = remove_identity(text).text
    assert "Johan" not in cleaned and "Smeets" not in cleaned
    assert "twintig mannen" in cleaned and REPORTER_REMOVED in cleaned


def test_a_learnt_name_goes_everywhere_and_its_mailbox_too() -> None:
    text = ("Mijn naam is Lotte Bos. Lotte zag het zelf; mail lotte.bos99@example.nl. De "
            "eigenaar mailt met boekingen@club.example.")
    cleaned = remove_identity(text).text
    assert "Lotte" not in cleaned and "lotte" not in cleaned and "bos99" not in cleaned
    assert [s["address"] for s in extract_subjects(cleaned) if s["type"] == "email"] == \
        ["boekingen@club.example"]


def test_the_reporters_address_goes_but_the_neighbours_stays_as_a_subject() -> None:
    identity = Identity.from_block({"adres": {"straat": "Voorstraat", "huisnummer": 250,
                                              "postcode": "3311 EX", "plaats": "Dordrecht"}})
    text = ("Ik woon op Voorstraat 250, 3311EX. Op Voorstraat 254, 3311 EX Dordrecht wonen "
            "vrouwen die niet naar buiten mogen.")
    cleaned = remove_identity(text, identity).text
    assert "Voorstraat 250" not in cleaned and "3311EX" not in cleaned
    locations = [s["address"] for s in extract_subjects(cleaned) if s["type"] == "location"]
    assert [(a["postcode"], a["house_number"]) for a in locations] == [("3311 EX", 254)]


def test_self_given_address_without_a_block_goes() -> None:
    cleaned = remove_identity("Ik woon zelf op de Lindelaan 7, 1234 AB Ergens. Naast mij is "
                              "het mis.").text
    assert "Lindelaan" not in cleaned and "1234 AB" not in cleaned


@pytest.mark.parametrize("written", ["111222333", "111 222 333", "111.222.333"])
def test_a_bsn_goes_when_it_passes_the_elfproef(written: str) -> None:
    cleaned = remove_identity(f"Haar nummer {written} kende ze uit het hoofd.").text
    assert BSN_REMOVED in cleaned and "222" not in cleaned


def test_a_number_that_is_no_bsn_and_an_iban_stay() -> None:
    text = "Kamer 123456789 en rekening NL91 ABNA 0417 1643 00."
    assert remove_identity(text).text == text


def test_contacts_in_a_sentence_that_invites_contact_go() -> None:
    text = ("Als u meer wilt weten, stuur gerust een mailtje naar piet@example.nl. De pooier "
            "adverteert met 06-12345678.")
    cleaned = remove_identity(text).text
    assert "piet@example.nl" not in cleaned and "06-12345678" in cleaned


def test_the_identity_block_reads_every_shape() -> None:
    identity = Identity.from_block({"voornaam": "Ilse", "tussenvoegsel": "van",
                                    "achternaam": "Dam", "telefoon": "033-4612345",
                                    "email": "i@example.nl", "adres": "Kerkstraat 1"})
    assert identity.names == ("Ilse van Dam",) and identity.phones == ("033-4612345",)
    assert identity.emails == ("i@example.nl",) and identity.addresses
    assert not Identity.from_block("not a block") and not Identity.from_block(None)


def test_the_text_without_identity_is_unchanged() -> None:
    text = "In de kassen werken mannen 14 uur per dag en hun paspoort is ingenomen."
    result = remove_identity(text)
    assert result.text == text and result.total == 0
