"""The ``alerts.om.proposed`` record: one version of an alert's dossier, as the alert engine
proposes it to the reviewer (``alerts.dossier.build_dossier``; key: alert id). What the reviewer
reads and, once approved, what the OM receives (``alerts.release`` adds the approval).

The JSON on the wire is ``AlertProposal.to_json()``: keys sorted, UTF-8 unescaped, every key
present (``follow_up_of`` is ``null`` for a first proposal). Built only from what the reviewer
may see: never a narrative.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

_RECORD = ConfigDict(frozen=True, extra="forbid", strict=True)
Number = int | float


class ProposedEntity(BaseModel):
    """An entity as the reviewer sees it (``graph.analyst.model.EntitySummary``)."""

    model_config = _RECORD

    entity_id: str
    label: str | None
    """The node label (``Person``, ``Business``, ...); null for an entity the reviewer's graph
    reads could not find."""
    name: str | None
    """A readable name from its visible mentions; null when not found."""
    properties: dict[str, Any]
    """The node properties its visible mentions give (which ones depends on the label)."""


class ProposalAnchor(BaseModel):
    """The entity the alert is about and why it was chosen (``alerts.rules.ring_anchor``)."""

    model_config = _RECORD

    entity: ProposedEntity
    chosen_as: str


class ProposalFinding(BaseModel):
    """A rule that fired, its members, and the rule's own details beside them (e.g.
    ``window_days`` and ``partners``; a ring's ``regions``): an open set per rule."""

    model_config = ConfigDict(frozen=True, extra="allow", strict=True)

    rule: str
    members: list[str]


class ProposalEvidence(BaseModel):
    """A signal counted (``alerts.dossier.evidence_entry``), at its revision."""

    model_config = _RECORD

    signal_id: str
    revision: int
    partner: str
    observed_at: str
    """ISO 8601, as ``datetime.isoformat`` writes it."""
    severity: str
    category: str
    distribution: str
    purpose: str
    barrier_stages: list[str]
    indicators: list[str]


class ProposalLink(BaseModel):
    """A connection between members, cut down to the evidence (``explaining_links``)."""

    model_config = _RECORD

    source: str
    kind: str
    """A relation type, or ``CO_MENTIONED`` (both mentioned in one signal)."""
    target: str
    signal_ids: list[str]
    partners: list[str]
    first_seen: str
    last_seen: str


class ProposalRisk(BaseModel):
    """``streams.risk.score`` over the evidence at the newest evidence's observed time."""

    model_config = _RECORD

    score: Number
    breakdown: dict[str, Any]
    """Per part (``partners``, ``severity``, ``stages``, ``indicators``) its points and
    reasons, beside ``signals`` and ``at`` (``streams.risk.RiskScore``)."""


class AlertProposal(BaseModel):
    """One value of ``alerts.om.proposed``: the dossier of one alert version."""

    model_config = _RECORD

    format: str
    """``ketenlink.om-alert/1`` (``alerts.dossier.DOSSIER_FORMAT``)."""
    alert_id: str
    version: int
    status: str
    """``proposed`` (the release desk's copy to the OM says ``approved``)."""
    reviewer: str
    """The partner whose analysts release or reject it."""
    rules: list[str]
    created_at: str
    updated_at: str
    follow_up_of: dict[str, Any] | None
    """The decided version this one continues (``alerts.lifecycle``); null for a first one."""
    decisions: list[dict[str, Any]]
    """Earlier approvals and rejections (version, status, by, partner, at, note or reason)."""
    anchor: ProposalAnchor
    entities: list[ProposedEntity]
    """The anchor first, then the other members."""
    findings: list[ProposalFinding]
    evidence: list[ProposalEvidence]
    links: list[ProposalLink]
    risk: ProposalRisk
    purposes: list[str]
    """The purposes the evidence was gathered for (approving changes them to criminal law)."""

    def to_json(self) -> bytes:
        """The record's value on the wire: sorted keys, non-ASCII as UTF-8."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True,
                          ensure_ascii=False).encode()
