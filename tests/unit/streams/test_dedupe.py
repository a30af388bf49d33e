from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.signal import Signal
from streams.dedupe import Verdict, deduplicate, fingerprint
from tests.unit.schemas.signals import valid_doc


def _signal(**overrides: Any) -> Signal:
    return Signal.model_validate_json(json.dumps(valid_doc(**overrides)))


def test_new_revision_resend_in_sequence() -> None:
    store: dict[str, Any] = {}
    first = deduplicate(store, _signal(), "in/0/1")
    assert (first.verdict, first.revision) == (Verdict.NEW, 1)
    resend = deduplicate(store, _signal(reported_at="2026-03-05T08:00:00+01:00"), "in/0/2")
    assert resend.verdict is Verdict.RESEND and resend.suppressed
    assert resend.duplicate_of == "riec/RIEC-ZWB-2026-0142"
    edited = deduplicate(store, _signal(severity="critical"), "in/0/3")
    assert (edited.verdict, edited.revision) == (Verdict.REVISION, 2)
    assert edited.signal_id == first.signal_id
    late_resend_of_v1 = deduplicate(store, _signal(), "in/0/4")
    assert late_resend_of_v1.verdict is Verdict.RESEND  # an old version never reverts the signal
    third = deduplicate(store, _signal(severity="low"), "in/0/5")
    assert third.revision == 3


def test_same_content_under_another_reference_is_a_resend() -> None:
    store: dict[str, Any] = {}
    deduplicate(store, _signal(), "in/0/1")
    again = deduplicate(store, _signal(partner_ref="RIEC-ZWB-2026-9999"), "in/1/7")
    assert again.verdict is Verdict.RESEND
    assert again.duplicate_of == "riec/RIEC-ZWB-2026-0142"


def test_same_facts_from_another_partner_stay_separate() -> None:
    store: dict[str, Any] = {}
    deduplicate(store, _signal(), "in/0/1")
    other = deduplicate(store, _signal(partner="kvk"), "kvk/0/1")
    assert other.verdict is Verdict.NEW
    assert fingerprint(_signal(partner="kvk")) != fingerprint(_signal())


def test_a_replayed_record_gets_its_first_verdict_and_changes_nothing() -> None:
    store: dict[str, Any] = {}
    first = deduplicate(store, _signal(), "in/0/1")
    deduplicate(store, _signal(severity="critical"), "in/0/2")
    snapshot = dict(store)
    replay = deduplicate(store, _signal(), "in/0/1")
    assert replay.replayed and (replay.verdict, replay.revision) == (first.verdict, first.revision)
    assert store == snapshot


@pytest.mark.parametrize("lost", [("s:in/0/2",), ("s:in/0/2", "f:riec/{fp}")])
def test_a_replay_whose_verdict_a_crash_cut_off_is_not_a_resend_of_itself(
        lost: tuple[str, ...]) -> None:
    """kill -9 can land ``k:`` in the changelog without ``s:`` (one changelog record per key):
    the record is processed again and must get its first verdict, not be suppressed."""
    store: dict[str, Any] = {}
    deduplicate(store, _signal(), "in/0/1")
    revised = _signal(severity="critical")
    first = deduplicate(store, revised, "in/0/2")
    complete = dict(store)
    for key in lost:
        del store[key.format(fp=first.fingerprint)]
    replay = deduplicate(store, revised, "in/0/2")
    assert (replay.verdict, replay.revision, replay.suppressed) == (Verdict.REVISION, 2, False)
    assert replay.replayed
    assert store == complete
    resend = deduplicate(store, revised, "in/0/3")
    assert resend.suppressed and resend.verdict is Verdict.RESEND


def test_store_values_are_plain_json() -> None:
    store: dict[str, Any] = {}
    deduplicate(store, _signal(), "in/0/1")
    deduplicate(store, _signal(severity="critical"), "in/0/2")
    assert json.loads(json.dumps(store)) == store
