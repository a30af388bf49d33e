"""The risk score of an entity: points from the signals that mention it, each with its reason.

    points = partners + severity + stages + indicators

- **partners**: 3 points per independent partner beyond the first (corroboration counts most);
- **severity**: per signal low 1, medium 2, high 4, critical 6 points;
- **stages**: 1.5 points per barrier-model stage the signals cover;
- **indicators**: per distinct indicator code, 5 times its catalogue weight (0..1);

each contribution decayed by the age of the newest signal behind it: ``0.5 ** (age / 180 days)``
at the moment ``at`` (a signal's own time in the stream, so a replay scores the same). The
breakdown lists every part, so a score is never a bare number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.indicators import catalogue

HALF_LIFE_DAYS = 180.0
PARTNER_POINTS = 3.0
STAGE_POINTS = 1.5
INDICATOR_POINTS = 5.0
SEVERITY_POINTS = {"low": 1.0, "medium": 2.0, "high": 4.0, "critical": 6.0}
MAX_EVIDENCE = 50
"""How many of an entity's newest signals the stream keeps for its score."""


@dataclass(frozen=True)
class Evidence:
    """What one signal contributes to the score of an entity it mentions."""

    signal_id: str
    partner: str
    observed_at: datetime
    severity: str
    barrier_stages: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"signal_id": self.signal_id, "partner": self.partner,
                "observed_at": self.observed_at.isoformat(), "severity": self.severity,
                "barrier_stages": list(self.barrier_stages), "indicators": list(self.indicators)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Evidence:
        return cls(doc["signal_id"], doc["partner"], datetime.fromisoformat(doc["observed_at"]),
                   doc["severity"], tuple(doc.get("barrier_stages") or ()),
                   tuple(doc.get("indicators") or ()))


@dataclass(frozen=True)
class RiskScore:
    """A score and the parts it is made of (each part: points and what earned them)."""

    score: float
    breakdown: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "breakdown": self.breakdown}


def score(evidence: Iterable[Evidence], at: datetime) -> RiskScore:
    """The risk score of an entity mentioned by ``evidence``, seen at ``at``."""
    newest: dict[str, Evidence] = {}
    for item in evidence:  # one signal counts once (its newest revision's evidence)
        newest[item.signal_id] = item
    items = sorted(newest.values(), key=lambda e: (e.observed_at, e.signal_id))
    if not items:
        return RiskScore(0.0, {"partners": _part(0.0, []), "severity": _part(0.0, []),
                               "stages": _part(0.0, []), "indicators": _part(0.0, [])})

    def decay(when: datetime) -> float:
        age_days = max((at - when).total_seconds(), 0.0) / 86_400
        return float(0.5 ** (age_days / HALF_LIFE_DAYS))

    latest_by: dict[str, dict[str, datetime]] = {"partner": {}, "stage": {}, "indicator": {}}
    for item in items:  # ascending: the last write is the newest signal behind each key
        latest_by["partner"][item.partner] = item.observed_at
        for stage in item.barrier_stages:
            latest_by["stage"][stage] = item.observed_at
        for code in item.indicators:
            latest_by["indicator"][code] = item.observed_at

    partner_reasons: list[dict[str, Any]] = [{"partner": p, "decay": round(decay(t), 3)}
                       for p, t in sorted(latest_by["partner"].items())]
    # the first partner is the baseline; each further independent partner corroborates
    corroborating = sorted((r["decay"] for r in partner_reasons), reverse=True)[1:]
    partners = _part(PARTNER_POINTS * sum(corroborating), partner_reasons)
    severity_reasons: list[dict[str, Any]] = [
        {"signal_id": e.signal_id, "partner": e.partner, "severity": e.severity,
         "points": round(SEVERITY_POINTS.get(e.severity, 0.0) * decay(e.observed_at), 3)}
        for e in items]
    severity = _part(sum(r["points"] for r in severity_reasons), severity_reasons)
    stage_reasons: list[dict[str, Any]] = [{"stage": s, "points": round(STAGE_POINTS * decay(t), 3)}
                     for s, t in sorted(latest_by["stage"].items())]
    stages = _part(sum(r["points"] for r in stage_reasons), stage_reasons)
    known = catalogue()
    indicator_reasons: list[dict[str, Any]] = [{"code": c, "weight": known[c].weight if c in known else 0.0,
                          "points": round(INDICATOR_POINTS * (known[c].weight if c in known
                                                               else 0.0) * decay(t), 3)}
                         for c, t in sorted(latest_by["indicator"].items())]
    indicators = _part(sum(r["points"] for r in indicator_reasons), indicator_reasons)
    parts: dict[str, dict[str, Any]] = {"partners": partners, "severity": severity, "stages": stages,
             "indicators": indicators}
    total = round(sum(p["points"] for p in parts.values()), 3)
    return RiskScore(total, {**parts, "signals": len(items), "at": at.isoformat(),
                             "half_life_days": HALF_LIFE_DAYS})


def _part(points: float, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"points": round(points, 3), "reasons": reasons}
