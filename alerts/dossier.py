"""The dossier of an alert: what the reviewer checks and, once approved, what the OM receives.

A ``schemas.alert_proposal.AlertProposal`` (``build_dossier``), built only from what the reviewer may see:

- ``alert_id``, ``version``, ``status``, ``rules`` (the rule ids that fired), ``reviewer``,
  ``created_at`` / ``updated_at``, ``follow_up_of`` (the decided version a follow-up continues)
  and ``decisions`` (earlier approvals and rejections);
- ``anchor``: the entity the alert is about (id, type, readable name, the properties its visible
  mentions give) and why it was chosen (``chosen_as``);
- ``entities``: the anchor first, then the other members (ring members, or the entities the
  evidence links to the anchor);
- ``findings``: per rule, its members and details (window and partners; ring regions);
- ``evidence``: the signals counted — id, revision, partner, observed time, severity, category,
  distribution, purpose, barrier stages, indicator codes; never a narrative. The sightings come
  from ``AlertStore.facts``, which reads each signal through ``policy.view.record_view`` for the
  reviewer (the field policy of every answer), so nothing here exceeds what the reviewer may see;
- ``links``: the connections that explain how the members hang together (relation edges and
  co-mentions, as the analyst queries find them), each cut down to the evidence signals and
  their partners;
- ``risk``: ``streams.risk.score`` over the evidence at the newest evidence's observed time, with
  its breakdown;
- ``purposes``: the purposes the evidence was gathered for (approving is the decision to use it
  for criminal law).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from alerts.rules import Plan, Sighting
from graph.analyst.model import EntitySummary, Link
from schemas.alert_proposal import (
    AlertProposal,
    ProposalAnchor,
    ProposalEvidence,
    ProposalFinding,
    ProposalLink,
    ProposalRisk,
    ProposedEntity,
)
from streams.risk import Evidence, RiskScore, score

DOSSIER_FORMAT = "ketenlink.om-alert/1"


def risk_of(evidence: Sequence[Sighting]) -> RiskScore:
    """The explainable risk score of the evidence, seen at its newest observed time."""
    items = [Evidence(s.signal_id, s.partner, s.observed_at, s.severity, s.barrier_stages,
                      s.indicators) for s in evidence]
    at = max((s.observed_at for s in evidence), default=None)
    if at is None:
        return score([], datetime.min)
    return score(items, at)


def evidence_entry(s: Sighting) -> dict[str, Any]:
    return {"signal_id": s.signal_id, "revision": s.revision, "partner": s.partner,
            "observed_at": s.observed_at.isoformat(), "severity": s.severity,
            "category": s.category, "distribution": s.distribution, "purpose": s.purpose,
            "barrier_stages": list(s.barrier_stages), "indicators": list(s.indicators)}


def explaining_links(links: Iterable[Link], evidence: Sequence[Sighting]
                     ) -> list[dict[str, Any]]:
    """Each link with its provenance cut down to the evidence (links without any dropped)."""
    by_id = {s.signal_id: s for s in evidence}
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for item in links:
        ids = sorted(set(item.signal_ids) & set(by_id))
        if not ids:
            continue
        seen = [by_id[i].observed_at for i in ids]
        out[item.key] = {"source": item.source, "kind": item.kind, "target": item.target,
                         "signal_ids": ids,
                         "partners": sorted({by_id[i].partner for i in ids}),
                         "first_seen": min(seen).isoformat(), "last_seen": max(seen).isoformat()}
    return [out[k] for k in sorted(out)]


def build_dossier(*, alert_id: str, version: int, plan: Plan, reviewer: str,
                  entities: Mapping[str, EntitySummary], links: Iterable[Link],
                  created_at: datetime, updated_at: datetime,
                  follow_up_of: Mapping[str, Any] | None = None,
                  decisions: Sequence[Mapping[str, Any]] = ()) -> AlertProposal:
    """The dossier of version ``version`` of an alert (``entities``: summaries by id, as the
    reviewer sees them; ``links``: candidate connections, cut to the evidence): the
    ``alerts.om.proposed`` record."""
    evidence = plan.evidence
    explained = explaining_links(links, evidence)
    shown = [plan.anchor, *sorted(({m for m in plan.members}
                                   | {x for link in explained for x in (link["source"],
                                                                       link["target"])})
                                  - {plan.anchor})]
    risk = risk_of(evidence)
    return AlertProposal(
        format=DOSSIER_FORMAT,
        alert_id=alert_id,
        version=version,
        status="proposed",
        reviewer=reviewer,
        rules=list(plan.rules),
        created_at=created_at.isoformat(),
        updated_at=updated_at.isoformat(),
        follow_up_of=dict(follow_up_of) if follow_up_of else None,
        decisions=[dict(d) for d in decisions],
        anchor=ProposalAnchor(entity=_entity(plan.anchor, entities),
                              chosen_as=plan.anchor_reason),
        entities=[_entity(i, entities) for i in shown],
        findings=[ProposalFinding(rule=f.rule, members=list(f.members), **f.detail)
                  for f in plan.findings],
        evidence=[ProposalEvidence.model_validate(evidence_entry(s)) for s in evidence],
        links=[ProposalLink.model_validate(link) for link in explained],
        risk=ProposalRisk.model_validate(risk.to_json()),
        purposes=sorted({s.purpose for s in evidence}),
    )


def _entity(entity_id: str, entities: Mapping[str, EntitySummary]) -> ProposedEntity:
    found = entities.get(entity_id)
    if found is None:
        return ProposedEntity(entity_id=entity_id, label=None, name=None, properties={})
    return ProposedEntity.model_validate(found.to_json())
