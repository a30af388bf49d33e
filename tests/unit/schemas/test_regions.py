"""Municipality codes and RIEC regions: one code rule, and the generator's world agrees with
schemas/regions.yaml (the generator keeps its own table for realism; this keeps them one)."""

from __future__ import annotations

from generator.places import MUNICIPALITIES, RIEC_REGIONS
from schemas.municipalities import address_municipality, region_of, regions
from schemas.regions import municipality_code


def test_municipality_codes() -> None:
    assert municipality_code(" Bergen op Zoom ") == "NL:bergen-op-zoom"
    assert municipality_code("'s-Hertogenbosch") == "NL:'s-hertogenbosch"
    assert address_municipality({"city": "Prinsenbeek", "municipality": "Breda"}) == "NL:breda"
    assert address_municipality({"city": "Breda"}) == "NL:breda"
    assert address_municipality({"street": "Hoogstraat"}) is None
    assert address_municipality(None) is None


def test_every_generated_municipality_is_in_its_region() -> None:
    assert set(regions()) == set(RIEC_REGIONS)
    for municipality in MUNICIPALITIES:
        assert region_of(municipality_code(municipality.name)) == municipality.riec, \
            municipality.name
    assert region_of("NL:atlantis") is None
