"""The suppression set: keys, changes, and what readers see of a resolved record."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

import pytest

from policy.suppression import (
    EMPTY,
    Suppression,
    SuppressionSet,
    SuppressionWriter,
    parse_key,
)
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

PS = "ps1:" + "a" * 64
OTHER = "ps1:" + "c" * 64


def _record(**overrides: Any) -> dict[str, Any]:
    """A resolved record: person p1 (pseudonym PS), victim p2, business, phone; relations
    from p1 to the business and phone, and from p1 to p2."""
    base = valid_doc()
    subjects = [*base["subjects"],
                {"type": "person", "ref": "p2", "role": "victim", "family_name": "Nowak",
                 "identifiers": [{"scheme": "bsn-pseudonym", "value": OTHER}]}]
    relations = [*base["relations"], {"source": "p1", "type": "CONTROLS", "target": "p2"}]
    (record,) = resolve_docs([valid_doc(subjects=subjects, relations=relations, **overrides)])
    return record


def _ids(record: dict[str, Any]) -> dict[str, str]:
    return {e["ref"]: e["entity_id"] for e in record["entities"]}


def test_keys_name_kind_and_id() -> None:
    s = Suppression("pseudonym", PS, "erasure")
    assert s.key() == f"pseudonym:{PS}".encode()
    assert parse_key(s.key()) == ("pseudonym", PS)
    assert parse_key(b"signal:abc") == ("signal", "abc")
    for bad in (b"person:x", b"signal:", b"nonsense", None):
        with pytest.raises(ValueError):
            parse_key(bad)
    value = json.loads(s.value(__import__("datetime").datetime(2026, 1, 1)))
    assert value == {"kind": "pseudonym", "id": PS, "reason": "erasure",
                     "at": "2026-01-01T00:00:00"}


def test_changes_add_and_a_tombstone_lifts() -> None:
    s = EMPTY.changed("signal", "s1", True, 1).changed("entity", "P-x", True, 2)
    s = s.changed("pseudonym", PS, True, 3).changed("signal", "s1", False, 4)
    assert (s.signals, s.entities, s.pseudonyms, s.version) == (
        frozenset(), frozenset({"P-x"}), frozenset({PS}), 4)
    assert not EMPTY and s


def test_nothing_suppressed_leaves_the_record_itself() -> None:
    record = _record()
    assert EMPTY.resolved(record) is record
    assert SuppressionSet(signals=frozenset({"other"})).resolved(record) is record


def test_a_suppressed_signal_is_dropped() -> None:
    record = _record()
    assert SuppressionSet(signals=frozenset({record["signal_id"]})).resolved(record) is None


@pytest.mark.parametrize("by", ["pseudonym", "entity"])
def test_a_suppressed_person_is_taken_out_of_a_signal_about_others(by: str) -> None:
    record = _record()
    before = copy.deepcopy(record)
    ids = _ids(record)
    person = ids["p1"]
    suppressed = SuppressionSet(pseudonyms=frozenset({PS})) if by == "pseudonym" \
        else SuppressionSet(entities=frozenset({person}))
    kept = suppressed.resolved(record)
    assert kept is not None and record == before  # a copy; the input is unchanged
    assert [s["ref"] for s in kept["signal"]["subjects"]] == ["b1", "t1", "p2"]
    assert kept["signal"]["relations"] == []  # every relation involved p1
    assert [e["ref"] for e in kept["entities"]] == ["b1", "t1", "p2"]
    assert kept["links"] == []
    assert person not in kept["risk"] and set(kept["risk"]) == {ids[r] for r in ("b1", "t1", "p2")}
    assert PS not in json.dumps(kept) and "Berg" not in json.dumps(kept)
    assert kept["signal_id"] == record["signal_id"] and kept["revision"] == record["revision"]


def test_review_candidates_and_merges_naming_a_suppressed_entity_go() -> None:
    record = _record()
    ids = _ids(record)
    record["review"] = [{"ref": "p2", "entity_id": ids["p2"], "candidate": "P-gone",
                         "score": 7.0},
                        {"ref": "p2", "entity_id": ids["p2"], "candidate": "P-kept",
                         "score": 7.0}]
    record["merges"] = [{"merged": "P-gone", "into": ids["p2"]}]
    suppressed = SuppressionSet(entities=frozenset({"P-gone"}))
    kept = suppressed.resolved(record)
    assert kept is not None
    assert [r["candidate"] for r in kept["review"]] == ["P-kept"] and kept["merges"] == []
    assert len(kept["entities"]) == 4  # nobody of the signal itself was suppressed
    assert not suppressed.keeps_merge({"merged": "P-gone", "into": "P-a"})
    assert not suppressed.keeps_merge({"merged": "P-a", "into": "P-gone"})
    assert suppressed.keeps_merge({"merged": "P-a", "into": "P-b"})


def test_a_record_that_is_not_a_resolved_record_raises_as_the_readers_would() -> None:
    with pytest.raises(KeyError):
        SuppressionSet(signals=frozenset({"s"})).resolved({"no": "signal"})


class _Publisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[tuple[bytes | None, bytes | None]]]] = []

    def publish_many(self, topic: str, records: Iterable[tuple[bytes | None, bytes | None]]
                     ) -> object:
        self.sent.append((topic, list(records)))
        return None


def test_the_writer_sends_each_suppression_once_in_key_order() -> None:
    publisher = _Publisher()
    writer = SuppressionWriter(publisher, "t.suppressions")
    items = [Suppression("signal", "s2", "retention"), Suppression("signal", "s1", "retention"),
             Suppression("signal", "s2", "retention")]
    assert writer.suppress(items) == 2
    assert writer.suppress([]) == 0
    ((topic, sent),) = publisher.sent
    assert topic == "t.suppressions" and [k for k, _ in sent] == [b"signal:s1", b"signal:s2"]


def test_a_delivered_copy_loses_a_suppressed_person_and_says_so() -> None:
    copy_ = {"delivery_id": "d", "signal_id": "s1", "redacted": ["narrative"],
             "signal": {"subjects": [{"ref": "p1", "identifiers": [{"value": PS}]},
                                     {"ref": "b1"}],
                        "relations": [{"source": "p1", "type": "DIRECTOR_OF", "target": "b1"}]},
             "entities": [{"ref": "p1", "entity_id": "P-x"}, {"ref": "b1", "entity_id": "B-y"}]}
    assert EMPTY.delivery(copy_) is copy_
    assert SuppressionSet(signals=frozenset({"s1"})).delivery(copy_) is None
    for suppressed in (SuppressionSet(pseudonyms=frozenset({PS})),
                       SuppressionSet(entities=frozenset({"P-x"}))):
        kept = suppressed.delivery(copy_)
        assert kept is not None and kept is not copy_
        assert kept["signal"] == {"subjects": [{"ref": "b1"}], "relations": []}
        assert kept["entities"] == [{"ref": "b1", "entity_id": "B-y"}]
        assert kept["redacted"] == ["narrative", "subjects[p1]"]
    assert SuppressionSet(entities=frozenset({"P-other"})).delivery(copy_) is copy_
