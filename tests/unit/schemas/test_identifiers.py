from __future__ import annotations

import pytest

from schemas import identifiers as ids


@pytest.mark.parametrize(("raw", "canonical"), [("1012ab", "1012 AB"), ("4811 AB", "4811 AB")])
def test_postcode_canonical(raw: str, canonical: str) -> None:
    assert ids.postcode_nl(raw) == canonical


@pytest.mark.parametrize("raw", ["0123 AB", "1234 SA", "1234 SS", "12345", "ABCD 12"])
def test_postcode_rules(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid Dutch postcode"):
        ids.postcode_nl(raw)


def test_bsn_elfproef() -> None:
    assert ids.bsn("111222333") == "111222333"
    with pytest.raises(ValueError, match="not a valid BSN"):
        ids.bsn("123456789")


@pytest.mark.parametrize("raw", ["06-12345678", "+31 6 1234 5678", "0031612345678", "0612345678"])
def test_phone_formats_to_e164(raw: str) -> None:
    assert ids.phone_e164(raw) == "+31612345678"


def test_foreign_phone_keeps_country() -> None:
    assert ids.phone_e164("+40 712 345 678") == "+40712345678"


@pytest.mark.parametrize("raw", ["12", "06-1234", "not a number"])
def test_bad_phone(raw: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        ids.phone_e164(raw)


def test_iban_checked_and_compacted() -> None:
    assert ids.iban("NL91 ABNA 0417 1643 00") == "NL91ABNA0417164300"
    with pytest.raises(ValueError, match="not a valid IBAN"):
        ids.iban("NL91ABNA0417164301")


def test_kvk_and_sbi_and_plate_and_country() -> None:
    assert ids.kvk_number("8123 4567") == "81234567"
    with pytest.raises(ValueError, match="8 digits"):
        ids.kvk_number("1234567")
    assert ids.sbi_code("96.02") == "9602"
    assert ids.plate("vz-123-b") == "VZ123B"
    assert ids.country("ro") == "RO"
    with pytest.raises(ValueError, match="alpha-2"):
        ids.country("XX")
