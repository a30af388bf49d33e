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
  a hole (logged), so whatever slipped through is read again after a restart.

At least once, never lost. The resolve stage recognises a record it has already seen
(``streams.dedupe``), so reading one twice changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any

import structlog
from faust.transport.consumer import Consumer
from faust.types import TP

log = structlog.get_logger(__name__)

_ORIGINAL_ADD_GAP: Callable[[Any, TP, int, int], Awaitable[None]] = Consumer._add_gap
_ORIGINAL_WAIT = Consumer._wait_next_records
_ORIGINAL_GETMANY = Consumer.getmany
_FETCHED = "_ketenlink_fetched"


def install(compacted_topics: Collection[str]) -> None:
    """Replace ``Consumer._add_gap`` for this process (idempotent)."""
    allowed = frozenset(compacted_topics)

    async def _add_gap(self: Consumer, tp: TP, offset_from: int, offset_to: int) -> None:
        if tp.topic in allowed:
            await _ORIGINAL_ADD_GAP(self, tp, offset_from, offset_to)
            return
        log.warning("faust.offsets_skipped", topic=tp.topic, partition=tp.partition,
                    first=offset_from, last=offset_to - 1,
                    action="not committed past; read again after a restart")

    async def _wait_next_records(self: Consumer, timeout: float) -> Any:
        records, active = await _ORIGINAL_WAIT(self, timeout)
        fetched = {tp: (batch[0].offset, batch[-1].offset)
                   for tp, batch in (records or {}).items() if batch}
        setattr(self, _FETCHED, fetched)
        return records, active

    async def getmany(self: Consumer, timeout: float) -> AsyncIterator[Any]:
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

    Consumer._add_gap = _add_gap  # type: ignore[method-assign]
    Consumer._wait_next_records = _wait_next_records  # type: ignore[method-assign]
    Consumer.getmany = getmany  # type: ignore[method-assign]
