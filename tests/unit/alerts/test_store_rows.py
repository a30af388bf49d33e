"""Rows read from the graph that the sink did not write are skipped, not fatal."""

from __future__ import annotations

from datetime import UTC

from neo4j.time import DateTime

from alerts.store import _sighting


def test_a_signal_without_an_observed_time_is_not_evidence() -> None:
    row = {"signal_id": "s1", "revision": 1, "partner_id": "riec", "severity": "high",
           "category": "labour", "distribution": "tlp:amber", "purpose": "administrative"}
    when = DateTime(2026, 1, 2, tzinfo=UTC)  # what the sink writes: a zoned datetime
    assert _sighting({**row, "observed_at": when}) is not None
    assert _sighting(row) is None
    assert _sighting({**row, "observed_at": "2026-01-02T00:00:00+01:00"}) is None  # a string
    assert _sighting({**row, "observed_at": when, "partner_id": None}) is None
