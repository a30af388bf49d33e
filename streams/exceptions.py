"""Errors of the stream processors."""

from __future__ import annotations

from ketenlink.exceptions import KetenlinkError


class StreamError(KetenlinkError):
    """Something in a faust worker went wrong."""


class RecordRejected(StreamError):
    """A record failed validation; it is parked on the rejected topic with this reason."""

    def __init__(self, reason: str, *, topic: str, partition: int, offset: int) -> None:
        self.reason, self.topic, self.partition, self.offset = reason, topic, partition, offset
        super().__init__(f"{topic}[{partition}]@{offset}: {reason}")
