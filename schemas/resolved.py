"""The ``signals.resolved`` record: one deduplicated, resolved signal, as the resolve stage writes
it (``streams.pipeline``) and the router, the graph sink, the alert engine and the erasure scan
read it.

The JSON on the wire is ``ResolvedRecord.to_json()``: the worker writes every key, ``null`` where
a value is absent (``matched_on``, ``score``, a merge's ``record_id``). Numbers keep their JSON
type (a score written as ``0`` is read back and written again as ``0``, not ``0.0``).

Required are the fields the readers need. The others (``verdict``, ``fingerprint``, ``source``,
``review``, ``merges``, ``risk``; an entity's ``method``, ``matched_on``, ``score``; a review
candidate's ``ref``) have a default: the worker always writes them, but no reader depended on
them before the model, so a record of another writer (a tool, a test) without them is read as
before rather than refused. A record is never written again by a reader.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

Number = int | float
"""A score as the writer computed it (``round(..., 3)``); kept int or float as written."""

_RECORD = ConfigDict(frozen=True, extra="forbid", strict=True)


class RecordSource(BaseModel):
    """The inbound record a resolved record came from (``signals.normalised`` keeps it)."""

    model_config = _RECORD

    topic: str
    partition: int
    offset: int


class ResolvedEntity(BaseModel):
    """One subject of the signal and the entity it was resolved to."""

    model_config = _RECORD

    ref: str
    """The subject's ``ref`` within the signal."""
    type: str
    """The subject type (``person``, ``business``, ``location``, ...)."""
    role: str
    entity_id: str
    """The entity as the resolver has it now (after every merge so far)."""
    method: str | None = None
    """``strong``, ``probable``, ``new`` or ``replay`` (``streams.resolve``)."""
    matched_on: str | None = None
    """The identifier label or ``score``/``score:vague`` the match rested on; null when new."""
    score: Number | None = None
    """The similarity score of a probable match; null otherwise."""


class ResolvedLink(BaseModel):
    """A relation of the signal between the entities of its two subjects."""

    model_config = _RECORD

    source: str
    """Entity id of the relation's source subject."""
    type: str
    """The relation type (``DIRECTOR_OF``, ``OWNS``, ...)."""
    target: str
    """Entity id of the relation's target subject."""
    source_ref: str
    target_ref: str


class ReviewProposal(BaseModel):
    """A possible duplicate in the resolver's review band, for an analyst to judge."""

    model_config = _RECORD

    ref: str | None = None
    """The subject whose resolution proposed it."""
    entity_id: str
    candidate: str
    score: Number


class MergeEvent(BaseModel):
    """Entity ``merged`` was merged into ``into`` (``streams.resolve.Merge.to_json``)."""

    model_config = _RECORD

    merged: str
    into: str
    reason: str
    record_id: str | None
    """The resolver record that caused it; null for an analyst's judgement."""


class EntityRisk(BaseModel):
    """An entity's risk score as of this signal's report time (``streams.risk.part_points``)."""

    model_config = _RECORD

    score: Number
    parts: dict[str, Number]
    """Points per part: ``partners``, ``severity``, ``stages``, ``indicators``."""


class ResolvedRecord(BaseModel):
    """One value of ``signals.resolved`` (key: ``signal_id``)."""

    model_config = _RECORD

    signal_id: str
    revision: int
    """1 for a signal's first version, one more for each revision (``streams.dedupe``)."""
    verdict: str | None = None
    """``streams.dedupe.Verdict``: ``new`` or ``revision`` (a resend is never written)."""
    fingerprint: str | None = None
    """The content fingerprint deduplication compared (``streams.dedupe``)."""
    partner: str
    """The publishing partner."""
    source: RecordSource | None = None
    signal: dict[str, Any]
    """The Signal v1 document as intake validated it (``Signal.model_dump(mode="json")``).
    Kept as a JSON object: readers redact it field by field (``policy.view``) and cut erased
    persons out of it (``policy.suppression``), and it is never validated again, so a later
    change of the catalogue cannot make an old record unreadable."""
    entities: list[ResolvedEntity]
    """One per subject, in the signal's order."""
    links: list[ResolvedLink]
    review: list[ReviewProposal] = []
    merges: list[MergeEvent] = []
    """The merges this signal caused (again on a replay: the first output may have been lost)."""
    corroborated_by: list[str]
    """The other partners that mentioned one of its entities before (sorted)."""
    risk: dict[str, EntityRisk] = {}
    """Entity id → its risk score."""

    def to_json(self) -> bytes:
        """The record's value on the wire (compact UTF-8 JSON)."""
        return self.model_dump_json().encode()


class ResolvedIds(BaseModel):
    """What the alert engine reads of a resolved record: the signal at its revision and the
    entities it mentions. Other fields are ignored (the sink parks a record that is no full
    ``ResolvedRecord``; the engine only counts it as skipped)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    signal_id: str
    revision: int
    entities: list[EntityId]


class EntityId(BaseModel):
    """An entity a resolved record mentions (its other fields ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    entity_id: str


ResolvedIds.model_rebuild()
