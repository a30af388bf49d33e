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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.indicators import catalogue

HALF_LIFE_DAYS = 180.0
PARTNER_POINTS = 3.0
STAGE_POINTS = 1.5
INDICATOR_POINTS = 5.0
SEVERITY_POINTS = {"low": 1.0, "medium": 2.0, "high": 4.0, "critical": 6.0}
MAX_EVIDENCE = 20
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

    def to_row(self) -> list[Any]:
        """The compact form the stream keeps per entity (a list, epoch seconds)."""
        return [self.signal_id, self.partner, self.observed_at.timestamp(), self.severity,
                list(self.barrier_stages), list(self.indicators)]

    @classmethod
    def from_row(cls, row: list[Any]) -> Evidence:
        return cls(row[0], row[1], datetime.fromtimestamp(row[2], UTC), row[3], tuple(row[4]),
                   tuple(row[5]))


@dataclass(frozen=True)
class RiskScore:
    """A score and the parts it is made of (each part: points and what earned them)."""

    score: float
    breakdown: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "breakdown": self.breakdown}


def score(evidence: Iterable[Evidence], at: datetime) -> RiskScore:
    """The risk score of an entity mentioned by ``evidence``, seen at ``at``."""
    items, latest, decay = _weigh(evidence, at)
    weight = _weights()
    partner_reasons = [{"partner": p, "decay": round(decay(t), 3)}
                       for p, t in sorted(latest["partner"].items())]
    parts = {
        "partners": _part(_corroboration(latest, decay), partner_reasons),
        "severity": _part(None, [
            {"signal_id": e.signal_id, "partner": e.partner, "severity": e.severity,
             "points": round(SEVERITY_POINTS.get(e.severity, 0.0) * decay(e.observed_at), 3)}
            for e in items]),
        "stages": _part(None, [{"stage": s, "points": round(STAGE_POINTS * decay(t), 3)}
                               for s, t in sorted(latest["stage"].items())]),
        "indicators": _part(None, [
            {"code": c, "weight": weight(c),
             "points": round(INDICATOR_POINTS * weight(c) * decay(t), 3)}
            for c, t in sorted(latest["indicator"].items())]),
    }
    total = round(sum(p["points"] for p in parts.values()), 3)
    return RiskScore(total, {**parts, "signals": len(items), "at": at.isoformat(),
                             "half_life_days": HALF_LIFE_DAYS})


def part_points(evidence: Iterable[Evidence], at: datetime) -> tuple[float, dict[str, float]]:
    """``score(evidence, at)``'s total and the points of each part, without the reasons: what
    the resolve stage puts on every resolved record for every entity (the same sums in the same
    order, so the same figures; tested against ``score``)."""
    items, latest, decay = _weigh(evidence, at)
    weight = _weights()
    parts = {
        "partners": round(_corroboration(latest, decay), 3),
        "severity": round(sum(round(SEVERITY_POINTS.get(e.severity, 0.0) * decay(e.observed_at), 3)
                              for e in items), 3),
        "stages": round(sum(round(STAGE_POINTS * decay(t), 3)
                            for _, t in sorted(latest["stage"].items())), 3),
        "indicators": round(sum(round(INDICATOR_POINTS * weight(c) * decay(t), 3)
                                for c, t in sorted(latest["indicator"].items())), 3),
    }
    return round(sum(parts.values()), 3), parts


def _weigh(evidence: Iterable[Evidence], at: datetime
           ) -> tuple[list[Evidence], dict[str, dict[str, datetime]], Callable[[datetime], float]]:
    """The evidence counted (one per signal, its newest revision; oldest first), the time of the
    newest signal behind each partner, stage and indicator, and the decay at ``at``."""
    newest: dict[str, Evidence] = {}
    for item in evidence:  # one signal counts once (its newest revision's evidence)
        newest[item.signal_id] = item
    items = sorted(newest.values(), key=lambda e: (e.observed_at, e.signal_id))
    decays: dict[datetime, float] = {}

    def decay(when: datetime) -> float:
        if when not in decays:
            age_days = max((at - when).total_seconds(), 0.0) / 86_400
            decays[when] = float(0.5 ** (age_days / HALF_LIFE_DAYS))
        return decays[when]

    latest: dict[str, dict[str, datetime]] = {"partner": {}, "stage": {}, "indicator": {}}
    for item in items:  # ascending: the last write is the newest signal behind each key
        latest["partner"][item.partner] = item.observed_at
        for stage in item.barrier_stages:
            latest["stage"][stage] = item.observed_at
        for code in item.indicators:
            latest["indicator"][code] = item.observed_at
    return items, latest, decay


def _corroboration(latest: dict[str, dict[str, datetime]],
                   decay: Callable[[datetime], float]) -> float:
    """The first partner is the baseline; each further independent partner corroborates."""
    corroborating = sorted((decay(t) for t in latest["partner"].values()), reverse=True)[1:]
    return PARTNER_POINTS * sum(corroborating)


def _weights() -> Callable[[str], float]:
    known = catalogue()

    def weight(code: str) -> float:
        return known[code].weight if code in known else 0.0
    return weight


def _part(points: float | None, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """A part of the breakdown: its points (the sum of its reasons' points when not given)."""
    total = sum(r["points"] for r in reasons) if points is None else points
    return {"points": round(total, 3), "reasons": reasons}
