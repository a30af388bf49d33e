"""The rules as pure functions: partners in a window, severities, visibility through
``policy.may_see``, rings across regions, anchors and plans."""

from __future__ import annotations

from datetime import timedelta

from alerts.config import INDEPENDENT_PARTNERS, RING_REGIONS, IndependentPartnersRule, RingRegionsRule
from alerts.rules import (
    AlertState,
    EntityFacts,
    independent_partners,
    plans,
    ring_anchor,
    ring_eligible,
    ring_regions,
)
from policy.registry import load_clearances
from tests.unit.alerts.facts import T0, person, sighting

RIEC = load_clearances()["riec"]
RULE = IndependentPartnersRule()
RING = RingRegionsRule()


def test_two_partners_are_quiet() -> None:
    facts = person("P-x", sighting("s1", "riec", 0, "high"), sighting("s2", "kvk", 3, "critical"),
                   sighting("s3", "kvk", 4, "high"))
    assert independent_partners(facts, RULE, RIEC) is None


def test_three_partners_need_one_severe_signal() -> None:
    low = [sighting("s1", "riec", 0), sighting("s2", "kvk", 3, "medium"),
           sighting("s3", "stichting-m", 5, distribution="tlp:amber+strict",
                    purpose="criminal-law")]
    assert independent_partners(person("P-x", *low), RULE, RIEC) is None
    found = independent_partners(person("P-x", *low[:2], sighting("s4", "stichting-m", 6, "high")),
                                 RULE, RIEC)
    assert found is not None and found.rule == INDEPENDENT_PARTNERS
    assert [s.signal_id for s in found.evidence] == ["s1", "s2", "s4"]
    assert found.detail["partners"] == ["kvk", "riec", "stichting-m"]
    assert found.detail["max_severity"] == "high"
    assert found.detail["window"] == {"from": (T0 + timedelta(days=6 - 90)).isoformat(),
                                      "to": (T0 + timedelta(days=6)).isoformat()}


def test_a_signal_outside_the_window_does_not_count() -> None:
    facts = person("P-x", sighting("s1", "riec", 0), sighting("s2", "kvk", 100),
                   sighting("s3", "stichting-m", 120, "high"))
    assert independent_partners(facts, RULE, RIEC) is None
    # exactly 90 days apart is inside (the window's ends are inclusive)
    facts = person("P-x", sighting("s1", "riec", 30), sighting("s2", "kvk", 100),
                   sighting("s3", "stichting-m", 120, "high"))
    found = independent_partners(facts, RULE, RIEC)
    assert found is not None and len(found.evidence) == 3


def test_any_window_counts_and_later_evidence_outside_it_is_left_out() -> None:
    early = [sighting("s1", "riec", 0, "high"), sighting("s2", "kvk", 10),
             sighting("s3", "stichting-m", 20)]
    found = independent_partners(person("P-x", *early, sighting("s9", "riec", 300)), RULE, RIEC)
    assert found is not None and [s.signal_id for s in found.evidence] == ["s1", "s2", "s3"]
    # the same answer whatever order the sightings come in (no dependence on arrival)
    again = independent_partners(person("P-x", sighting("s9", "riec", 300), *reversed(early)),
                                 RULE, RIEC)
    assert again == found


def test_signals_the_reviewer_may_not_see_do_not_count() -> None:
    care = sighting("s3", "zorg", 5, "critical", purpose="care")
    red = sighting("s4", "stichting-m", 6, "high", distribution="tlp:red",
                   purpose="criminal-law")
    facts = person("P-x", sighting("s1", "riec", 0), sighting("s2", "kvk", 3), care, red)
    assert independent_partners(facts, RULE, RIEC) is None
    # the publisher always sees its own signals (may_see's publisher rule)
    own_red = sighting("s5", "riec", 7, "high", distribution="tlp:red", purpose="criminal-law")
    found = independent_partners(person("P-x", sighting("s2", "kvk", 3),
                                        sighting("s6", "gemeente-rotterdam", 4), own_red),
                                 RULE, RIEC)
    assert found is not None and "s3" not in {s.signal_id for s in found.evidence}


def test_victims_and_other_types_follow_the_rule_labels_and_roles() -> None:
    signals = [sighting("s1", "riec", 0, "high", role="victim"),
               sighting("s2", "kvk", 1, role="victim"), sighting("s3", "stichting-m", 2,
                                                                 role="victim")]
    assert independent_partners(person("P-v", *signals), RULE, RIEC) is None
    phone = EntityFacts("T-1", "Phone", tuple(signals))
    assert independent_partners(phone, RULE, RIEC) is not None
    assert independent_partners(phone, RULE.model_copy(update={"labels": ("Person",)}),
                                RIEC) is None
    assert independent_partners(phone, RULE.model_copy(update={"enabled": False}), RIEC) is None


