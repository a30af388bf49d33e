"""Signal v1: the contract every partner publishes and every stage reads.

Strict pydantic v2; the JSON Schema in ``schemas/json/signal-v1.schema.json`` is generated from
this module (``ketenlink schema export``) and a test keeps it current.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from core.partner_ids import PARTNER_ID_PATTERN
from schemas.graph_model import relation_types
from schemas.indicators import catalogue
from schemas.subjects import GRAPH_LABEL, Subject

SCHEMA_VERSION: Literal["1"] = "1"
SIGNAL_NAMESPACE = uuid.UUID("6f1c8f0e-4b0a-5d7e-9c61-6b6574656e6c")
"""uuid5 namespace of signal ids: ``uuid5(SIGNAL_NAMESPACE, "<partner>/<partner_ref>")``."""

PartnerId = Annotated[str, Field(
    pattern=PARTNER_ID_PATTERN,
    description="The publishing partner's id: its kind, or kind:instance (riec:rotterdam, "
                "gemeente:GM0599). Through the gateway it must be the partner the bearer token "
                "was issued to (403 otherwise).")]
MAX_CLOCK_SKEW = timedelta(minutes=10)


class Category(StrEnum):
    """Form of exploitation the signal points to."""

    SEXUAL = "sexual"
    LABOUR = "labour"
    CRIMINAL = "criminal"
    OTHER = "other"


class BarrierStage(StrEnum):
    """Barrier-model stage where the signal arose."""

    ENTRY = "entry"
    HOUSING = "housing"
    IDENTITY = "identity"
    WORK = "work"
    FINANCE = "finance"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Distribution(StrEnum):
    """Who may see the signal, after the Traffic Light Protocol 2.0."""

    CLEAR = "tlp:clear"
    """Any chain partner."""
    GREEN = "tlp:green"
    """Chain partners subscribed to it."""
    AMBER = "tlp:amber"
    """Partners with an enforcement or care role that need it."""
    AMBER_STRICT = "tlp:amber+strict"
    """Cleared enforcement partners only (health and anonymous-tip detail)."""
    RED = "tlp:red"
    """Named analysts of the receiving RIEC only."""


class Purpose(StrEnum):
    """Why the information was gathered; it binds what it may be used for."""

    ADMINISTRATIVE = "administrative"
    """Bestuurlijke aanpak: permits, closures, inspections."""
    CRIMINAL_LAW = "criminal-law"
    """Strafrechtelijke aanpak: investigation and prosecution."""
    CARE = "care"
    """Protection of and care for victims."""
    PREVENTION = "prevention"


class Relation(BaseModel):
    """An edge one subject of the signal has to another, e.g. p1 DIRECTOR_OF b1."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    source: str
    type: Literal["DIRECTOR_OF", "OWNS", "WORKS_AT", "LOCATED_AT", "LIVES_AT", "USES",
                  "CONTROLS", "ASSOCIATED_WITH"]
    target: str


class Signal(BaseModel):
    """One fragment of information published by one chain partner."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid",
                              title="Ketenlink Signal v1")

    schema_version: Literal["1"] = SCHEMA_VERSION
    signal_id: str | None = Field(
        default=None, description="uuid5 of partner and partner_ref; derived when absent, "
                                  "checked when given. Always set after validation.")
    partner: PartnerId
    partner_ref: Annotated[str, Field(min_length=1, max_length=128,
                                      description="The partner's own reference; "
                                                  "(partner, partner_ref) is the idempotency key.")]
    observed_at: AwareDatetime
    reported_at: AwareDatetime
    category: Category
    barrier_stages: tuple[BarrierStage, ...] = ()
    indicators: tuple[str, ...] = ()
    severity: Severity
    distribution: Distribution
    purpose: Purpose
    legal_basis: Annotated[str, Field(min_length=3, max_length=200)]
    subjects: Annotated[tuple[Subject, ...], Field(max_length=200)] = ()
    relations: Annotated[tuple[Relation, ...], Field(max_length=500)] = ()
    narrative: Annotated[str, Field(max_length=10_000)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Signal:
        expected = signal_id_for(self.partner, self.partner_ref)
        if self.signal_id is None:
            object.__setattr__(self, "signal_id", expected)
        elif self.signal_id != expected:
            raise ValueError(f"signal_id must be uuid5 of partner and partner_ref ({expected})")
        if self.reported_at < self.observed_at:
            raise ValueError("reported_at lies before observed_at")
        unknown = [code for code in self.indicators if code not in catalogue()]
        if unknown:
            raise ValueError(f"unknown indicator codes {unknown}; see schemas/indicators.yaml")
        for field_name, values in (("indicators", self.indicators),
                                   ("barrier_stages", self.barrier_stages)):
            if len(set(values)) != len(values):
                raise ValueError(f"{field_name} lists a value twice")
        _check_relations(self)
        return self


def signal_id_for(partner: str, partner_ref: str) -> str:
    """The stable signal id of a partner's reference: the same on every retry."""
    return str(uuid.uuid5(SIGNAL_NAMESPACE, f"{partner}/{partner_ref}"))


def _check_relations(signal: Signal) -> None:
    labels: dict[str, str] = {}
    for subject in signal.subjects:
        if subject.ref in labels:
            raise ValueError(f"subject ref {subject.ref!r} is used twice")
        labels[subject.ref] = GRAPH_LABEL[subject.type]
    allowed = {edge.type: edge for edge in relation_types()}
    for i, relation in enumerate(signal.relations):
        for end in (relation.source, relation.target):
            if end not in labels:
                raise ValueError(f"relations[{i}] refers to unknown subject ref {end!r}")
        edge = allowed[relation.type]
        source, target = labels[relation.source], labels[relation.target]
        if source not in edge.sources or target not in edge.targets:
            raise ValueError(f"relations[{i}]: {relation.type} cannot link a {source} "
                             f"to a {target}")
