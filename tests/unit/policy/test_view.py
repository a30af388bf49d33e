"""The field policy as a matrix: every partner of the shipped registry x every distribution x
every purpose x every kind of publishing source x every field, against the rules of
policy/view.py restated here on purpose (a change there must be a change here)."""

from __future__ import annotations

import itertools

import pytest

from policy.clearance import DISTRIBUTIONS, PURPOSES, Clearance, may_see
from policy.registry import Registry, load_registry
from policy.view import (
    ALWAYS,
    FIELDS,
    GRAPH_KEYS,
    UNKNOWN_SOURCE,
    record_fields,
    record_view,
    redact,
    shared_fields,
    shown_record,
    source_of,
    storable,
    visible_fields,
)

REGISTRY = load_registry()
SOURCES = ("registry", "enforcement", "healthcare", "anonymous-tips", "municipality")
OTHER = "some-publisher"


def _expected(partner: str, distribution: str, purpose: str, source: str) -> set[str]:
    clearance = REGISTRY.clearances[partner]
    if not may_see(clearance, distribution, purpose):
        return set()
    cleared = "amber+strict" in clearance.distributions
    sensitive = source in ("healthcare", "anonymous-tips")
    fields = {"core", "subjects", "relations"}
    if cleared or not sensitive:
        fields.add("narrative")
    if cleared or (not sensitive and clearance.distributions & {"amber", "amber+strict"}):
        fields.add("identifiers")
    if "care" in clearance.purposes:
        fields.add("patient_pseudonyms")
    if source != "anonymous-tips":
        fields.add("partner_ref")
    return fields


@pytest.mark.parametrize("partner", sorted(REGISTRY.entries))
def test_the_field_matrix(partner: str) -> None:
    clearance = REGISTRY.clearances[partner]
    cells = 0
    for distribution, purpose, source in itertools.product(DISTRIBUTIONS, PURPOSES, SOURCES):
        got = visible_fields(clearance, f"tlp:{distribution}", purpose, publisher=OTHER,
                             publisher_source=source)
        assert got == _expected(partner, distribution, purpose, source), \
            (partner, distribution, purpose, source)
        assert got <= set(FIELDS)
        cells += len(FIELDS)
    assert cells == len(DISTRIBUTIONS) * len(PURPOSES) * len(SOURCES) * len(FIELDS)


def test_named_cells() -> None:
    """A few cells written out in full, so the matrix above cannot be right by accident."""
    c = REGISTRY.clearances
    assert visible_fields(c["riec"], "tlp:amber", "prevention", publisher="zorg",
                          publisher_source="healthcare") \
        == {"core", "subjects", "relations", "narrative", "identifiers", "partner_ref"}
    assert visible_fields(c["gemeente:GM0599"], "tlp:amber", "prevention", publisher="zorg",
                          publisher_source="healthcare") \
        == {"core", "subjects", "relations", "partner_ref"}
    assert visible_fields(c["om"], "tlp:amber", "administrative", publisher="riec",
                          publisher_source="enforcement") == frozenset()  # purpose binding
    assert visible_fields(c["om"], "tlp:amber+strict", "criminal-law", publisher="stichting-m",
                          publisher_source="anonymous-tips") \
        == {"core", "subjects", "relations", "narrative", "identifiers"}
    assert visible_fields(c["zorg"], "tlp:amber+strict", "care", publisher="riec",
                          publisher_source="enforcement") == frozenset()
    for partner in REGISTRY.entries:  # red: nobody but the publisher
        assert not visible_fields(c[partner], "tlp:red", "criminal-law", publisher=OTHER,
                                  publisher_source="enforcement")
        assert visible_fields(c[partner], "tlp:red", "care", publisher=partner,
                              publisher_source="healthcare") == set(FIELDS)


def test_redact_takes_out_exactly_the_fields_not_visible() -> None:
    signal = {"signal_id": "s", "partner": "zorg", "partner_ref": "Z-1", "category": "labour",
              "narrative": "text", "severity": "high", "distribution": "tlp:amber",
              "purpose": "prevention",
              "subjects": [{"type": "person", "ref": "p1", "role": "victim",
                            "family_name": "Nowak",
                            "identifiers": [{"scheme": "patient-pseudonym", "value": "ps1:b"},
                                            {"scheme": "passport", "value": "X1"}]},
                           {"type": "phone", "ref": "t1", "role": "instrument",
                            "number": "+31612345678"}],
              "relations": [{"source": "p1", "type": "USES", "target": "t1"}]}
    full = redact(signal, frozenset(FIELDS))
    assert full.removed == () and full.doc == signal
    bare = redact(signal, frozenset({"core", "subjects", "relations"}))
    assert bare.removed == ("narrative", "partner_ref", "subjects[p1].identifiers[0]",
                            "subjects[p1].identifiers[1]")
    assert bare.doc["subjects"][0]["identifiers"] == [] and "narrative" not in bare.doc
    assert bare.doc["subjects"][1] == signal["subjects"][1]
    assert signal["subjects"][0]["identifiers"][0]["scheme"] == "patient-pseudonym"  # untouched
    care = redact(signal, frozenset({"core", "subjects", "relations", "patient_pseudonyms"}))
    assert [i["scheme"] for i in care.doc["subjects"][0]["identifiers"]] == ["patient-pseudonym"]
    with pytest.raises(ValueError, match="nothing of this signal"):
        redact(signal, frozenset())