def _location(entity_id: str, day: int = 0) -> EntityFacts:
    return EntityFacts(entity_id, "Location", (sighting(f"s-{entity_id}", "riec", day,
                                                         role="location"),))


def _ring_facts() -> dict[str, EntityFacts]:
    return {"P-1": person("P-1", sighting("s1", "riec", 5, "high")),
            "P-2": person("P-2", sighting("s2", "kvk", 1)),
            "B-1": EntityFacts("B-1", "Business", (sighting("s1", "riec", 5, role="owner"),)),
            "L-1": _location("L-1"), "L-2": _location("L-2", 2)}


def test_a_ring_across_two_regions_fires_and_within_one_is_quiet() -> None:
    facts = _ring_facts()
    members = sorted(facts)
    across = {"L-1": "NL:breda", "L-2": "NL:rotterdam"}
    found = ring_regions(members, across, facts, RING, RIEC)
    assert found is not None and found.rule == RING_REGIONS
    assert found.detail["regions"] == {"RR": ["NL:rotterdam"], "ZWB": ["NL:breda"]}
    assert found.detail["suspects"] == ["P-1", "P-2"]
    assert {s.signal_id for s in found.evidence} == {"s1", "s2", "s-L-1", "s-L-2"}
    within = {"L-1": "NL:breda", "L-2": "NL:tilburg"}
    assert ring_regions(members, within, facts, RING, RIEC) is None
    unknown = {"L-1": "NL:breda", "L-2": "NL:atlantis"}
    assert ring_regions(members, unknown, facts, RING, RIEC) is None
    assert ring_regions(members[:3], across, facts, RING, RIEC) is None  # too small


def test_ring_search_starts_at_suspects_businesses_and_locations() -> None:
    facts = _ring_facts()
    assert ring_eligible(facts["P-1"], RIEC) and ring_eligible(facts["L-1"], RIEC)
    assert not ring_eligible(person("P-v", sighting("s", "riec", role="victim")), RIEC)
    assert not ring_eligible(EntityFacts("T-1", "Phone", facts["P-1"].sightings), RIEC)
    hidden = person("P-h", sighting("s", "zorg", purpose="care"))
    assert not ring_eligible(hidden, RIEC)


def test_a_ring_keeps_its_alert_anchor_else_takes_the_suspect_first_seen() -> None:
    facts = _ring_facts()
    members = sorted(facts)
    assert ring_anchor(members, facts, RIEC, []) == ("P-2", "suspect first seen")
    mine = AlertState("AL-1", "P-1", "proposed", 1, rules=(RING_REGIONS,), created_at=T0)
    other = AlertState("AL-0", "L-1", "rejected", 2, rules=(INDEPENDENT_PARTNERS,),
                       created_at=T0 - timedelta(days=9))
    assert ring_anchor(members, facts, RIEC, [other, mine]) == ("P-1",
                                                                  "anchor of the ring's alert")
    assert ring_anchor(members, facts, RIEC, [other]) == ("L-1", "member with an alert")
    outside = AlertState("AL-2", "P-9", "proposed", 1, rules=(RING_REGIONS,), created_at=T0)
    assert ring_anchor(members, facts, RIEC, [outside])[0] == "P-2"


def test_plans_group_findings_by_anchor_with_a_stable_fingerprint() -> None:
    facts = _ring_facts()
    ring = ring_regions(sorted(facts), {"L-1": "NL:breda", "L-2": "NL:rotterdam"}, facts, RING,
                        RIEC)
    entity = independent_partners(person("P-2", sighting("s2", "kvk", 1),
                                         sighting("s7", "riec", 2, "high"),
                                         sighting("s8", "stichting-m", 3)), RULE, RIEC)
    assert ring is not None and entity is not None
    grouped = plans([("P-2", ring), ("P-2", entity)], {"P-2": "suspect first seen"})
    plan = grouped["P-2"]
    assert plan.rules == (INDEPENDENT_PARTNERS, RING_REGIONS)
    assert plan.members[0] == "P-2" and set(plan.members) == set(facts)
    assert plan.evidence_keys == tuple(sorted(
        f"{i}@1" for i in ("s1", "s2", "s7", "s8", "s-L-1", "s-L-2")))
    assert plans([("P-2", entity), ("P-2", ring)])["P-2"].fingerprint == plan.fingerprint
    assert plans([("P-2", entity)])["P-2"].fingerprint != plan.fingerprint
