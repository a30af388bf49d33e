"""The audit log: one JSON record per analyst action on the ``audit.log`` topic (key: the actor).

An action is recorded *before* its results are shown, and only counts as recorded once the
broker has acknowledged it (``acks=all`` through ``core.publisher.Publisher``); when that
fails, ``AuditLog.record`` raises ``AuditError`` and the caller must not return its results: no
unaudited query. The topic keeps records forever (``core/topics.yaml``).

Tamper-evident: each ``AuditLog`` (one per process) writes its own hash chain — a random
``chain`` id, ``seq`` 1, 2, 3 …, and ``hash`` = HMAC-SHA256 (key: ``KETENLINK_AUDIT_KEY``)
over the entry including ``prev``, the hash of the entry before it. ``core.audit_verify``
checks every chain: a changed entry no longer matches its hash, a removed one leaves a gap in
``seq``, a forged or reordered one breaks ``prev``, and without the key nobody can seal a new
entry. One chain per writer, because several processes write the one topic concurrently and
none knows the others' last hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from kafka.errors import KafkaError

from core.closing import Closing
from core.exceptions import KetenlinkError

if TYPE_CHECKING:
    from core.settings import Settings

log = structlog.get_logger(__name__)



class AuditError(KetenlinkError):
    """An audit entry was not acknowledged; the action it records must fail."""

    def __init__(self, topic: str, actor: str, action: str, cause: Exception) -> None:
        self.topic, self.actor, self.action, self.cause = topic, actor, action, cause
        super().__init__(f"audit entry for {action!r} by {actor!r} not written to {topic}: "
                         f"{cause}")


class RecordPublisher(Protocol):
    """What the audit log needs from a producer (``core.publisher.Publisher`` fits)."""

    def publish(self, topic: str, key: bytes | None, value: bytes) -> object: ...

    def close(self) -> None: ...


GENESIS = "0" * 64
"""The ``prev`` of the first entry of a chain."""


@dataclass(frozen=True)
class AuditEntry:
    """One analyst action: who (actor, partner), what (action, params), when (UTC), how much
    came back (result_count) and how it ended (ok, not-found, denied); and its place in its
    writer's hash chain (chain, seq, prev, hash)."""

    audit_id: str
    at: str
    actor: str
    partner: str
    action: str
    params: dict[str, Any]
    result_count: int
    outcome: str = "ok"
    chain: str = ""
    seq: int = 0
    prev: str = GENESIS
    hash: str = ""

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, default=_plain).encode()


def entry_hash(doc: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 under ``key`` of an entry's canonical JSON without its own ``hash``
    (``prev`` included, so each entry seals the one before it; the key, so that reading the log
    is not enough to extend a chain)."""
    body = {k: v for k, v in doc.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=_plain)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog(Closing):
    """Writes confirmed audit entries; use it as a context manager (closes the producer)."""

    def __init__(self, publisher: RecordPublisher, topic: str, *, key: bytes,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        """``key`` seals the chain (``Settings.audit_key``): the key ``audit verify`` uses."""
        self._publisher, self.topic, self._clock, self._key = publisher, topic, clock, key
        self._lock = threading.Lock()
        self._new_chain()

    def _new_chain(self) -> None:
        self._chain, self._seq, self._prev = str(uuid.uuid4()), 0, GENESIS

    @classmethod
    def open(cls, settings: Settings) -> AuditLog:
        """An audit log on ``audit.log`` (with the settings' topic prefix), acks=all."""
        from core.publisher import Publisher
        from core.topics import topics_of

        topic = topics_of(settings).audit_log
        return cls(Publisher(settings.kafka, client_id="ketenlink-audit"), topic,
                   key=settings.audit_key.get_secret_value().encode())

    def record(self, actor: str, partner: str, action: str, params: Mapping[str, Any],
               result_count: int, outcome: str = "ok") -> AuditEntry:
        """Write one entry and wait for the broker's acknowledgement; raise ``AuditError``
        when it does not come."""
        with self._lock:  # one entry at a time: the chain is the order of acknowledgement
            unsealed = AuditEntry(
                audit_id=str(uuid.uuid4()), at=self._clock().astimezone(UTC).isoformat(),
                actor=actor, partner=partner, action=action,
                params=json.loads(json.dumps(dict(params), default=_plain)),
                result_count=result_count, outcome=outcome, chain=self._chain,
                seq=self._seq + 1, prev=self._prev)
            entry = replace(unsealed, hash=entry_hash(asdict(unsealed), self._key))
            try:
                self._publisher.publish(self.topic, actor.encode(), entry.to_json())
            except (KetenlinkError, KafkaError, OSError) as exc:
                log.error("audit.write_failed", topic=self.topic, actor=actor, action=action,
                          error=repr(exc))
                # it may or may not have been written: go on in a new chain, so this one
                # ends here either way instead of showing a gap or a fork
                self._new_chain()
                raise AuditError(self.topic, actor, action, exc) from exc
            self._seq, self._prev = entry.seq, entry.hash
        return entry

    def close(self) -> None:
        self._publisher.close()


def _plain(value: object) -> object:
    """JSON for the values query parameters hold besides JSON's own: dates and sets."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"cannot write {type(value).__name__} to the audit log")
