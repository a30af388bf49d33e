"""The audit log: one JSON record per analyst action on the ``audit.log`` topic (key: the actor).

An action is recorded *before* its results are shown, and only counts as recorded once the
broker has acknowledged it (``acks=all`` through ``producers.publisher.Publisher``); when that
fails, ``AuditLog.record`` raises ``AuditError`` and the caller must not return its results: no
unaudited query. The topic keeps records forever (``infra/topics.yaml``). A hash chain over the
entries is to follow.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from kafka.errors import KafkaError

from ketenlink.exceptions import KetenlinkError

if TYPE_CHECKING:
    from ketenlink.settings import Settings

log = structlog.get_logger(__name__)

AUDIT_TOPIC = "audit.log"


class AuditError(KetenlinkError):
    """An audit entry was not acknowledged; the action it records must fail."""

    def __init__(self, topic: str, actor: str, action: str, cause: Exception) -> None:
        self.topic, self.actor, self.action, self.cause = topic, actor, action, cause
        super().__init__(f"audit entry for {action!r} by {actor!r} not written to {topic}: "
                         f"{cause}")


class RecordPublisher(Protocol):
    """What the audit log needs from a producer (``producers.publisher.Publisher`` fits)."""

    def publish(self, topic: str, key: bytes | None, value: bytes) -> object: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class AuditEntry:
    """One analyst action: who (actor, partner), what (action, params), when (UTC), how much
    came back (result_count) and how it ended (ok, not-found, denied)."""

    audit_id: str
    at: str
    actor: str
    partner: str
    action: str
    params: dict[str, Any]
    result_count: int
    outcome: str = "ok"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, default=_plain).encode()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Writes confirmed audit entries; use it as a context manager (closes the producer)."""

    def __init__(self, publisher: RecordPublisher, topic: str,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._publisher, self.topic, self._clock = publisher, topic, clock

    @classmethod
    def open(cls, settings: Settings) -> AuditLog:
        """An audit log on ``audit.log`` (with the settings' topic prefix), acks=all."""
        from infra.topics import load_layout
        from producers.publisher import Publisher

        topic = load_layout(prefix=settings.topic_prefix).name(AUDIT_TOPIC)
        return cls(Publisher(settings.kafka, client_id="ketenlink-audit"), topic)

    def record(self, actor: str, partner: str, action: str, params: Mapping[str, Any],
               result_count: int, outcome: str = "ok") -> AuditEntry:
        """Write one entry and wait for the broker's acknowledgement; raise ``AuditError``
        when it does not come."""
        entry = AuditEntry(audit_id=str(uuid.uuid4()), at=self._clock().astimezone(UTC).isoformat(),
                           actor=actor, partner=partner, action=action,
                           params=json.loads(json.dumps(dict(params), default=_plain)),
                           result_count=result_count, outcome=outcome)
        try:
            self._publisher.publish(self.topic, actor.encode(), entry.to_json())
        except (KetenlinkError, KafkaError, OSError) as exc:
            log.error("audit.write_failed", topic=self.topic, actor=actor, action=action,
                      error=repr(exc))
            raise AuditError(self.topic, actor, action, exc) from exc
        return entry

    def close(self) -> None:
        self._publisher.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _plain(value: object) -> object:
    """JSON for the values query parameters hold besides JSON's own: dates and sets."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"cannot write {type(value).__name__} to the audit log")
