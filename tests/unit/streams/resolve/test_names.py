from __future__ import annotations

import pytest

from streams.resolve import names


@pytest.mark.parametrize(("raw", "folded"), [
    ("Ștefan", "stefan"), ("Straße", "strasse"), ("Øvergaard", "overgaard"), ("Łukasz", "lukasz"),
    ("Y\u0131lmaz", "yilmaz"), ("Nguyễn", "nguyen"), ("Иванов", "ivanov"), ("  DE   Vries ", "de vries"),
])
def test_fold_removes_case_and_diacritics(raw: str, folded: str) -> None:
    assert names.fold(raw) == folded


@pytest.mark.parametrize(("prefix", "family", "canonical", "core"), [
    (None, "van der Berg", "van der", "berg"),
    (None, "V/D LAAN", "van der", "laan"),
    ("van der", "Laan", "van der", "laan"),
    ("vd", "Laan", "van der", "laan"),
    (None, "Vd Laan", "van der", "laan"),
    (None, "v.d. Berg", "van der", "berg"),
    (None, "v. Dijk", "van", "dijk"),
    (None, "v't Hof", "van 't", "hof"),
    (None, "d'Ancona", "de", "ancona"),
    (None, "'t Hart", "'t", "hart"),
    (None, "Bakker", "", "bakker"),
    (None, "O'Brien", "", "obrien"),
])
def test_family_splits_tussenvoegsel(prefix: str | None, family: str, canonical: str, core: str) -> None:
    split = names.family(prefix, family)
    assert (split.prefix, split.core) == (canonical, core)


def test_double_family_name_has_parts_whatever_the_spelling() -> None:
    hyphen = names.family(None, "Jansen-de Vries")
    spaced = names.family(None, "Jansen de Vries")
    assert hyphen.core == spaced.core == "jansen vries"
    assert hyphen.parts == ("jansen", "vries")
    assert names.family(None, "Jansen").parts[0] in hyphen.parts


def test_a_lone_prefix_word_stays_the_core() -> None:
    assert names.family(None, "De").core == "de"


def test_given_names_and_initials() -> None:
    assert names.given("J.P.") == ("j", "p")
    assert names.given("Jan-Peter") == ("jan", "peter")
    assert names.given(None) == ()
    assert names.initials_compatible(names.given("J.P."), names.given("Jan Peter"))
    assert names.initials_compatible(names.given("J."), names.given("Johannes Daan"))
    assert not names.initials_compatible(names.given("K."), names.given("Jan"))
    assert not names.initials_compatible(names.given("Jan"), names.given("Johannes"))  # no initial


@pytest.mark.parametrize(("raw", "normal"), [
    ("Bakkerij De Zon B.V.", "bakkerij de zon"),
    ("Bakkerij de Zon BV", "bakkerij de zon"),
    ("Jansen V.O.F.", "jansen"),
    ("Jansen Holding B.V.", "jansen"),
    ("Café Het Anker", "cafe het anker"),
    ("Holding BV", "holding bv"),  # nothing but legal-form words: kept
])
def test_trade_name_drops_legal_forms(raw: str, normal: str) -> None:
    assert names.trade_name(raw) == normal


def test_phonetic_survives_doubling_and_vowel_typos() -> None:
    assert names.phonetic("jansen") == names.phonetic("janssen") == names.phonetic("jansn")
    assert names.phonetic("jansen") != names.phonetic("bakker")
