"""The audit log with a fake publisher: one JSON entry per action, keyed by the actor; a failed
write raises AuditError."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from core.audit import GENESIS, AuditError, AuditLog, entry_hash
from core.audit_verify import verify
from core.exceptions import PublishError
from core.settings import DEVELOPMENT_AUDIT_KEY

KEY = DEVELOPMENT_AUDIT_KEY.encode()


class FakePublisher:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.fail, self.closed = fail, False

    def publish(self, topic: str, key: bytes | None, value: bytes) -> object:
        if self.fail:
            raise PublishError(topic, key, RuntimeError("broker away"))
        self.sent.append((topic, key, value))
        return None

    def close(self) -> None:
        self.closed = True


def test_an_entry_per_action() -> None:
    publisher = FakePublisher()
    with AuditLog(publisher, "audit.log", key=KEY,
                  clock=lambda: datetime(2026, 3, 1, 12, tzinfo=UTC)) as audit:
        entry = audit.record("a.jansen", "riec", "neighbourhood",
                             {"entity_id": "P-1", "since": date(2026, 1, 1),
                              "roles": frozenset({"suspect"})}, 12)
    assert publisher.closed
    (topic, key, value), = publisher.sent
    assert (topic, key) == ("audit.log", b"a.jansen")
    doc = json.loads(value)
    assert doc == {"audit_id": entry.audit_id, "at": "2026-03-01T12:00:00+00:00",
                   "actor": "a.jansen", "partner": "riec", "action": "neighbourhood",
                   "params": {"entity_id": "P-1", "since": "2026-01-01", "roles": ["suspect"]},
                   "result_count": 12, "outcome": "ok", "chain": entry.chain, "seq": 1,
                   "prev": GENESIS, "hash": entry_hash(doc, KEY)}


def test_a_failed_write_raises() -> None:
    audit = AuditLog(FakePublisher(fail=True), "audit.log", key=KEY)
    with pytest.raises(AuditError) as failure:
        audit.record("a.jansen", "riec", "profile", {}, 1)
    assert (failure.value.actor, failure.value.action) == ("a.jansen", "profile")
    assert isinstance(failure.value.cause, PublishError)


def _chain(n: int) -> list[dict[str, Any]]:
    publisher = FakePublisher()
    audit = AuditLog(publisher, "audit.log", key=KEY)
    for i in range(n):
        audit.record(f"analyst-{i % 2}", "riec", "profile", {"entity_id": f"P-{i}"}, i)
    return [json.loads(value) for _, _, value in publisher.sent]


def _verify(docs: list[Any]) -> list[str]:
    return verify(((f"audit.log@{i}", d) for i, d in enumerate(docs)), KEY).problems


def test_a_chain_links_every_entry_to_the_one_before() -> None:
    docs = _chain(5)
    assert [d["seq"] for d in docs] == [1, 2, 3, 4, 5]
    assert [d["prev"] for d in docs[1:]] == [d["hash"] for d in docs[:-1]]
    assert verify(((str(i), d) for i, d in enumerate(docs)), KEY).intact
    two = _chain(3) + _chain(2)  # two writers: two chains, both intact
    verdict = verify(((str(i), d) for i, d in enumerate(two)), KEY)
    assert verdict.intact and verdict.chains == 2 and verdict.entries == 5


def test_a_changed_removed_forged_or_reordered_entry_is_found() -> None:
    docs = _chain(5)
    changed = [dict(d) for d in docs]
    changed[2]["params"] = {"entity_id": "P-other"}
    assert _verify(changed) == ["audit.log@2: chain " + docs[0]["chain"][:8] +
                                " seq 3: content does not match its hash (changed)"]
    removed = docs[:2] + docs[3:]
    assert [p.split(": ", 2)[-1] for p in _verify(removed)] == ["1 entry missing before it (removed)"]
    forged = [dict(d) for d in docs]
    forged[3] = dict(forged[3], prev="f" * 64)
    forged[3]["hash"] = entry_hash(forged[3], KEY)  # resealed, but the link to seq 3 is gone
    assert [p.split(": ", 2)[-1] for p in _verify(forged)] == \
        ["prev is not the hash of seq 3 (forged or reordered)",  # the forged entry
         "prev is not the hash of seq 4 (forged or reordered)"]  # and the one it displaced
    swapped = [docs[0], docs[2], docs[1], docs[3], docs[4]]
    assert _verify(swapped)
    assert _verify([*swapped, docs[4]])[-1].endswith("(duplicate or replayed)")
    assert _verify([{"action": "x"}, None]) == [
        "audit.log@0: not in a hash chain (no chain/seq)",
        "audit.log@1: not in a hash chain (no chain/seq)"]
    assert not verify([], KEY).intact  # nothing to vouch for
    # without the key, a reader of the log cannot extend a chain
    appended = dict(docs[-1], seq=6, prev=docs[-1]["hash"], params={"entity_id": "P-x"})
    appended["hash"] = entry_hash(appended, b"a guessed key")
    assert _verify([*docs, appended])[-1].endswith("content does not match its hash (changed)")


def test_after_a_failed_write_a_new_chain_begins() -> None:
    publisher = FakePublisher()
    audit = AuditLog(publisher, "audit.log", key=KEY)
    audit.record("a", "riec", "profile", {}, 1)
    publisher.fail = True
    with pytest.raises(AuditError):
        audit.record("a", "riec", "profile", {}, 1)
    publisher.fail = False
    audit.record("a", "riec", "profile", {}, 1)
    first, second = (json.loads(v) for _, _, v in publisher.sent)
    assert first["chain"] != second["chain"] and second["seq"] == 1
    assert _verify([first, second]) == []
