"""``DeliveryOrder``: a partition's records reach the stream in order, a hole is read again first."""

from __future__ import annotations

from streams.delivery_order import MAX_REREADS, Decision, DeliveryOrder

TP = ("signals.in.kvk", 1)


def test_records_in_order_are_delivered() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    for offset in (56, 57, 58):
        assert order.decide(TP, offset, committed=56) is Decision.DELIVER
        order.delivered(TP, offset)
    assert order.waiting() == {}


def test_a_record_after_a_hole_waits_until_the_hole_is_read_again() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    assert order.decide(TP, 55, committed=55) is Decision.DELIVER
    order.delivered(TP, 55)
    # 56..77 were dropped on the way (faust's suspended flow): 78 must not overtake them
    assert order.decide(TP, 78, committed=55) is Decision.HOLD
    assert order.decide(TP, 79, committed=55) is Decision.HOLD
    assert order.waiting() == {TP: 56}
    order.rereading(TP)
    assert order.decide(TP, 56, committed=55) is Decision.DELIVER
    order.delivered(TP, 56)
    assert order.decide(TP, 57, committed=55) is Decision.DELIVER


def test_a_hole_at_the_head_counts_from_the_committed_offset() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    assert order.decide(TP, 31, committed=30) is Decision.HOLD
    assert order.waiting() == {TP: 30}


def test_without_a_committed_offset_the_first_record_sets_the_start() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    assert order.decide(TP, 1_000, committed=None) is Decision.DELIVER


def test_a_record_read_again_is_delivered_again() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    for offset in (10, 11, 12):
        order.delivered(TP, offset)
    assert order.decide(TP, 10, committed=10) is Decision.DELIVER


def test_records_gone_for_good_are_given_up_after_the_rereads() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    order.delivered(TP, 9)
    for _ in range(MAX_REREADS):  # retention deleted 10..19: every re-read starts at 20
        assert order.decide(TP, 20, committed=None) is Decision.HOLD
        order.rereading(TP)
    assert order.decide(TP, 20, committed=None) is Decision.GIVE_UP
    order.delivered(TP, 20)
    assert order.decide(TP, 21, committed=None) is Decision.DELIVER


def test_a_partition_assigned_again_starts_at_its_committed_offset() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    order.delivered(TP, 40)
    order.forget(keep=set())
    assert order.decide(TP, 100, committed=100) is Decision.DELIVER


def test_a_resumed_flow_sends_the_partition_back_to_its_first_record_not_processed() -> None:
    order = DeliveryOrder[tuple[str, int]]()
    for offset in (40, 41, 42):  # handed over; faust clears its buffers before 40 is processed
        order.delivered(TP, offset)
    order.rewind(TP, 40)
    assert order.decide(TP, 43, committed=40) is Decision.HOLD
    assert order.waiting() == {TP: 40}
    order.rereading(TP)
    assert order.decide(TP, 40, committed=40) is Decision.DELIVER
