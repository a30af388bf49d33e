"""The published JSON Schema says what the gateway enforces: a document it accepts is a valid
signal, and each rule the contract checks in code is in the schema too (a pattern, a required
field or a condition), so a client generated from the schema can make a valid request."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from schemas.export import signal_json_schema
from schemas.signal import Signal
from tests.unit.schemas.signals import valid_doc

Doc = dict[str, Any]
VALIDATOR = Draft202012Validator(json.loads(signal_json_schema()))


def _subject(kind: str) -> Callable[[Doc], dict[str, Any]]:
    return lambda doc: next(s for s in doc["subjects"] if s["type"] == kind)


person, business, phone = _subject("person"), _subject("business"), _subject("phone")


def _set(pick: Callable[[Doc], dict[str, Any]], key: str, value: Any) -> Callable[[Doc], None]:
    return lambda doc: pick(doc).__setitem__(key, value)


BROKEN: dict[str, Callable[[Doc], None]] = {
    "a subject without its type": lambda doc: phone(doc).pop("type"),
    "a KvK number of 7 digits": _set(business, "kvk_number", "1234567"),
    "an SBI code of 1 digit": _set(business, "sbi_code", "9"),
    "a Dutch postcode starting with 0": lambda doc: business(doc)["address"].__setitem__(
        "postcode", "0123 AB"),
    "a Dutch postcode ending in SS": lambda doc: business(doc)["address"].__setitem__(
        "postcode", "4811 SS"),
    "a country of three letters": _set(person, "nationality", "NLD"),
    "a given name with digits": _set(person, "given_name", "J4n"),
    "a trade name with markup": _set(business, "trade_name", "<b>Clean</b>"),
    "an IBAN of letters": lambda doc: doc["subjects"].append(
        {"type": "bank_account", "ref": "a1", "role": "instrument", "iban": "not an iban"}),
    "a partner id with capitals": lambda doc: doc.update(partner="RIEC"),
}


def test_documents_the_contract_accepts_are_valid_against_the_schema() -> None:
    docs = [valid_doc(), valid_doc(partner="kvk", partner_ref="K-1", subjects=[], relations=[])]
    spaced = valid_doc()
    business(spaced)["kvk_number"] = "8123 4567"
    business(spaced)["sbi_code"] = "81.21"
    business(spaced)["address"]["postcode"] = "4811AB"
    person(spaced)["nationality"] = "ro"
    person(spaced)["given_name"] = "Anișoara"
    docs.append(spaced)
    abroad = valid_doc()
    business(abroad)["address"].update(country="BE", postcode="2000")
    docs.append(abroad)
    for doc in docs:
        Signal.model_validate_json(json.dumps(doc))  # the contract accepts it ...
        assert list(VALIDATOR.iter_errors(doc)) == []  # ... and so does the published schema


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_what_the_contract_refuses_the_schema_refuses(rule: str) -> None:
    doc = copy.deepcopy(valid_doc())
    BROKEN[rule](doc)
    with pytest.raises(ValidationError):
        Signal.model_validate_json(json.dumps(doc))
    assert list(VALIDATOR.iter_errors(doc)), f"the schema accepts {rule}"
