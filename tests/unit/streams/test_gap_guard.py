"""``gap_guard``'s commit rule for a hole at the head of a partition's acknowledged offsets."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from streams import gap_guard

INBOUND, COMPACTED = TP("signals.in.kvk", 0), TP("resolver.judgements", 0)


def _consumer(tp: TP, committed: int | None, acked: list[int]) -> Any:
    consumer = SimpleNamespace(_acked=defaultdict(list), _acked_index=defaultdict(set),
                               _gap=defaultdict(IntervalTree),
                               _committed_offset=defaultdict(lambda: None))
    consumer._acked[tp] = list(acked)
    consumer._acked_index[tp] = set(acked)
    consumer._committed_offset[tp] = committed
    return consumer


@pytest.fixture(autouse=True)
def _installed() -> None:
    gap_guard.install(compacted_topics={COMPACTED.topic})


def test_one_record_dropped_right_after_the_commit_is_not_committed_past() -> None:
    consumer = _consumer(INBOUND, committed=31, acked=[32, 33])
    assert Consumer._new_offset(consumer, INBOUND) is None
    assert getattr(consumer, gap_guard._REWIND) == {INBOUND: 31}


def test_a_contiguous_run_from_the_committed_offset_commits_as_faust_does() -> None:
    consumer = _consumer(INBOUND, committed=31, acked=[31, 32, 33])
    assert Consumer._new_offset(consumer, INBOUND) == 34
    assert not getattr(consumer, gap_guard._REWIND, {})


def test_a_hole_after_offset_0_is_a_hole_too() -> None:
    consumer = _consumer(INBOUND, committed=0, acked=[1])
    assert Consumer._new_offset(consumer, INBOUND) is None


def test_an_open_hole_is_sought_back_to_at_most_every_few_seconds() -> None:
    consumer = _consumer(INBOUND, committed=31, acked=[32])
    Consumer._new_offset(consumer, INBOUND)
    setattr(consumer, gap_guard._REWIND, {})
    assert Consumer._new_offset(consumer, INBOUND) is None
    assert getattr(consumer, gap_guard._REWIND) == {}


def test_compacted_topics_keep_fausts_rule() -> None:
    consumer = _consumer(COMPACTED, committed=31, acked=[32, 33])
    assert Consumer._new_offset(consumer, COMPACTED) == 34
