"""Identifiers the generator hands out are valid by the libraries the adapters use, and
distinct; the deliberately broken ones are not valid."""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.nl import bsn

from generator import codes, places
from generator.exceptions import ExhaustedError


@given(size=st.integers(1, 5000), seed=st.integers(0, 2**32))
@settings(max_examples=50, deadline=None)
def test_distinct_never_repeats_until_exhausted(size: int, seed: int) -> None:
    space = codes.Distinct(random.Random(seed), size, "test")
    values = [space.take() if i % 2 else space.take_last() for i in range(size)]
    assert sorted(values) == list(range(size))
    with pytest.raises(ExhaustedError):
        space.take()


def test_bsns_pass_the_elfproef_and_broken_ones_fail() -> None:
    space = codes.Distinct(random.Random(1), 90_000_000, "bsn")
    numbers = [codes.next_bsn(space) for _ in range(3000)]
    assert len(set(numbers)) == len(numbers)
    assert all(bsn.is_valid(n) for n in numbers)
    assert not any(bsn.is_valid(codes.break_bsn(n)) for n in numbers)


def test_ibans_have_valid_check_digits_and_broken_ones_fail() -> None:
    rng = random.Random(2)
    space = codes.Distinct(rng, 1_000_000_000, "accounts")
    ibans = [codes.nl_iban(rng, space) for _ in range(1000)]
    ibans += [codes.foreign_iban(rng, space, c) for c in ("RO", "BG", "PL", "DE", "LT") for _ in range(100)]
    assert len(set(ibans)) == len(ibans)
    for value in ibans:
        assert IBAN(value).compact == value
        with pytest.raises(SchwiftyException):
            IBAN(codes.break_iban(value))


def test_the_example_iban_of_formats_md_is_computed_the_same() -> None:
    assert codes.make_iban("NL", "ABNA0417164300") == "NL91ABNA0417164300"


@pytest.mark.parametrize("country", sorted(codes.MOBILE_PLANS))
def test_foreign_mobiles_are_valid_numbers(country: str) -> None:
    rng = random.Random(3)
    space = codes.Distinct(rng, codes.mobile_space(country), country)
    for _ in range(500):
        number = codes.foreign_mobile(country, space.take())
        assert phonenumbers.is_valid_number(phonenumbers.parse(number.e164)), number


def test_dutch_mobiles_and_landlines_are_valid_numbers() -> None:
    rng = random.Random(4)
    mobiles = codes.Distinct(rng, 50_000_000, "mobiles")
    for _ in range(2000):
        number = codes.nl_mobile(mobiles)
        assert phonenumbers.is_valid_number(phonenumbers.parse(number.e164)), number
    for area in sorted({m.area_code for m in places.MUNICIPALITIES}):
        space = codes.Distinct(rng, codes.landline_space(area), area)
        for _ in range(100):
            number = codes.nl_landline(area, space.take())
            assert phonenumbers.is_valid_number(phonenumbers.parse(number.e164)), number


_SIDE_CODE = re.compile(
    r"^(\d{2}-[A-Z]{3}-\d|\d-[A-Z]{3}-\d{2}|[A-Z]{2}-\d{3}-[A-Z]|[A-Z]-\d{3}-[A-Z]{2}|[A-Z]{3}-\d{2}-[A-Z]"
    r"|[A-Z]-\d{2}-[A-Z]{3}|\d-[A-Z]{2}-\d{3})$")


def test_plates_follow_rdw_side_codes_and_are_distinct() -> None:
    rng = random.Random(5)
    spaces = codes.plate_spaces(rng)
    plates = [codes.nl_plate(rng, spaces, van=i % 5 == 0) for i in range(5000)]
    assert len(set(plates)) == len(plates)
    for plate in plates:
        assert _SIDE_CODE.match(plate), plate
        assert not set(plate) & set("AEIOUCMQWY"), plate
        assert codes.acceptable_plate(plate)
    assert all(p.startswith("V") for p in plates[::5])


def test_kvk_numbers_are_eight_distinct_digits() -> None:
    space = codes.Distinct(random.Random(6), 90_000_000, "kvk")
    numbers = [codes.next_kvk(space) for _ in range(5000)]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"[1-9]\d{7}", n) for n in numbers)
