"""Request bodies: bounded reading, shape, pseudonymisation of clear identifiers, validation."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from pydantic import SecretStr

from bench.gateway import SAMPLE_BSN, sample_signal
from producers.exceptions import BodyTooLargeError, PayloadError
from producers.gateway.payload import (
    Body,
    claimed_partners,
    parse_body,
    pseudonymise,
    read_body,
    validate,
)
from producers.pseudonym import Pseudonymiser
from schemas.signal import signal_id_for


@pytest.fixture
def pseudonyms() -> Pseudonymiser:
    return Pseudonymiser(SecretStr("unit-test-key-0123456789"))


async def _chunks(parts: Iterable[bytes], consumed: list[int]) -> AsyncIterator[bytes]:
    for part in parts:
        consumed.append(len(part))
        yield part


def _read(parts: Iterable[bytes], content_length: str | None, limit: int) -> tuple[bytes, int]:
    consumed: list[int] = []
    body = asyncio.run(read_body(_chunks(parts, consumed), content_length, limit))
    return body, len(consumed)


# -- reading ------------------------------------------------------------------------------------

def test_a_body_within_the_limit_is_read_whole() -> None:
    assert _read([b"a" * 600, b"b" * 424], "1024", 1024) == (b"a" * 600 + b"b" * 424, 2)
    assert _read([b"x" * 10, b"y" * 10], None, 1024) == (b"x" * 10 + b"y" * 10, 2)


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    consumed: list[int] = []
    with pytest.raises(BodyTooLargeError) as caught:
        asyncio.run(read_body(_chunks([b"a" * 10], consumed), "5000", 1024))
    assert consumed == []
    assert (caught.value.limit, caught.value.seen) == (1024, 5000)


@pytest.mark.parametrize("content_length", [None, "10", "garbage"])
def test_bytes_beyond_the_limit_are_refused_whatever_the_header_says(
        content_length: str | None) -> None:
    consumed: list[int] = []
    many = (b"z" * 512 for _ in range(1000))  # 512 kB on offer
    with pytest.raises(BodyTooLargeError):
        asyncio.run(read_body(_chunks(many, consumed), content_length, 1024))
    assert len(consumed) == 3  # stopped at the first chunk past the limit


# -- shape --------------------------------------------------------------------------------------

def test_one_signal_or_a_batch() -> None:
    single = parse_body(b'{"partner": "riec"}', max_batch=5)
    assert (single.items, single.batch) == ([{"partner": "riec"}], False)
    batch = parse_body(json.dumps({"signals": [{"a": 1}, {"b": 2}]}).encode(), max_batch=5)
    assert (batch.items, batch.batch) == ([{"a": 1}, {"b": 2}], True)
    assert batch.prefix(1) == ("signals", 1) and single.prefix(0) == ()


@pytest.mark.parametrize(("raw", "path"), [
    (b"", "body"),
    (b"{not json", "body"),
    (b"\xff\xfe\x00garbage", "body"),
    (b'{"partner": NaN}', "body"),
    (b"[1, 2]", "body"),
    (b"[" * 100_000 + b"]" * 100_000, "body"),
    (b'{"signals": {}}', "signals"),
    (b'{"signals": []}', "signals"),
    (json.dumps({"signals": [{}] * 6}).encode(), "signals"),
    (b'{"signals": [{}], "partner": "riec"}', "body"),
])
def test_bodies_of_the_wrong_shape(raw: bytes, path: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_body(raw, max_batch=5)
    assert [issue["path"] for issue in caught.value.issues] == [path]


def test_claimed_partners_by_index() -> None:
    body = Body(items=[{"partner": "riec"}, {"x": 1}, "junk", {"partner": 7}], batch=True)
    assert claimed_partners(body) == {0: "riec", 3: 7}


# -- pseudonymisation ---------------------------------------------------------------------------

def test_a_clear_bsn_becomes_its_pseudonym_and_the_input_is_untouched(
        pseudonyms: Pseudonymiser) -> None:
    doc = sample_signal("riec", "r-1")
    before = copy.deepcopy(doc)
    out, problems = pseudonymise(doc, pseudonyms)
    assert problems == []
    assert doc == before
    assert out["subjects"][0]["identifiers"] == [
        {"scheme": "bsn-pseudonym", "value": pseudonyms.bsn(SAMPLE_BSN)}]
    assert SAMPLE_BSN not in json.dumps(out)
    assert out["subjects"][1:] == doc["subjects"][1:]


def test_a_patient_number_is_scoped_to_its_institution(pseudonyms: Pseudonymiser) -> None:
    doc = sample_signal("zorg", "z-1")
    doc["subjects"][0]["identifiers"] = [
        {"scheme": "patient-id", "value": "P-88231", "institution": "SEH Amphia Breda"},
        {"scheme": "passport", "value": "NXC3L7P21"}]
    out, problems = pseudonymise(doc, pseudonyms)
    assert problems == []
    assert out["subjects"][0]["identifiers"] == [
        {"scheme": "patient-pseudonym", "value": pseudonyms.patient("SEH Amphia Breda", "P-88231")},
        {"scheme": "passport", "value": "NXC3L7P21"}]


@pytest.mark.parametrize(("identifier", "field"), [
    ({"scheme": "bsn", "value": "123456789"}, "value"),  # fails the elfproef
    ({"scheme": "bsn", "value": 111222333}, "value"),
    ({"scheme": "bsn"}, "value"),
    ({"scheme": "patient-id", "value": "P-1"}, "institution"),
    ({"scheme": "patient-id", "value": "P-1", "institution": " "}, "institution"),
])
def test_identifiers_that_cannot_be_pseudonymised(pseudonyms: Pseudonymiser,
                                                  identifier: dict[str, Any], field: str) -> None:
    doc = sample_signal("riec", "r-1")
    doc["subjects"][0]["identifiers"] = [{"scheme": "passport", "value": "X1"}, identifier]
    out, problems = pseudonymise(doc, pseudonyms)
    assert [loc for loc, _ in problems] == [("subjects", 0, "person", "identifiers", 1, field)]
    assert "123456789" not in json.dumps(out) and "123456789" not in problems[0][1]


def test_documents_without_identifiers_pass_unchanged(pseudonyms: Pseudonymiser) -> None:
    for doc in ("text", {"subjects": "none"}, {"subjects": [1, {"type": "phone"}]}):
        assert pseudonymise(doc, pseudonyms) == (doc, [])


# -- validation ---------------------------------------------------------------------------------

def test_a_valid_batch_validates_with_derived_ids(pseudonyms: Pseudonymiser) -> None:
    body = Body(items=[sample_signal("riec", f"r-{i}") for i in range(3)], batch=True)
    signals = validate(body, pseudonyms)
    assert [s.signal_id for s in signals] == [signal_id_for("riec", f"r-{i}") for i in range(3)]
    assert all(SAMPLE_BSN not in s.model_dump_json() for s in signals)


def test_one_bad_signal_fails_the_batch_with_indexed_paths(pseudonyms: Pseudonymiser) -> None:
    bad = sample_signal("riec", "r-1", bsn="123456789")
    bad["subjects"][4]["iban"] = "NL00ABNA0417164300"
    body = Body(items=[sample_signal("riec", "r-0"), bad, sample_signal("riec", "r-2")],
                batch=True)
    with pytest.raises(PayloadError) as caught:
        validate(body, pseudonyms)
    issues = caught.value.issues
    assert {issue["index"] for issue in issues} == {1}
    assert {issue["path"] for issue in issues} == {
        "signals.1.subjects.0.person.identifiers.0.value",
        "signals.1.subjects.4.bank_account.iban"}
    assert caught.value.detail.startswith("1 of 3 signal(s) invalid")
    assert "123456789" not in json.dumps(issues)  # issues never echo the input


def test_a_single_signal_has_no_index_and_no_batch_prefix(pseudonyms: Pseudonymiser) -> None:
    doc = sample_signal("riec", "r-0")
    doc["subjects"][2]["address"]["postcode"] = "0123 AB"
    with pytest.raises(PayloadError) as caught:
        validate(Body(items=[doc], batch=False), pseudonyms)
    assert [(i["index"], i["path"]) for i in caught.value.issues] == [
        (None, "subjects.2.location.address.postcode")]
