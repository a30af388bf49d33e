"""Noise changes the spelling, never the identity: every variant normalises back to the truth."""

from __future__ import annotations

import random

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN
from stdnum.nl import postcode

from generator import codes, names, noise


def _one_edit_apart(a: str, b: str) -> bool:
    """Substitution, insertion, deletion or adjacent transposition."""
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzé -'", min_size=1, max_size=30), st.integers(0, 10**6))
@settings(max_examples=300, deadline=None)
def test_a_typo_is_one_edit(value: str, seed: int) -> None:
    assert _one_edit_apart(value, noise.typo(random.Random(seed), value))


def test_accents_are_stripped() -> None:
    written = "Dragoș Ștefan Łukasz Nguyễn Yılmaz"  # noqa: RUF001
    assert noise.strip_accents(written) == "Dragos Stefan Lukasz Nguyen Yilmaz"


@given(st.integers(0, 10**6))
@settings(max_examples=200, deadline=None)
def test_phone_spellings_parse_to_the_same_number(seed: int) -> None:
    rng = random.Random(seed)
    country = rng.choice(sorted(codes.MOBILE_PLANS))
    options = [codes.PhoneNumber("31", f"6{rng.randint(10_000_000, 59_999_999)}"),
               codes.nl_landline("76", rng.randrange(codes.landline_space("76"))),
               codes.nl_landline("165", rng.randrange(codes.landline_space("165"))),
               codes.foreign_mobile(country, rng.randrange(codes.mobile_space(country)))]
    for number in options:
        written = noise.phone(rng, number)
        parsed = phonenumbers.parse(written, "NL")
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number.e164


def test_postcode_plate_and_iban_spellings_normalise_back() -> None:
    rng = random.Random(7)
    for _ in range(200):
        assert postcode.validate(noise.postcode(rng, "4811 AB", 1.0)) == "4811 AB"
        assert noise.plate(rng, "VZ-123-B", 1.0).replace("-", "").replace(" ", "").upper() == "VZ123B"
        assert IBAN(noise.iban(rng, "NL91ABNA0417164300", 1.0)).compact == "NL91ABNA0417164300"


def test_name_variants_cover_initials_lost_prefix_and_case() -> None:
    rng = random.Random(8)
    name = names.Name(("Johannes", "Petrus"), "van der", "Berg")
    seen = {noise.split_name(rng, name, "NL", 1.0) for _ in range(400)}
    assert ("J.", "van der", "Berg") in seen
    assert ("Johannes", None, "Berg") in seen
    assert ("Johannes", None, "van der Berg") in seen
    assert ("Johannes", "van der", "BERG") in seen
    assert any(family == "Vd Berg" or prefix == "v.d." for _, prefix, family in seen)
    assert noise.split_name(rng, name, "NL", 0.0) == ("Johannes", "van der", "Berg")
    assert noise.split_name(rng, name, "NL", 0.0, all_given=True) == ("Johannes Petrus", "van der", "Berg")
