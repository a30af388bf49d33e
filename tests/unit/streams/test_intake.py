from __future__ import annotations

import base64
import json

import pytest

from streams.exceptions import RecordRejected
from streams.intake import Source, accept, rejection

SOURCE = Source(topic="signals.in.kvk", partition=2, offset=41, partner="kvk")


def test_well_formed_record_is_keyed_by_signal_id() -> None:
    accepted = accept(b'{"signal_id": "s-1", "partner": "kvk", "x": "\xc3\xa9"}', SOURCE)
    assert accepted.key == b"s-1"
    assert json.loads(accepted.value) == {"signal_id": "s-1", "partner": "kvk", "x": "é"}


@pytest.mark.parametrize(("raw", "reason"), [
    (None, "empty record"),
    (b"", "empty record"),
    (b"\xff\xfe", "not UTF-8"),
    (b"{oops", "not JSON"),
    (b"[1, 2]", "expected a JSON object, got list"),
    (b'{"partner": "kvk"}', "'signal_id' is missing"),
    (b'{"signal_id": "  ", "partner": "kvk"}', "'signal_id' is missing"),
    (b'{"signal_id": "s", "partner": "riec"}', "belongs to partner 'kvk'"),
])
def test_bad_records_are_rejected_with_a_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(RecordRejected) as caught:
        accept(raw, SOURCE)
    assert reason in caught.value.reason
    assert (caught.value.topic, caught.value.partition, caught.value.offset) == \
        ("signals.in.kvk", 2, 41)


def test_rejection_keeps_original_bytes_and_source() -> None:
    raw = b"\x00not json"
    with pytest.raises(RecordRejected) as caught:
        accept(raw, SOURCE)
    parked = json.loads(rejection(raw, caught.value, "kvk"))
    assert base64.b64decode(parked["original_base64"]) == raw
    assert parked["source_topic"] == "signals.in.kvk"
    assert (parked["source_partition"], parked["source_offset"]) == (2, 41)
    assert parked["partner"] == "kvk" and parked["reason"].startswith("not JSON")
