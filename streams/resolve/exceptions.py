"""Errors of entity resolution."""

from __future__ import annotations

from streams.exceptions import StreamError


class ResolveError(StreamError):
    """Entity resolution could not do what was asked."""


class UnknownEntity(ResolveError, ValueError):
    """A judgement names an entity id the resolver never issued."""

    def __init__(self, entity_id: str) -> None:
        self.entity_id = entity_id
        super().__init__(f"unknown entity {entity_id!r}")


class MergeRefused(ResolveError, ValueError):
    """Two entities may not be merged (they carry different values of one strong identifier
    scheme, or are of different kinds)."""

    def __init__(self, a: str, b: str, reason: str) -> None:
        self.a, self.b, self.reason = a, b, reason
        super().__init__(f"cannot merge {a} and {b}: {reason}")


class AlreadyMerged(ResolveError, ValueError):
    """An analyst rejected two ids that are already one entity; a merge is not undone."""

    def __init__(self, a: str, b: str, entity_id: str) -> None:
        self.a, self.b, self.entity_id = a, b, entity_id
        super().__init__(f"{a} and {b} are already one entity ({entity_id}); a merge is not undone")
