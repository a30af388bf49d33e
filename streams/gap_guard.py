"""Keep faust from committing past records it never processed.

faust-streaming 0.15 treats a jump in the offsets it reads (``offset > last read + 1``) as a
gap of records that do not exist (compaction, transaction markers) and marks them acknowledged,
so the next commit moves past them. But the same jump happens when faust itself dropped fetched
records (a rebalance or a flow stop in the middle of a batch): those records were never
processed, and the commit loses them. Seen here: a KvK signal published while the worker was
recovering its tables never reached ``signals.normalised``, yet its offset was committed.

Ketenlink's inbound topics are neither compacted nor transactional, so a gap in them can only
be records faust skipped. ``install`` does two things:

- when ``Consumer.getmany`` stops in the middle of a fetched batch, every partition whose
  records were not all handed over is sought back to the first one not handed over, so they
  are fetched again in this run;
- gaps count only on the compacted topics named; on every other topic the commit stops before
  a hole (logged) and, at the next fetch, the partition is sought back to the hole's first
  offset, so the skipped records are read again in this run (and the commit then moves on).
  Such holes do happen: faust hands each record over with ``wait_first(callback(message),
  suspend_flow.wait())``, so while its flow is suspended (a rebalance) the rest of a fetched
  batch is dropped without an error; seen here as 79-record holes, left unprocessed until a
  restart before this seek-back.

- a hole at the *head* of a partition's acknowledged offsets (records handed to the stream and
  then dropped, right after the last commit) is a hole too. faust checks for it with
  ``min(acked) - committed > 1``, but its committed offset is the next offset to read, so a
  single dropped record right after a commit was committed past (and none at all when the
  committed offset is 0). Seen here: one signal of 1,200 never reached ``signals.normalised``
  after a kill -9 and restart of the worker. The commit now waits and the partition is sought
  back to the committed offset.

A record read again after a hole must not come after the records that follow it: the next
records of the partition are held back until the hole is read again
(``streams.delivery_order``), so a stream sees each partition in its order.

At least once, never lost, in order. The resolve stage recognises a record it has already seen
(``streams.dedupe``), so reading one twice changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any

import structlog
from faust.transport.consumer import Consumer
from faust.types import TP

from streams.delivery_order import Decision, DeliveryOrder

log = structlog.get_logger(__name__)

_ORIGINAL_ADD_GAP: Callable[[Any, TP, int, int], Awaitable[None]] = Consumer._add_gap
_ORIGINAL_WAIT = Consumer._wait_next_records
_ORIGINAL_GETMANY = Consumer.getmany
_ORIGINAL_NEW_OFFSET = Consumer._new_offset
_ORIGINAL_DRAIN = Consumer._drain_messages
_ORIGINAL_RESUME_FLOW = Consumer.resume_flow
_HEAD_REWOUND = "_ketenlink_head_rewound"
HEAD_REWIND_EVERY_S = 5.0
"""A head hole that is still open is sought back to again at most this often."""
_FETCHED = "_ketenlink_fetched"
_REWIND = "_ketenlink_rewind"
_ORDER = "_ketenlink_order"


def install(compacted_topics: Collection[str]) -> None:
    """Replace ``Consumer._add_gap`` for this process (idempotent)."""
    allowed = frozenset(compacted_topics)

    async def _add_gap(self: Consumer, tp: TP, offset_from: int, offset_to: int) -> None:
        if tp.topic in allowed:
            await _ORIGINAL_ADD_GAP(self, tp, offset_from, offset_to)
            return
        rewind: dict[TP, int] = getattr(self, _REWIND, {})
        rewind[tp] = min(rewind.get(tp, offset_from), offset_from)
        setattr(self, _REWIND, rewind)
        log.warning("faust.offsets_skipped", topic=tp.topic, partition=tp.partition,
                    first=offset_from, last=offset_to - 1,
                    action="not committed past; read again from the next fetch")

    def _new_offset(self: Consumer, tp: TP) -> int | None:
        acked, committed = self._acked[tp], self._committed_offset[tp]
        if tp.topic in allowed or not acked or committed is None or min(acked) <= committed:
            return _ORIGINAL_NEW_OFFSET(self, tp)
        rewound: dict[TP, float] = getattr(self, _HEAD_REWOUND, {})
        setattr(self, _HEAD_REWOUND, rewound)
        now = time.monotonic()
        if now - rewound.get(tp, -HEAD_REWIND_EVERY_S) >= HEAD_REWIND_EVERY_S:
            rewound[tp] = now
            rewind: dict[TP, int] = getattr(self, _REWIND, {})
            rewind[tp] = min(rewind.get(tp, committed), committed)
            setattr(self, _REWIND, rewind)
            log.warning("faust.head_skipped", topic=tp.topic, partition=tp.partition,
                        first=committed, last=min(acked) - 1,
                        action="not committed past; read again from the next fetch")
        return None

    async def _wait_next_records(self: Consumer, timeout: float) -> Any:
        records, active = await _ORIGINAL_WAIT(self, timeout)
        fetched = {tp: (batch[0].offset, batch[-1].offset)
                   for tp, batch in (records or {}).items() if batch}
        setattr(self, _FETCHED, fetched)
        return records, active

    async def getmany(self: Consumer, timeout: float) -> AsyncIterator[Any]:
        # Between batches: after a batch the drain loop's read offset is past the hole, so a
        # seek made during the batch would have its records dropped as already read.
        rewind: dict[TP, int] = getattr(self, _REWIND, {})
        setattr(self, _REWIND, {})
        assigned = self.assignment()
        order = _order_of(self)
        order.forget(assigned)
        for tp, offset in order.waiting().items():
            rewind[tp] = min(rewind.get(tp, offset), offset)
            order.rereading(tp)
        for tp, offset in rewind.items():
            if tp in assigned:
                log.warning("faust.reread_skipped", topic=tp.topic, partition=tp.partition,
                            seek=offset)
                await self.seek(tp, offset)
        setattr(self, _FETCHED, {})
        handed: dict[TP, int] = {}
        async for tp, message in _ORIGINAL_GETMANY(self, timeout):
            handed[tp] = message.offset
            yield tp, message
        assigned = self.assignment()
        for tp, (first, last) in getattr(self, _FETCHED, {}).items():
            last_handed = handed.get(tp)
            if tp not in assigned or (last_handed is not None and last_handed >= last):
                continue
            resume = first if last_handed is None else last_handed + 1
            log.warning("faust.batch_cut", topic=tp.topic, partition=tp.partition, seek=resume)
            await self.seek(tp, resume)

    async def _drain_messages(self: Consumer, fetcher: Any) -> None:
        if not getattr(self.callback, "_ketenlink_in_order", False):
            self.callback = _in_order(self, self.callback, allowed)
        await _ORIGINAL_DRAIN(self, fetcher)

    def resume_flow(self: Consumer) -> None:
        # faust clears its stream buffers when the flow resumes (``clear_on_resume``): what was
        # handed over meanwhile is gone, and the fetch would go on after it
        _ORIGINAL_RESUME_FLOW(self)
        try:
            assigned = self.assignment()
        except Exception:  # not started yet: nothing was handed over
            return
        order = _order_of(self)
        acks_enabled_for = self.app.topics.acks_enabled_for
        for tp in assigned:
            if tp.topic not in allowed and acks_enabled_for(tp.topic):
                order.rewind(tp, _first_unprocessed(self, tp))

    Consumer._add_gap = _add_gap  # type: ignore[method-assign]
    Consumer.resume_flow = resume_flow  # type: ignore[method-assign]
    Consumer._drain_messages = _drain_messages  # type: ignore[method-assign]
    Consumer._new_offset = _new_offset  # type: ignore[method-assign]
    Consumer._wait_next_records = _wait_next_records  # type: ignore[method-assign]
    Consumer.getmany = getmany  # type: ignore[method-assign]


def _order_of(consumer: Consumer) -> DeliveryOrder[TP]:
    order: DeliveryOrder[TP] | None = getattr(consumer, _ORDER, None)
    if order is None:
        order = DeliveryOrder[TP]()
        setattr(consumer, _ORDER, order)
    return order


def _first_unprocessed(consumer: Consumer, tp: TP) -> int:
    """The first offset of ``tp`` not acknowledged: the committed offset (the next to read; 0
    when none, which faust keeps as None) and the acknowledged ones right after it."""
    offset = consumer._committed_offset[tp] or 0
    acked = consumer._acked_index[tp]
    while offset in acked:
        offset += 1
    return offset


def _in_order(consumer: Consumer, callback: Callable[[Any], Awaitable[None]],
              unordered: Collection[str]) -> Callable[[Any], Awaitable[None]]:
    """``callback`` (faust's hand-over of a fetched record to its streams), letting through
    only records in their partition's order (``DeliveryOrder``). Records of ``unordered``
    (compacted) topics and of topics without acknowledgements (changelogs) pass as they come."""
    order = _order_of(consumer)
    acks_enabled_for = consumer.app.topics.acks_enabled_for

    async def in_order(message: Any) -> None:
        tp = message.tp
        if tp.topic in unordered or not acks_enabled_for(message.topic):
            await callback(message)
            return
        decision = order.decide(tp, message.offset, consumer._committed_offset[tp])
        if decision is Decision.HOLD:
            return
        if decision is Decision.GIVE_UP:
            log.error("faust.records_gone", topic=tp.topic, partition=tp.partition,
                      before=message.offset,
                      action="read again in vain; going on without the records before it")
        await callback(message)  # cancelled when faust drops it: the next one waits then
        order.delivered(tp, message.offset)

    in_order._ketenlink_in_order = True  # type: ignore[attr-defined]
    return in_order
