"""Municipalities, places and postcodes are real-looking and consistent."""

from __future__ import annotations

from stdnum.nl import postcode

from generator import places


def test_every_address_has_a_valid_postcode_within_its_place_range() -> None:
    for mi, municipality in enumerate(places.MUNICIPALITIES):
        ranges = {p.name: (p.low, p.high) for p in municipality.places}
        for slot in range(0, municipality.slots, 29):
            address = places.address_at(mi, slot)
            assert postcode.validate(address.postcode) == address.postcode
            assert address.postcode[5:] not in ("SA", "SD", "SS")
            low, high = ranges[address.place]
            assert low <= int(address.postcode[:4]) <= high
            assert address.municipality == municipality.name
            assert 1 <= address.number <= places.HOUSE_NUMBERS


def test_the_same_slot_is_always_the_same_address() -> None:
    assert places.address_at(3, 1234) == places.address_at(3, 1234)


def test_neighbours_are_symmetric_and_not_self() -> None:
    for i in range(len(places.MUNICIPALITIES)):
        for j in places.neighbours(i):
            assert j != i
            assert i in places.neighbours(j)


def test_municipalities_are_unique_and_belong_to_a_riec_region() -> None:
    names = [m.name for m in places.MUNICIPALITIES]
    assert len(set(names)) == len(names)
    assert all(m.riec in places.RIEC_REGIONS and m.care for m in places.MUNICIPALITIES)
    assert len({m.riec for m in places.MUNICIPALITIES}) == len(places.RIEC_REGIONS)
