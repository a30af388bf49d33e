"""Sightings and entity facts to vary in the alert unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.rules import EntityFacts, Sighting

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)


def sighting(signal_id: str, partner: str, day: int = 0, severity: str = "low", *,
             role: str = "suspect", distribution: str = "tlp:amber",
             purpose: str = "administrative", revision: int = 1) -> Sighting:
    return Sighting(signal_id=signal_id, revision=revision, partner=partner,
                    observed_at=T0 + timedelta(days=day), severity=severity, category="labour",
                    distribution=distribution, purpose=purpose, roles=(role,),
                    barrier_stages=("work",), indicators=("DEP-HOUSING",))


def person(entity_id: str, *sightings: Sighting) -> EntityFacts:
    return EntityFacts(entity_id, "Person", tuple(sightings))
