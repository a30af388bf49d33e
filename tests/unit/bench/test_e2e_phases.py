"""The end-to-end benchmark's phases without a stack: what a batch expects, when waiting ends,
who routing sends to, and a process's memory."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bench.e2e_phases import (
    Batch,
    Pipeline,
    as_record,
    proc_cpu_seconds,
    proc_memory_mb,
    routed,
    wait,
)
from bench.e2e_track import Ledger
from core.topics import load_layout
from policy.registry import Registry, Subscription, load_registry
from schemas.signal import Signal, signal_id_for
from streams.exceptions import E2EBenchError
from tests.unit.schemas.signals import valid_doc


def _signal(**overrides: Any) -> Signal:
    return Signal.model_validate_json(json.dumps(valid_doc(**overrides)))


def _batch() -> Batch:
    signals = [_signal(partner_ref="a"), _signal(partner_ref="b"),
               _signal(partner_ref="a", severity="low"), _signal(partner_ref="b")]
    return Batch(signals, [("t", b"k", b"v")] * 4, [True, True, True, False])


def test_a_batch_knows_what_the_resolve_stage_emits() -> None:
    batch = _batch()
    a, b = (str(s.signal_id) for s in batch.signals[:2])
    assert batch.ids() == batch.resolved_ids() == {a, b}
    assert batch.expected({a}) == (2, 2)  # the original and its revision
    assert batch.expected({b}) == (2, 1)  # the resend is suppressed
    assert batch.first()[a].severity == "high"


def _everyone_subscribed() -> Registry:
    registry = load_registry()
    for partner, entry in registry.entries.items():
        if "subscriber" in entry.roles:
            updated = entry.model_copy(update={"subscriptions": (Subscription(name="all"),)})
            registry = registry.with_entry(updated, registry.version + 1)
            assert registry.entries[partner].subscriptions
    return registry


@pytest.mark.parametrize(("distribution", "expected"), [("tlp:amber", True), ("tlp:red", False)])
def test_routed_says_whether_anyone_receives_the_signal(distribution: str, expected: bool) -> None:
    record = as_record(_signal(distribution=distribution))
    assert routed(record, _everyone_subscribed(), load_layout()) is expected


def test_memory_and_cpu_of_this_process() -> None:
    rss, peak = proc_memory_mb(os.getpid())
    assert 0 < rss <= peak
    before = proc_cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))
    assert proc_cpu_seconds(os.getpid()) > before


@dataclass
class _Tracker:
    ledger: Ledger = field(default_factory=Ledger)

    def check(self) -> None:
        pass


def _pipeline(ledger: Ledger) -> Pipeline:
    return Pipeline(settings=None, layout=None, registry=None,  # type: ignore[arg-type]
                    tracker=_Tracker(ledger), services={}, folder=Path("."),  # type: ignore[arg-type]
                    echo=lambda _: None)


def _through(ledger: Ledger, sids: list[str]) -> None:
    ledger.resolved([((sid, 1), 0, i, 1000 + i, True) for i, sid in enumerate(sids)])
    ledger.delivered([(sid, 1) for sid in sids], at=time.time())
    ledger.committed({0: len(sids)}, at=time.time())


def test_waiting_ends_when_every_expected_record_is_through() -> None:
    ledger = Ledger()
    ledger.watch("test", ["a", "b"])
    _through(ledger, ["a", "b"])
    progress, ended = wait(_pipeline(ledger), "test", (2, 2), time.time(), 5.0, [])
    assert ended == "complete" and progress.visible == 2


def test_waiting_ends_without_a_wrongly_predicted_record_once_the_worker_is_idle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.e2e_phases.QUIET_S", 0.2)
    ledger = Ledger()
    a, b = signal_id_for("riec", "a"), signal_id_for("riec", "b")
    ledger.watch("test", [a, b])
    ledger.normalised([(b"riec/a", 1), (b"riec/b", 2)])
    _through(ledger, [a])  # b was predicted to be resolved, yet came as a resend
    _, ended = wait(_pipeline(ledger), "test", (2, 2), time.time(), 5.0, [])
    assert ended == "complete"


def test_the_latency_phase_stops_at_its_time_bound_the_throughput_phase_fails() -> None:
    ledger = Ledger()
    ledger.watch("p", ["a"])
    ledger.resolved([(("a", 1), 0, 0, 1000, True)])  # never committed by the sink
    _, ended = wait(_pipeline(ledger), "p", (1, 1), time.time(), 0.6, [])
    assert ended == "time bound"
    with pytest.raises(E2EBenchError, match="0 of 1 records in Neo4j"):
        wait(_pipeline(ledger), "p", (1, 1), time.time(), 0.6, [], stall_s=60)
    _, ended = wait(_pipeline(ledger), "p", (1, 1), time.time(), 5.0, [], stall_s=0.6)
    assert ended == "stalled"


def test_worker_memory_growth_per_thousand_resolved_records() -> None:
    from bench.e2e_phases import _slope

    samples = [{"resolved": 1_000.0, "worker": 100.0}, {"resolved": 3_000.0, "worker": 150.0},
               {"resolved": 5_000.0, "worker": 180.0}]
    assert _slope(samples) == 20.0
    assert _slope(samples[:1]) is None
