"""The clearance policy as a matrix: every partner by distribution by purpose, against the defaults
documented in policy/partners.yaml (restated here on purpose: a change there must be a change
here too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy.clearance import DISTRIBUTIONS, PURPOSES, Caller, Clearance, may_see, require_role, visible_pairs
from policy.exceptions import ClearanceError, RoleRequiredError, UnknownPartnerError
from policy.registry import clearance_for, load_clearances

_UP_TO_STRICT = {"clear", "green", "amber", "amber+strict"}
EXPECTED: dict[str, tuple[set[str], set[str], set[str]]] = {
    "riec": (_UP_TO_STRICT, {"administrative", "criminal-law", "prevention"},
             {"publisher", "subscriber", "analyst"}),
    "om": (_UP_TO_STRICT, {"criminal-law"}, {"subscriber", "analyst", "prosecutor"}),
    "kvk": ({"clear", "green"}, {"administrative", "prevention"}, {"publisher", "subscriber"}),
    "zorg": ({"clear", "green", "amber"}, {"care", "prevention"}, {"publisher", "subscriber"}),
    "stichting-m": (set(), set(), {"publisher"}),
    "gemeente:GM0599": ({"clear", "green", "amber"}, {"administrative", "prevention"},
                        {"publisher", "subscriber"}),
    "inspectie-szw": ({"clear", "green", "amber"}, {"administrative", "criminal-law", "prevention"},
                      {"publisher", "subscriber"}),
    "reclassering": ({"clear", "green", "amber"}, {"criminal-law"}, {"publisher", "subscriber"}),
    **{f"riec:{region}": (_UP_TO_STRICT, {"administrative", "criminal-law", "prevention"},
                          {"publisher", "subscriber", "analyst"})
       for region in ("noord-nederland", "oost-nederland", "midden-nederland", "noord-holland",
                      "amsterdam-amstelland", "den-haag", "rotterdam", "zeeland-west-brabant",
                      "oost-brabant", "limburg")},
}
CLEARANCES = load_clearances()


def test_the_file_declares_exactly_the_documented_partners() -> None:
    assert set(CLEARANCES) == set(EXPECTED)
    for partner, (distributions, purposes, roles) in EXPECTED.items():
        clearance = CLEARANCES[partner]
        assert (clearance.distributions, clearance.purposes, clearance.roles) == (
            distributions, purposes, roles), partner


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("partner", sorted(EXPECTED))
def test_matrix(partner: str, distribution: str, purpose: str) -> None:
    distributions, purposes, _ = EXPECTED[partner]
    clearance = CLEARANCES[partner]
    expected = distribution != "red" and distribution in distributions and purpose in purposes
    assert may_see(clearance, distribution, purpose) is expected
    assert may_see(clearance, f"tlp:{distribution}", purpose) is expected  # as Signal v1 stores it
    other = "riec" if partner != "riec" else "kvk"
    assert may_see(clearance, distribution, purpose, publisher=other) is expected
    assert may_see(clearance, distribution, purpose, publisher=partner) is True  # its own


def test_red_is_for_the_publisher_only() -> None:
    assert not any(may_see(c, "tlp:red", p) for c in CLEARANCES.values() for p in PURPOSES)
    with pytest.raises(ClearanceError, match="red"):
        Clearance("riec", frozenset({"red"}), frozenset({"criminal-law"}))


def test_unknown_values_are_not_visible() -> None:
    riec = CLEARANCES["riec"]
    assert not may_see(riec, "tlp:purple", "administrative")
    assert not may_see(riec, "amber", "gossip")
    assert may_see(riec, " TLP:AMBER ", "administrative")


def test_visible_pairs_are_what_may_see_allows() -> None:
    for clearance in CLEARANCES.values():
        pairs = {tuple(p) for p in visible_pairs(clearance)}
        for distribution in DISTRIBUTIONS:
            for purpose in PURPOSES:
                allowed = may_see(clearance, distribution, purpose)
                assert ((f"tlp:{distribution}", purpose) in pairs) is allowed
                assert ((distribution, purpose) in pairs) is allowed
    assert visible_pairs(CLEARANCES["stichting-m"]) == []


def test_clearances_refuse_unknown_names() -> None:
    with pytest.raises(ClearanceError, match="distribution"):
        Clearance("x", frozenset({"tlp:pink"}), frozenset())
    with pytest.raises(ClearanceError, match="purpose"):
        Clearance("x", frozenset(), frozenset({"gossip"}))
    with pytest.raises(ClearanceError, match="role"):
        Clearance("x", frozenset(), frozenset(), frozenset({"king"}))
    assert Clearance("x", frozenset({"tlp:amber"}), frozenset()).distributions == {"amber"}


def test_loading_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "partners.yaml"
    bad.write_text("partners:\n  riec:\n    source: enforcement\n    distributions: amber\n")
    with pytest.raises(ClearanceError, match=r"riec: distributions: .*valid tuple"):
        load_clearances(bad)
    bad.write_text("partners:\n  riec:\n    source: enforcement\n    colour: blue\n")
    with pytest.raises(ClearanceError, match="colour: Extra inputs are not permitted"):
        load_clearances(bad)
    bad.write_text("partners:\n  riec:\n    source: enforcement\n    distributions: [red]\n")
    with pytest.raises(ClearanceError, match="'red' cannot be granted"):
        load_clearances(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ClearanceError, match="mapping"):
        load_clearances(bad)
    with pytest.raises(UnknownPartnerError):
        clearance_for("nobody", CLEARANCES)
    assert clearance_for("om", CLEARANCES) is CLEARANCES["om"]


def test_caller_and_roles() -> None:
    riec = CLEARANCES["riec"]
    assert Caller("a.jansen", "riec", riec).clearance is riec
    with pytest.raises(ClearanceError, match="acts with"):
        Caller("a.jansen", "om", riec)
    with pytest.raises(ClearanceError, match="named"):
        Caller(" ", "riec", riec)
    require_role(riec, "analyst")
    with pytest.raises(RoleRequiredError):
        require_role(CLEARANCES["kvk"], "analyst")
