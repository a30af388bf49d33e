"""The end-to-end benchmark's ledger: what was seen of which signal and when, without a broker."""

from __future__ import annotations

from bench.e2e_track import Ledger, Progress
from schemas.signal import signal_id_for


def _resolved(ledger: Ledger, rows: list[tuple[str, int, int, int, bool]]) -> None:
    """(signal id, revision, partition, offset, routed) at broker ms 1000 + offset."""
    ledger.resolved([((sid, rev), part, off, 1000 + off, routed) for sid, rev, part, off, routed in rows])


def test_a_record_is_visible_once_the_sink_committed_past_its_offset() -> None:
    ledger = Ledger()
    ledger.watch("p", ["a", "b", "c"])
    _resolved(ledger, [("a", 1, 0, 0, True), ("b", 1, 0, 1, True), ("c", 1, 1, 0, True)])
    assert ledger.waiting()
    ledger.committed({0: 1, 1: 0}, at=50.0)  # committed offset = the next one to read
    assert ledger.first_seen("a") == (None, 50.0)
    assert ledger.first_seen("b") == (None, None)
    ledger.committed({0: 2, 1: 1}, at=60.0)
    assert not ledger.waiting()
    assert ledger.first_seen("b") == (None, 60.0)
    assert ledger.first_seen("c") == (None, 60.0)


def test_progress_counts_the_phase_s_signals_and_deliveries_where_routed() -> None:
    ledger = Ledger()
    ledger.watch("p", {"a", "b"})
    ledger.watch("q", {"a"})  # a signal keeps its first phase
    _resolved(ledger, [("a", 1, 0, 0, True), ("a", 2, 0, 1, True), ("b", 1, 1, 0, False),
                       ("z", 1, 2, 0, True)])
    ledger.delivered([("a", 1), ("b", 1), ("z", 1)], at=10.0)  # b is not counted: not routed
    ledger.delivered([("a", 2)], at=12.0)
    ledger.committed({0: 1}, at=20.0)
    assert ledger.progress("q") == Progress()
    progress = ledger.progress("p")
    assert progress == Progress(resolved=3, deliverable=2, delivered=2, visible=1,
                                last_resolved_ms=1001, last_delivered_at=12.0,
                                last_visible_at=20.0)
    assert not progress.through()
    ledger.committed({0: 2, 1: 1}, at=30.0)
    assert ledger.progress("p").through()
    assert ledger.first_seen("a") == (10.0, 20.0)  # the first revision's moments
    assert ledger.resolved_signals({"a", "b", "x"}) == {"a", "b"}


def test_a_replayed_record_keeps_its_first_moments() -> None:
    ledger = Ledger()
    ledger.watch("p", ["a"])
    _resolved(ledger, [("a", 1, 0, 0, True)])
    _resolved(ledger, [("a", 1, 0, 5, True)])  # the worker emitted it again after a restart
    assert ledger.progress("p").resolved == 1
    assert ledger.progress("p").last_resolved_ms == 1000
    ledger.committed({0: 1}, at=5.0)
    assert not ledger.waiting()


def test_normalised_records_count_per_signal_id_from_their_key() -> None:
    ledger = Ledger()
    ledger.watch("p", [signal_id_for("riec", "R-1/2")])
    ledger.normalised([(b"riec/R-1/2", 7), (b"riec/R-1/2", 9), (b"kvk/K-1", 8)])
    progress = ledger.progress("p")
    assert (progress.normalised, progress.last_normalised_ms) == (2, 9)
    assert ledger.progress("unknown") == Progress()


def test_a_delivery_read_before_its_resolved_record_counts_once_that_arrives() -> None:
    ledger = Ledger()
    ledger.watch("p", ["a"])
    ledger.delivered([("a", 1)], at=5.0)
    assert ledger.progress("p").delivered == 0
    _resolved(ledger, [("a", 1, 3, 0, True)])
    assert (ledger.progress("p").delivered, ledger.progress("p").last_delivered_at) == (1, 5.0)
