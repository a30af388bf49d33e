"""Records reach a stream in their partition's order, or not at all until the gap is read again.

faust-streaming 0.15 can drop fetched records without a trace (``streams.gap_guard``: a flow
suspended in the middle of a batch) and go on with the next fetch. ``gap_guard`` sees to it that
the dropped records are read again, but by then the records after them were processed: a
partner's older version of a signal (inbound offset 56) reached the resolve stage after its newer
one (offset 78), became revision 2, and the graph kept the older text as the newest. Seen in the
ten-kills fault scenario. Records are lost on the way in a second place: faust clears its stream
buffers when the flow resumes (after a rebalance, after recovery), so records handed over but not
yet processed vanish while the fetch goes on after them; ``rewind`` then sends every partition
back to its first record not processed.

``DeliveryOrder`` is the rule, kept pure so that it can be tested alone: per partition, the next
offset that may be delivered. A record past it is held back (not delivered, so never
acknowledged) and the partition is read again from that offset; a record before it is a re-read
and is delivered again (the stages recognise a replay). A partition whose records before the
expected offset are gone for good (retention) would be read again forever, so after
``MAX_REREADS`` re-reads from one offset the record is let through and the gap is logged.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

MAX_REREADS = 5
"""Re-reads from one offset before the records before it count as gone (a logged gap)."""


Partition = TypeVar("Partition", bound=Hashable)


class Decision(StrEnum):
    DELIVER = "deliver"
    HOLD = "hold"
    """Not delivered; read the partition again from ``DeliveryOrder.expected``."""
    GIVE_UP = "give_up"
    """Delivered although records before it never came: ``MAX_REREADS`` re-reads found none."""


@dataclass
class DeliveryOrder(Generic[Partition]):
    """The next offset to deliver of each partition, the partitions waiting for a re-read, and
    how often each partition was read again from the offset it waits for."""

    _next: dict[Partition, int] = field(default_factory=dict)
    _waiting: dict[Partition, int] = field(default_factory=dict)
    _rereads: dict[Partition, int] = field(default_factory=dict)

    def waiting(self) -> dict[Partition, int]:
        """Partition → the offset to read it again from (the first not delivered)."""
        return dict(self._waiting)

    def decide(self, tp: Partition, offset: int, committed: int | None) -> Decision:
        """Whether the record at ``offset`` of ``tp`` may be delivered now. ``committed``: the
        partition's committed offset (the next to read), the start when nothing was delivered
        since the partition was assigned."""
        expected = self._next.get(tp, committed)
        if expected is None or offset <= expected:
            return Decision.DELIVER
        if tp not in self._waiting:
            if self._rereads.get(tp, 0) >= MAX_REREADS:
                return Decision.GIVE_UP
            self._waiting[tp] = expected
            self._next[tp] = expected
        return Decision.HOLD

    def rewind(self, tp: Partition, offset: int) -> None:
        """Records of ``tp`` from ``offset`` on were handed over but may never be processed
        (faust clears its stream buffers when the flow resumes): read again from there, and hold
        back what comes after it until then."""
        self._waiting[tp] = min(self._waiting.get(tp, offset), offset)
        self._next[tp] = self._waiting[tp]

    def rereading(self, tp: Partition) -> None:
        """``tp`` is read again from the offset it waits for."""
        if self._waiting.pop(tp, None) is not None:
            self._rereads[tp] = self._rereads.get(tp, 0) + 1

    def delivered(self, tp: Partition, offset: int) -> None:
        """The record at ``offset`` reached the stream: the next may follow."""
        self._waiting.pop(tp, None)
        self._rereads.pop(tp, None)
        self._next[tp] = offset + 1

    def forget(self, keep: Collection[Partition]) -> None:
        """Drop partitions not in ``keep`` (no longer assigned): a partition assigned again
        starts at its committed offset."""
        for state in (self._next, self._waiting, self._rereads):
            for tp in [tp for tp in state if tp not in keep]:
                del state[tp]
