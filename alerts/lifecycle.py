"""The life of an alert, as a pure decision: what an evaluation does to the alert of its anchor.

One alert per anchor, for good: its id is derived from the anchor it was created for
(``alert_id_for``), and later evaluations of that anchor (or of the entity it was merged into)
change the same alert. Statuses: ``proposed`` (waiting for the reviewer), ``approved`` (released
to the OM), ``rejected``.

- **No alert yet** → version 1, proposed.
- **Proposed**: an evaluation whose fingerprint (rules, members, evidence signals at their
  revisions) differs → version + 1, proposed again (the dossier is re-sent); the same
  fingerprint → nothing (no re-send).
- **Approved or rejected**: the decision stands until *new* evidence (a signal, or a newer
  revision of one, not in the decided version) or a rule that had not fired arrives; then
  version + 1 is proposed as a follow-up (``follow_up_of`` names the decided version) and needs
  the reviewer's decision again. A rejected alert therefore stays quiet while nothing new comes
  in; an approved one is never silently extended: the OM gets the follow-up only after a new
  approval. Evidence that disappears (a revision withdrawing a mention) does not reopen a
  decided alert.
- When no rule fires any more for an anchor, its alert is left as it is (never withdrawn
  automatically: an analyst decides).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from alerts.rules import AlertState, Plan

PROPOSED, APPROVED, REJECTED = "proposed", "approved", "rejected"
STATUSES: tuple[str, ...] = (PROPOSED, APPROVED, REJECTED)
ALERT_PREFIX = "AL-"


def alert_id_for(anchor: str) -> str:
    """The id of the alert first created for ``anchor`` (stable: a replay finds the same)."""
    return ALERT_PREFIX + hashlib.sha256(f"alert\x1f{anchor}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Change:
    """A new version of an alert to write and propose. The write only applies while the alert
    still has ``expected_version`` and ``expected_status`` (0 / None: it does not exist yet)."""

    alert_id: str
    version: int
    expected_version: int
    expected_status: str | None
    reason: str
    follow_up_of: dict[str, Any] | None = None


def decide(state: AlertState | None, plan: Plan) -> Change | None:
    """What ``plan`` (the current evaluation of an anchor) does to its alert ``state``."""
    if state is None:
        return Change(alert_id_for(plan.anchor), 1, 0, None, "new")
    if state.status == PROPOSED:
        if state.fingerprint == plan.fingerprint:
            return None
        return Change(state.alert_id, state.version + 1, state.version, PROPOSED, "changed")
    new_evidence = set(plan.evidence_keys) - set(state.evidence_keys)
    new_rules = set(plan.rules) - set(state.rules)
    if not new_evidence and not new_rules:
        return None
    return Change(state.alert_id, state.version + 1, state.version, state.status,
                  "new-evidence" if new_evidence else "new-rule",
                  {"status": state.status, "version": state.version})


def needs_sending(state: AlertState) -> bool:
    """A proposed version that was written but whose proposal was not acknowledged (the engine
    stopped in between): it is sent when its anchor is evaluated next."""
    return state.status == PROPOSED and state.sent_version < state.version