# -- signals as flat records (graph Signal nodes) ------------------------------------------------

TIP_NODE = {"signal_id": "s-1", "partner_id": "stichting-m", "partner_ref": "M-2024-000016",
            "revision": 2, "observed_at": "2026-02-01T10:00:00+01:00", "category": "labour",
            "severity": "high", "distribution": "tlp:amber", "purpose": "criminal-law",
            "indicators": ["DEP-HOUSING"], "barrier_stages": ["housing"],
            "corroborated_by": ["riec"]}


def test_source_of_treats_an_unknown_publisher_as_the_most_sensitive_source() -> None:
    assert source_of(REGISTRY, "stichting-m") == "anonymous-tips"
    assert source_of(REGISTRY, "riec") == "enforcement"
    assert source_of(REGISTRY, "politie") == UNKNOWN_SOURCE == "anonymous-tips"
    assert source_of(Registry({}), "riec") == UNKNOWN_SOURCE


@pytest.mark.parametrize("source", SOURCES)
def test_shared_fields_is_what_some_partner_but_the_publisher_may_see(source: str) -> None:
    widest = set().union(*(visible_fields(c, d, p, publisher=OTHER, publisher_source=source)
                           for c in REGISTRY.clearances.values()
                           for d in DISTRIBUTIONS for p in PURPOSES))
    assert widest <= shared_fields(source)
    assert ("partner_ref" in shared_fields(source)) == (source != "anonymous-tips")
    assert shared_fields(source) == set(FIELDS) - ({"partner_ref"} if source ==
                                                    "anonymous-tips" else set())


def test_storable_drops_only_what_nobody_but_the_publisher_may_see() -> None:
    assert storable(TIP_NODE, "anonymous-tips") == \
        {k: v for k, v in TIP_NODE.items() if k != "partner_ref"}
    assert storable(TIP_NODE, "enforcement") == TIP_NODE
    # bookkeeping the table does not name is kept (and never shown: see shown_record)
    assert storable(TIP_NODE, "anonymous-tips")["corroborated_by"] == ["riec"]


def test_record_fields_asks_visible_fields_with_the_publishers_source() -> None:
    riec, om, kvk = (REGISTRY.clearances[p] for p in ("riec", "om", "kvk"))
    assert record_fields(riec, TIP_NODE, REGISTRY) == visible_fields(
        riec, "tlp:amber", "criminal-law", publisher="stichting-m",
        publisher_source="anonymous-tips")
    assert "partner_ref" not in record_fields(om, TIP_NODE, REGISTRY)
    assert record_fields(kvk, TIP_NODE, REGISTRY) == frozenset()  # may not see it at all
    own = {**TIP_NODE, "partner_id": "riec", "distribution": "tlp:red"}
    assert record_fields(riec, own, REGISTRY) == frozenset(FIELDS)
    # a publisher the registry does not know: its reference is shown to nobody
    stranger = {**TIP_NODE, "partner_id": "politie"}
    assert "partner_ref" not in record_fields(riec, stranger, REGISTRY)
    # a record without a partner or with a missing distribution: nothing (fail closed)
    assert record_fields(riec, {**TIP_NODE, "distribution": None}, REGISTRY) == frozenset()


def test_shown_record_keeps_only_named_properties_of_allowed_fields() -> None:
    shown = shown_record(TIP_NODE, frozenset(ALWAYS))
    assert "partner_ref" not in shown and "corroborated_by" not in shown
    assert shown == {k: v for k, v in TIP_NODE.items() if GRAPH_KEYS.get(k) == "core"}
    assert shown_record(TIP_NODE, frozenset(FIELDS))["partner_ref"] == "M-2024-000016"
    assert shown_record({**TIP_NODE, "narrative": "n"}, frozenset(ALWAYS)).get("narrative") \
        is None
    assert shown_record({**TIP_NODE, "future_field": 1}, frozenset(FIELDS)).get(
        "future_field") is None  # a property nobody decided on is never shown
    assert shown_record(TIP_NODE, frozenset()) == {}


def test_record_view_for_each_analyst_partner() -> None:
    views = {p: record_view(REGISTRY.clearances[p], TIP_NODE, REGISTRY)
             for p in ("riec", "om", "kvk", "zorg", "stichting-m")}
    assert views["kvk"] is None and views["zorg"] is None  # amber criminal-law: not theirs
    for partner in ("riec", "om"):
        view = views[partner]
        assert view is not None and "partner_ref" not in view
        assert view["signal_id"] == "s-1" and view["revision"] == 2
    assert views["stichting-m"] is not None and \
        views["stichting-m"]["partner_ref"] == "M-2024-000016"  # the publisher: everything
    amber_criminal_law = Clearance("x", frozenset({"amber"}), frozenset({"criminal-law"}))
    assert record_view(amber_criminal_law, {**TIP_NODE, "partner_id": "riec"}, REGISTRY) == \
        {k: v for k, v in TIP_NODE.items() if k != "corroborated_by"} | {"partner_id": "riec"}
