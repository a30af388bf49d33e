from __future__ import annotations

import base64
import json

import pytest

from schemas.signal import signal_id_for
from streams.exceptions import RecordRejected
from streams.intake import Source, accept, rejection
from tests.unit.schemas.signals import valid_doc

SOURCE = Source(topic="signals.in.kvk", partition=2, offset=41, partner="kvk")


def _raw(**overrides: object) -> bytes:
    return json.dumps(valid_doc(partner="kvk", **overrides)).encode()


def test_valid_signal_is_normalised_keyed_and_sourced() -> None:
    accepted = accept(_raw(), SOURCE)
    assert accepted.key == b"kvk/RIEC-ZWB-2026-0142"
    doc = json.loads(accepted.value)
    assert doc["source"] == {"topic": "signals.in.kvk", "partition": 2, "offset": 41}
    assert doc["signal"]["signal_id"] == signal_id_for("kvk", "RIEC-ZWB-2026-0142")
    assert doc["signal"]["subjects"][1]["address"]["postcode"] == "4811 AB"
    assert doc["signal"]["subjects"][2]["number"] == "+31612345678"


def test_an_instance_publishes_on_its_kinds_topic_and_nowhere_else() -> None:
    riec = Source(topic="signals.in.riec", partition=0, offset=7, partner="riec")
    doc = valid_doc(partner="riec:den-haag")
    accepted = accept(json.dumps(doc).encode(), riec)
    assert accepted.key == b"riec:den-haag/RIEC-ZWB-2026-0142"
    assert accepted.signal.signal_id == signal_id_for("riec:den-haag", "RIEC-ZWB-2026-0142")
    with pytest.raises(RecordRejected, match="belongs to partners of kind 'kvk'"):
        accept(json.dumps(doc).encode(), SOURCE)


@pytest.mark.parametrize(("raw", "reason"), [
    (None, "empty record"),
    (b"", "empty record"),
    (b"\xff\xfe", "not UTF-8"),
    (b"{oops", "not JSON"),
    (b"[1, 2]", "expected a JSON object, got list"),
    (b"[" * 100_000, "not JSON"),
    (b'{"signal_id": "s", "partner": "riec"}', "belongs to partners of kind 'kvk'"),
    (b'{"signal_id": "s", "partner": "riec:kvk"}', "belongs to partners of kind 'kvk'"),
    (b'{"signal_id": "s", "partner": ["kvk"]}', "belongs to partners of kind 'kvk'"),
    (_raw(severity="extreme"), "not a valid Signal v1: severity:"),
    (_raw(signal_id="s-1"), "signal_id must be uuid5"),
    (_raw(subjects=[{"type": "phone", "ref": "t1", "role": "instrument", "number": "12"}],
          relations=[]), "subjects.0.phone.number"),
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
