"""The municipality table (schemas/municipalities.csv): complete, well-formed, with the RIEC
regions it was derived for, and the look-ups by name and address built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.exceptions import ContractError
from schemas.municipalities import (
    PROVINCES,
    _key,
    cbs_code,
    load_municipalities,
    municipalities,
    municipality_by_name,
    region_of,
    regions,
)
from schemas.regions import region_by_slug, region_slugs

KNOWN = {
    "GM0599": ("Rotterdam", "RR"), "GM0518": ("'s-Gravenhage", "DH"), "GM1783": ("Westland", "DH"),
    "GM1621": ("Lansingerland", "RR"), "GM0772": ("Eindhoven", "OB"), "GM0794": ("Helmond", "OB"),
    "GM0983": ("Venlo", "LB"), "GM0344": ("Utrecht", "MN"), "GM0363": ("Amsterdam", "AA"),
    "GM0014": ("Groningen", "NN"), "GM0855": ("Tilburg", "ZWB"), "GM0402": ("Hilversum", "MN"),
    "GM0392": ("Haarlem", "NH"),
}


def test_every_municipality_once() -> None:
    table = municipalities()
    assert len(table) == 342  # 1 January 2023 through 2025
    assert all(code == m.code and code.startswith("GM") and len(code) == 6
               for code, m in table.items())
    assert len({_key(m.name) for m in table.values()}) == 342
    assert {m.province for m in table.values()} == PROVINCES


def test_every_region_has_municipalities() -> None:
    by_region = regions()
    assert set(by_region) == set(region_slugs())
    assert all(by_region.values())
    assert sum(len(ms) for ms in by_region.values()) == 342
    assert sorted(m.code for m in municipalities().values() if m.region == "AA") == \
        ["GM0358", "GM0362", "GM0363", "GM0384", "GM0437", "GM0451"]  # VR Amsterdam-Amstelland


def test_known_facts() -> None:
    for code, (name, region) in KNOWN.items():
        m = municipalities()[code]
        assert (m.name, m.region) == (name, region), code
        assert region_of(code) == region_of(m.platform_code) == region
    assert municipalities()["GM1992"].name == "Voorne aan Zee"
    assert "GM0457" not in municipalities()  # Weesp, part of Amsterdam since 2022


def test_regions_keep_platform_codes() -> None:
    assert "NL:rotterdam" in regions()["RR"]
    assert "NL:'s-gravenhage" in regions()["DH"]
    assert "NL:hengelo" in regions()["ON"]  # CBS: Hengelo (O.)
    assert region_of("NL:atlantis") is None and region_of("GM9999") is None
    assert region_by_slug("rotterdam") == "RR" and region_by_slug("zeeland-west-brabant") == "ZWB"
    assert region_by_slug("atlantis") is None


def test_name_lookup() -> None:
    assert municipality_by_name("Rotterdam").code == "GM0599"  # type: ignore[union-attr]
    for alias in ("Den Haag", "the hague", "'s-Gravenhage", "  S-GRAVENHAGE "):
        assert municipality_by_name(alias).code == "GM0518", alias  # type: ignore[union-attr]
    assert municipality_by_name("den bosch").code == "GM0796"  # type: ignore[union-attr]
    assert municipality_by_name("Sudwest Fryslan").code == "GM1900"  # type: ignore[union-attr]
    assert municipality_by_name("Hengelo").code == "GM0164"  # type: ignore[union-attr]
    assert municipality_by_name("Bergen (L.)").code == "GM0893"  # type: ignore[union-attr]
    assert municipality_by_name("Bergen") is None  # two of them
    assert municipality_by_name("Atlantis") is None


def test_cbs_code_of_an_address() -> None:
    assert cbs_code({"municipality": "GM0758", "city": "Prinsenbeek"}) == "GM0758"
    assert cbs_code({"municipality": "Breda", "city": "Prinsenbeek"}) == "GM0758"
    assert cbs_code({"city": "Den Haag", "street": "Spui"}) == "GM0518"
    assert cbs_code({"municipality": "Atlantis", "city": "Rotterdam"}) == "GM0599"
    assert cbs_code({"city": "Prinsenbeek"}) is None  # a place, not a municipality
    assert cbs_code({"city": "Antwerpen", "country": "BE"}) is None
    assert cbs_code({"street": "Hoogstraat"}) is None
    assert cbs_code(None) is None


def test_malformed_row_names_its_line(tmp_path: Path) -> None:
    good = "# comment\ncode,name,province,region\nGM0599,Rotterdam,Zuid-Holland,RR\n"
    path = tmp_path / "municipalities.csv"
    path.write_text(good, encoding="utf-8")
    assert list(load_municipalities(path)) == ["GM0599"]
    for bad in ("GM0518,'s-Gravenhage,Zuid-Holland\n", "0518,'s-Gravenhage,Zuid-Holland,DH\n",
                "GM0518,'s-Gravenhage,Holland,DH\n", "GM0518,'s-Gravenhage,Zuid-Holland,XX\n",
                "GM0599,Rotterdam-Zuid,Zuid-Holland,RR\n"):
        path.write_text(good + bad, encoding="utf-8")
        with pytest.raises(ContractError, match=r"municipalities\.csv:4: "):
            load_municipalities(path)
    path.write_text("code,name,region\n", encoding="utf-8")
    with pytest.raises(ContractError, match=r":1: expected the header"):
        load_municipalities(path)
