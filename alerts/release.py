"""The human release step: list, show, approve and reject alerts — each audited.

Only an analyst of the configured reviewing partner acts here (``require_role(..., "analyst")``
and the partner must be ``AlertRules.reviewer``): a proposed dossier holds administrative
information the OM may not browse (its clearance is criminal-law only), so showing it to anyone
else would already be the purpose change the release is about.

- **approve**: the alert's current version must be proposed (and, when the analyst names it, be
  the version they read). The audit entry is written first (``alerts.approve`` with
  ``purpose_change``: the purposes the evidence was gathered for → ``criminal-law``, decided by
  this analyst) and acknowledged; then the stored dossier, with ``approved_by``,
  ``approved_partner``, ``approved_at``, ``note`` and ``purpose_change``, goes to ``alerts.om``
  (acks=all; key: alert id); then the alert becomes approved. No unaudited release: when the
  audit write fails nothing is published. When publishing fails the alert stays proposed and a
  ``failed`` audit entry follows.
- **reject**: needs a reason; audited, then the alert becomes rejected. Nothing goes to the OM.
- What happens to a decided alert when new evidence arrives: ``alerts.lifecycle``.

Every request is audited, whatever its outcome: ``ok``, ``invalid`` (a malformed alert id,
status, limit, or a rejection without reason), ``denied`` (not the reviewer, no analyst role),
``not-found``, ``refused`` (not proposed, or another version than the analyst read), ``failed``
(publishing the release failed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from kafka.errors import KafkaError

from alerts.config import REVIEW_ROLE, AlertRules
from alerts.exceptions import (
    AlertInputError,
    AlertStateError,
    NotReviewerError,
    ReleaseError,
    UnknownAlertError,
)
from alerts.lifecycle import APPROVED, PROPOSED, REJECTED, STATUSES
from alerts.store import AlertRecord, AlertStore
from core.audit import AuditLog, RecordPublisher
from core.exceptions import KetenlinkError
from core.publisher import Published
from policy.clearance import Caller, require_role
from policy.exceptions import RoleRequiredError

log = structlog.get_logger(__name__)

CRIMINAL_LAW = "criminal-law"
_ALERT_ID = re.compile(r"^AL-[0-9a-f]{16}$")
MAX_LIST = 1000


def check_alert_id(value: str) -> str:
    """An alert id as the engine mints them (``AL-`` and 16 hex digits)."""
    if not isinstance(value, str) or not _ALERT_ID.match(value.strip()):
        raise AlertInputError("alert_id", value, "not an alert id (like 'AL-0123456789abcdef')")
    return value.strip()


@dataclass(frozen=True)
class Released:
    """An approved alert and where the broker stored its release."""

    alert: AlertRecord
    document: dict[str, Any]
    where: Published | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlertDesk:
    """The reviewer's desk: every action is checked, audited, then done."""

    def __init__(self, store: AlertStore, audit: AuditLog, publisher: RecordPublisher,
                 released_topic: str, rules: AlertRules,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._store, self._audit, self._publisher = store, audit, publisher
        self._topic, self._rules, self._clock = released_topic, rules, clock

    def list(self, caller: Caller, status: str | None = None, limit: int = 100
             ) -> list[AlertRecord]:
        """Alerts (of one status, when given), most recently updated first."""
        params = {"status": status, "limit": limit}
        with self._checking(caller, "alerts.list", params):
            if status is not None and status not in STATUSES:
                raise AlertInputError("status", status, f"one of {', '.join(STATUSES)}")
            if isinstance(limit, bool) or not 1 <= limit <= MAX_LIST:
                raise AlertInputError("limit", limit, f"a whole number from 1 to {MAX_LIST}")
        self._authorise(caller, "alerts.list", params)
        found = self._store.list(status, limit)
        self._record(caller, "alerts.list", params, len(found))
        return found

    def show(self, caller: Caller, alert_id: str) -> AlertRecord:
        """One alert with its current dossier and earlier decisions."""
        with self._checking(caller, "alerts.show", {"alert_id": alert_id}):
            alert_id = check_alert_id(alert_id)
        params = {"alert_id": alert_id}
        self._authorise(caller, "alerts.show", params)
        found = self._find(caller, "alerts.show", params)
        self._record(caller, "alerts.show", {**params, "version": found.version}, 1)
        return found

    def approve(self, caller: Caller, alert_id: str, note: str | None = None,
                version: int | None = None) -> Released:
        """Release the current proposed version to the OM (see the module docstring)."""
        note = (note or "").strip() or None
        with self._checking(caller, "alerts.approve", {"alert_id": alert_id, "note": note}):
            alert_id = check_alert_id(alert_id)
        params: dict[str, Any] = {"alert_id": alert_id, "version": version, "note": note}
        self._authorise(caller, "alerts.approve", params)
        alert = self._proposed(caller, "alerts.approve", params, version, "approved")
        now = self._clock()
        purpose_change = {
            "from": list(alert.dossier.get("purposes") or []), "to": CRIMINAL_LAW,
            "decided_by": caller.analyst, "partner": caller.partner_id,
            "decision": "information gathered for the purposes above is released to the public "
                        "prosecutor (OM) for criminal-law use"}
        document = {**alert.dossier, "status": APPROVED, "approved_by": caller.analyst,
                    "approved_partner": caller.partner_id, "approved_at": now.isoformat(),
                    "note": note, "purpose_change": purpose_change}
        params = {**params, "version": alert.version, "topic": self._topic,
                  "purpose_change": purpose_change}
        self._record(caller, "alerts.approve", params, 1)  # before the release: no unaudited one
        try:
            where = self._publisher.publish(
                self._topic, alert_id.encode(),
                json.dumps(document, sort_keys=True, ensure_ascii=False).encode())
        except (KetenlinkError, KafkaError, OSError) as exc:
            log.error("alerts.release_failed", alert_id=alert_id, version=alert.version,
                      topic=self._topic, error=repr(exc))
            self._record(caller, "alerts.approve", {**params, "error": repr(exc)}, 0, "failed")
            raise ReleaseError(alert_id, alert.version, self._topic, exc) from exc
        self._decide(caller, alert, APPROVED, now, note=note)
        log.info("alerts.approved", alert_id=alert_id, version=alert.version,
                 analyst=caller.analyst, topic=self._topic)
        return Released(self._store.get(alert_id) or alert, document,
                        where if isinstance(where, Published) else None)

    def reject(self, caller: Caller, alert_id: str, reason: str,
               version: int | None = None) -> AlertRecord:
        """Reject the current proposed version, with a reason; nothing goes to the OM."""
        reason = (reason or "").strip()
        params: dict[str, Any] = {"alert_id": alert_id, "version": version, "reason": reason}
        with self._checking(caller, "alerts.reject", params):
            alert_id = check_alert_id(alert_id)
            if not reason:
                raise AlertInputError("reason", reason, "a rejection needs a reason")
        self._authorise(caller, "alerts.reject", params)
        alert = self._proposed(caller, "alerts.reject", params, version, "rejected")
        now = self._clock()
        self._record(caller, "alerts.reject", {**params, "version": alert.version}, 1)
        self._decide(caller, alert, REJECTED, now, reason=reason)
        log.info("alerts.rejected", alert_id=alert_id, version=alert.version,
                 analyst=caller.analyst)
        return self._store.get(alert_id) or alert

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _checking(self, caller: Caller, action: str, params: Mapping[str, Any]
                  ) -> Iterator[None]:
        """Input checks: a malformed request is audited as ``invalid``, then refused."""
        try:
            yield
        except AlertInputError:
            self._record(caller, action, params, 0, "invalid")
            raise

    def _authorise(self, caller: Caller, action: str, params: Mapping[str, Any]) -> None:
        """The analyst role and the reviewing partner, else audited as ``denied``."""
        try:
            require_role(caller.clearance, REVIEW_ROLE)
            if caller.partner_id != self._rules.reviewer:
                raise NotReviewerError(caller.partner_id, self._rules.reviewer)
        except (RoleRequiredError, NotReviewerError):
            self._record(caller, action, params, 0, "denied")
            raise

    def _find(self, caller: Caller, action: str, params: Mapping[str, Any]) -> AlertRecord:
        found = self._store.get(str(params["alert_id"]))
        if found is None:
            self._record(caller, action, params, 0, "not-found")
            raise UnknownAlertError(str(params["alert_id"]))
        return found

    def _decide(self, caller: Caller, alert: AlertRecord, status: str, now: datetime,
                **detail: str | None) -> None:
        """Record the decision on the version read; log when a newer one came meanwhile."""
        current = self._store.decide(alert.alert_id, alert.version, status, {
            "version": alert.version, "status": status, "by": caller.analyst,
            "partner": caller.partner_id, "at": now.isoformat(), **detail})
        if not current:
            log.warning("alerts.newer_version_meanwhile", alert_id=alert.alert_id,
                        decided_version=alert.version, status=status)

    def _proposed(self, caller: Caller, action: str, params: Mapping[str, Any],
                  version: int | None, verb: str) -> AlertRecord:
        alert = self._find(caller, action, params)
        if alert.status != PROPOSED or (version is not None and version != alert.version):
            self._record(caller, action, {**params, "current_version": alert.version,
                                          "status": alert.status}, 0, "refused")
            if alert.status != PROPOSED:
                raise AlertStateError(alert.alert_id, alert.status, alert.version, verb)
            raise AlertInputError("version", version, f"the current version is "
                                                      f"{alert.version}: read it again")
        return alert

    def _record(self, caller: Caller, action: str, params: Mapping[str, Any], count: int,
                outcome: str = "ok") -> None:
        self._audit.record(caller.analyst, caller.partner_id, action, params, count, outcome)
