"""The audit log with a fake publisher: one JSON entry per action, keyed by the actor; a failed
write raises AuditError."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from ketenlink.audit import AuditError, AuditLog
from producers.exceptions import PublishError


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
    with AuditLog(publisher, "audit.log",
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
                   "result_count": 12, "outcome": "ok"}


def test_a_failed_write_raises() -> None:
    audit = AuditLog(FakePublisher(fail=True), "audit.log")
    with pytest.raises(AuditError) as failure:
        audit.record("a.jansen", "riec", "profile", {}, 1)
    assert (failure.value.actor, failure.value.action) == ("a.jansen", "profile")
    assert isinstance(failure.value.cause, PublishError)
