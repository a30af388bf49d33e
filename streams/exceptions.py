"""Errors of the stream processors."""

from __future__ import annotations

from core.exceptions import KetenlinkError


class StreamError(KetenlinkError):
    """Something in a faust worker went wrong."""


class RecordRejected(StreamError):
    """A record failed validation; it is parked on the rejected topic with this reason."""

    def __init__(self, reason: str, *, topic: str, partition: int, offset: int) -> None:
        self.reason, self.topic, self.partition, self.offset = reason, topic, partition, offset
        super().__init__(f"{topic}[{partition}]@{offset}: {reason}")


class E2EBenchError(StreamError):
    """``ketenlink bench e2e`` could not finish a phase: a process exited, time ran out."""

    def __init__(self, phase: str, reason: str) -> None:
        self.phase, self.reason = phase, reason
        super().__init__(f"bench e2e, {phase}: {reason}")
