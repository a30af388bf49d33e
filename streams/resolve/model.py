"""What the resolver returns: resolutions, merge events and review candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Merge:
    """An event: entity ``merged`` was merged into ``into``."""

    merged: str
    into: str
    reason: str
    record_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {"merged": self.merged, "into": self.into, "reason": self.reason,
                "record_id": self.record_id}


@dataclass(frozen=True)
class ReviewCandidate:
    """A proposed link in the review band, for an analyst: ``entity_id`` may be ``candidate``."""

    entity_id: str
    candidate: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"entity_id": self.entity_id, "candidate": self.candidate, "score": self.score}


@dataclass(frozen=True)
class Resolution:
    """How one subject of one record was resolved."""

    record_id: str
    kind: str
    entity_id: str
    method: str
    """'strong', 'probable', 'new' or 'replay'."""
    matched_on: str | None
    score: float | None
    review: tuple[ReviewCandidate, ...] = ()
    merges: tuple[Merge, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "kind": self.kind, "entity_id": self.entity_id,
                "method": self.method, "matched_on": self.matched_on, "score": self.score,
                "review": [c.to_json() for c in self.review],
                "merges": [m.to_json() for m in self.merges]}
