"""The field policy as a matrix: every partner of the shipped registry x every distribution x
every purpose x every kind of publishing source x every field, against the rules of
policy/view.py restated here on purpose (a change there must be a change here)."""

from __future__ import annotations

import itertools

import pytest

from policy.clearance import DISTRIBUTIONS, PURPOSES, may_see
from policy.registry import load_registry
from policy.view import FIELDS, redact, visible_fields

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
    assert visible_fields(c["gemeente-rotterdam"], "tlp:amber", "prevention", publisher="zorg",
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
