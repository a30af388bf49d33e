from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.errors import describe
from schemas.signal import Signal, signal_id_for
from tests.unit.schemas.signals import valid_doc


def _load(doc: dict[str, Any]) -> Signal:
    return Signal.model_validate_json(json.dumps(doc))


def _error(doc: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        _load(doc)
    return describe(caught.value)


def test_valid_signal_is_normalised() -> None:
    signal = _load(valid_doc())
    business = signal.subjects[1]
    assert business.type == "business" and business.address is not None
    assert business.address.postcode == "4811 AB"
    assert signal.subjects[2].number == "+31612345678"  # type: ignore[union-attr]
    assert signal.schema_version == "1"


def test_signal_id_is_stable_and_checked() -> None:
    first, again = _load(valid_doc()), _load(valid_doc(reported_at="2026-03-05T10:00:00+01:00"))
    assert first.signal_id == again.signal_id == signal_id_for("riec", "RIEC-ZWB-2026-0142")
    assert _load(valid_doc(partner_ref="other")).signal_id != first.signal_id
    assert "signal_id must be uuid5" in _error(valid_doc(signal_id="made-up"))


@pytest.mark.parametrize(("change", "expected"), [
    ({"category": "fraud"}, "category"),
    ({"indicators": ["NOT-A-CODE"]}, "unknown indicator codes ['NOT-A-CODE']"),
    ({"indicators": ["DEP-HOUSING", "DEP-HOUSING"]}, "indicators lists a value twice"),
    ({"reported_at": "2026-03-01T00:00:00+01:00"}, "reported_at lies before observed_at"),
    ({"observed_at": "2026-03-02T00:00:00"}, "observed_at"),  # no offset
    ({"distribution": "secret"}, "distribution"),
    ({"partner": "KvK Den Haag"}, "partner"),
    ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
])
def test_rule_violations_name_the_field(change: dict[str, Any], expected: str) -> None:
    assert expected in _error(valid_doc(**change))


def _with_subject(index: int, **fields: Any) -> dict[str, Any]:
    doc = valid_doc()
    doc["subjects"][index] = {**doc["subjects"][index], **fields}
    return doc


@pytest.mark.parametrize(("index", "fields", "expected"), [
    (0, {"identifiers": [{"scheme": "bsn", "value": "111222333"}]},
     "subjects.0.person.identifiers.0.scheme"),
    (0, {"identifiers": [{"scheme": "bsn-pseudonym", "value": "111222333"}]},
     "must be a keyed pseudonym"),
    (0, {"family_name": "<script>alert(1)</script>"}, "subjects.0.person.family_name"),
    (0, {"family_name": "x'}) DETACH DELETE (n) //"}, "a name may only hold letters"),
    (0, {"birth_date": "2999-01-01"}, "birth_date lies in the future"),
    (1, {"kvk_number": "1234"}, "subjects.1.business.kvk_number: a KvK number is exactly 8 digits"),
    (1, {"address": {"postcode": "1234 SA", "city": "Breda"}},
     "subjects.1.business.address.postcode: not a valid Dutch postcode"),
    (1, {"trade_name": "Nails`; DROP"}, "must not contain"),
    (2, {"number": "12"}, "subjects.2.phone.number"),
])
def test_subject_rules(index: int, fields: dict[str, Any], expected: str) -> None:
    assert expected in _error(_with_subject(index, **fields))


@pytest.mark.parametrize("family_name", ["Jansen-de Vries", "O'Brien", "V/D LAAN", "Nguyễn", "Иванов"])
def test_names_as_people_write_them(family_name: str) -> None:
    assert _load(_with_subject(0, family_name=family_name)).subjects[0].family_name == family_name  # type: ignore[union-attr]


def test_foreign_address_skips_dutch_postcode_rules() -> None:
    signal = _load(_with_subject(1, address={"postcode": "SW1A 1AA", "city": "London",
                                             "country": "GB"}))
    assert signal.subjects[1].address.postcode == "SW1A 1AA"  # type: ignore[union-attr]


def test_relations_must_fit_the_graph_model() -> None:
    doc = valid_doc(relations=[{"source": "p1", "type": "DIRECTOR_OF", "target": "t1"}])
    assert "DIRECTOR_OF cannot link a Person to a Phone" in _error(doc)
    doc = valid_doc(relations=[{"source": "p9", "type": "USES", "target": "t1"}])
    assert "unknown subject ref 'p9'" in _error(doc)


def test_subject_refs_are_unique() -> None:
    doc = valid_doc()
    doc["subjects"][2]["ref"] = "p1"
    assert "subject ref 'p1' is used twice" in _error(doc)
