"""The hidden true world: the export window, the rings and the factory of innocent entities;
and its summary ``world.json``."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from generator import places
from generator.common import World
from generator.entities import Entity, Window, describe
from generator.factory import Factory
from generator.rings import build_ring, members

LATEST_END = date(2026, 6, 30)
WINDOW_DAYS = 730


def ring_count(signals: int) -> int:
    """More rings in bigger exports: 3 at the least, about sqrt(N)/4."""
    return max(3, math.isqrt(signals) // 4)


def build_world(rng: random.Random, signals: int, sink: Callable[[Entity], None]) -> World:
    """The window (two years ending at a seed-chosen day before mid 2026) and the rings; every
    ring entity goes to ``sink`` once, in its final state."""
    end = LATEST_END - timedelta(days=rng.randrange(120))
    window = Window(end - timedelta(days=WINDOW_DAYS - 1), end)
    factory = Factory(rng, end, sink)
    scale = 1 + signals // 100_000
    rings = [build_ring(rng, factory, window, i + 1, scale) for i in range(ring_count(signals))]
    for ring in rings:
        for entity in members(ring):
            sink(entity)
    return World(rng, window, factory, rings)


def summary(world: World) -> list[dict[str, Any]]:
    """The rings of ``world.json``: form, municipalities, the waterbed move and every member."""
    out = []
    for ring in world.rings:
        grouped: dict[str, list[dict[str, object]]] = {}
        roles = {p.id: role for p, role in zip(ring.suspects, ring.suspect_roles, strict=True)}
        for entity in members(ring):
            doc = describe(entity)
            if entity.id in roles:
                doc["rol_in_netwerk"] = roles[entity.id]
            grouped.setdefault(str(doc["type"]), []).append(doc)
        out.append({
            "id": ring.id, "uitbuitingsvorm": ring.form, "herkomst": ring.origin,
            "gemeente": places.MUNICIPALITIES[ring.home].name,
            "tweede_gemeente": places.MUNICIPALITIES[ring.second].name,
            "verplaatst_naar": places.MUNICIPALITIES[ring.moved_to].name if ring.moved_to is not None
            else None,
            "verplaatst_op": ring.move_date.isoformat() if ring.move_date else None,
            "gemeenten": [places.MUNICIPALITIES[m].name for m in ring.municipalities()],
            "kvk_mutaties": len(ring.kvk_events),
            "leden": grouped,
        })
    return out
