"""Routing decisions without a broker: each subscription filter, recipients, stable ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from policy.registry import PartnerEntry, Registry, Subscription
from streams.recipients import Facts, delivery_id, matches, route
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

NOW = datetime(2026, 3, 5, tzinfo=UTC)
BREDA = {"street": "Hoogstraat", "house_number": 12, "postcode": "4811AB", "city": "Breda"}


(RECORD,) = resolve_docs([valid_doc()])  # riec, amber, administrative, labour, housing+work, Breda


def _sub(name: str = "s", **filters: Any) -> Subscription:
    return Subscription(name=name, **filters)


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, True),
    ({"municipalities": ["Breda"]}, True),
    ({"municipalities": ["NL:tilburg"]}, False),
    ({"regions": ["ZWB"]}, True),
    ({"regions": ["RR", "ZWB"]}, True),
    ({"regions": ["RR"]}, False),
    ({"categories": ["labour"]}, True),
    ({"categories": ["sexual"]}, False),
    ({"barrier_stages": ["work", "finance"]}, True),
    ({"barrier_stages": ["finance"]}, False),
    ({"indicators": ["DEP-HOUSING"]}, True),
    ({"indicators": ["DEP-DEBT"]}, False),
    ({"subject_roles": ["suspect", "victim"]}, True),
    ({"subject_roles": ["victim"]}, False),
    ({"min_risk": 1.0}, True),
    ({"min_risk": 1000.0}, False),
    ({"regions": ["ZWB"], "categories": ["sexual"]}, False),  # filters combine with AND
])
def test_each_filter(filters: dict[str, Any], expected: bool) -> None:
    assert matches(_sub(**filters), Facts.of(RECORD), "kvk") is expected


def test_watchlist_and_own_entities() -> None:
    first, second = resolve_docs([valid_doc(partner="kvk", partner_ref="K-1"),
                                  valid_doc(partner_ref="R-2", severity="low")])
    person = next(e["entity_id"] for e in second["entities"] if e["type"] == "person")
    facts = Facts.of(second)
    assert matches(_sub(watchlist=[person]), facts, "om")
    assert not matches(_sub(watchlist=["P-nobody"]), facts, "om")
    # kvk mentioned the same entities before: "links to one of my own signals"
    assert matches(_sub(own_entities=True), facts, "kvk")
    assert not matches(_sub(own_entities=True), facts, "zorg")
    assert not matches(_sub(own_entities=True), Facts.of(first), "kvk")


def _entry(partner: str, *subs: Subscription, roles: tuple[str, ...] = ("subscriber",),
           distributions: tuple[str, ...] = ("clear", "green", "amber"),
           purposes: tuple[str, ...] = ("administrative",)) -> PartnerEntry:
    return PartnerEntry(partner_id=partner, source="municipality", distributions=distributions,
                        purposes=purposes, roles=roles, subscriptions=subs)


def test_recipients_need_the_role_a_topic_a_match_and_the_clearance() -> None:
    registry = Registry({
        "riec": _entry("riec", _sub(), roles=("publisher", "subscriber")),  # the publisher
        "pa": _entry("pa", _sub()),
        "pb": _entry("pb", _sub(categories=["sexual"])),  # no match
        "pc": _entry("pc", _sub(), distributions=("clear", "green")),  # amber not cleared
        "pd": _entry("pd", _sub()),  # no delivery topic
        "pe": _entry("pe", roles=()),  # no subscriber role
        "pf": _entry("pf", _sub(name="x"), _sub(name="y", regions=["ZWB"]),
                     _sub(name="z", regions=["RR"])),
    })
    out = route(RECORD, registry, {"riec", "pa", "pb", "pc", "pe", "pf"}, NOW)
    assert [d.recipient for d in out] == ["pa", "pf"]
    assert out[1].value["subscriptions"] == ["x", "y"]
    assert {d.key for d in out} == {RECORD["signal_id"].encode()}
    again = route(RECORD, registry, {"pa"}, NOW.replace(hour=3))
    assert again[0].value["delivery_id"] == out[0].value["delivery_id"] \
        == delivery_id(RECORD["signal_id"], RECORD["revision"], "pa")
    assert delivery_id(RECORD["signal_id"], RECORD["revision"] + 1, "pa") \
        != out[0].value["delivery_id"]


def test_an_unknown_publisher_is_treated_as_the_most_sensitive_source() -> None:
    (record,) = resolve_docs([valid_doc(partner="newcomer", narrative="details")])
    registry = Registry({"pa": _entry("pa", _sub())})
    (copy,) = route(record, registry, {"pa"}, NOW)
    assert "narrative" not in copy.value["signal"] and "partner_ref" not in copy.value["signal"]
    assert copy.value["signal"]["subjects"][0]["identifiers"] == []


def test_an_email_address_is_no_place_and_does_not_stop_routing() -> None:
    # An e-mail subject's ``address`` is the mail address (a string), not a postal address:
    # the router once parked every signal naming an e-mail address.
    email = {"type": "email", "ref": "e1", "role": "instrument", "address": "info@example.nl"}
    doc = valid_doc(partner_ref="with-email")
    (record,) = resolve_docs([{**doc, "subjects": [*doc["subjects"], email]}])
    assert Facts.of(record).municipalities == Facts.of(RECORD).municipalities == {"NL:breda"}
