"""What an evaluation does to an alert: create, update, stay quiet, follow up a decision."""

from __future__ import annotations

from alerts.config import INDEPENDENT_PARTNERS, RING_REGIONS
from alerts.lifecycle import alert_id_for, decide, needs_sending
from alerts.rules import AlertState, Finding, Plan
from tests.unit.alerts.facts import sighting


def _plan(*signals: str, rules: tuple[str, ...] = (INDEPENDENT_PARTNERS,)) -> Plan:
    evidence = tuple(sighting(s, "riec", i) for i, s in enumerate(signals))
    return Plan("P-x", tuple(Finding(rule, ("P-x",), evidence) for rule in rules))


def _state(plan: Plan, status: str, version: int = 1) -> AlertState:
    return AlertState(alert_id_for("P-x"), "P-x", status, version, plan.rules,
                      plan.evidence_keys, plan.fingerprint, sent_version=version)


def test_a_first_finding_creates_version_one() -> None:
    change = decide(None, _plan("s1", "s2", "s3"))
    assert change is not None
    assert (change.alert_id, change.version, change.expected_version, change.reason) \
        == (alert_id_for("P-x"), 1, 0, "new")
    assert alert_id_for("P-x") == alert_id_for("P-x") != alert_id_for("P-y")


def test_a_proposed_alert_changes_only_with_its_evaluation() -> None:
    first = _plan("s1", "s2", "s3")
    state = _state(first, "proposed")
    assert decide(state, first) is None  # unchanged: nothing, no re-send
    change = decide(state, _plan("s1", "s2", "s3", "s4"))
    assert change is not None and (change.version, change.expected_status) == (2, "proposed")
    smaller = decide(state, _plan("s1", "s2"))
    assert smaller is not None and smaller.version == 2


def test_a_rejected_alert_stays_quiet_until_new_evidence() -> None:
    first = _plan("s1", "s2", "s3")
    state = _state(first, "rejected", 2)
    assert decide(state, first) is None
    assert decide(state, _plan("s1", "s2")) is None  # evidence withdrawn: no reopening
    change = decide(state, _plan("s1", "s2", "s3", "s4"))
    assert change is not None
    assert (change.version, change.expected_status, change.reason, change.follow_up_of) \
        == (3, "rejected", "new-evidence", {"status": "rejected", "version": 2})


def test_an_approved_alert_gets_a_follow_up_for_new_evidence_or_a_new_rule() -> None:
    first = _plan("s1", "s2", "s3")
    state = _state(first, "approved")
    assert decide(state, first) is None
    revised = Plan("P-x", (Finding(INDEPENDENT_PARTNERS, ("P-x",),
                                   (*first.evidence[:2], sighting("s3", "riec", 2, revision=2))),))
    change = decide(state, revised)
    assert change is not None and change.reason == "new-evidence"
    more = decide(state, _plan("s1", "s2", "s3", rules=(INDEPENDENT_PARTNERS, RING_REGIONS)))
    assert more is not None and more.reason == "new-rule"
    assert more.follow_up_of == {"status": "approved", "version": 1}


def test_an_unsent_proposal_is_sent_again() -> None:
    state = _state(_plan("s1"), "proposed", 2)
    assert not needs_sending(state)
    assert needs_sending(AlertState("AL-1", "P-x", "proposed", 2, sent_version=1))
    assert not needs_sending(AlertState("AL-1", "P-x", "rejected", 2, sent_version=1))
