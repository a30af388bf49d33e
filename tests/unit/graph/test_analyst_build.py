"""Signal nodes into analyst results: only the fields the caller may see."""

from __future__ import annotations

from datetime import UTC, datetime

from graph.analyst.build import signal_summary
from policy.view import ALWAYS, FIELDS

NODE = {"signal_id": "s-1", "partner_id": "stichting-m", "partner_ref": "M-2024-000016",
        "revision": 3, "observed_at": datetime(2026, 2, 1, 9, tzinfo=UTC), "category": "labour",
        "severity": "high", "distribution": "tlp:amber", "purpose": "criminal-law",
        "indicators": ["DEP-HOUSING"], "barrier_stages": ["housing"],
        "corroborated_by": ["riec", "zorg"]}


def test_a_summary_shows_partner_ref_only_when_the_fields_allow_it() -> None:
    hidden = signal_summary(NODE, frozenset(ALWAYS))
    assert hidden.partner_ref is None
    assert (hidden.signal_id, hidden.partner_id, hidden.revision, hidden.severity) == \
        ("s-1", "stichting-m", 3, "high")
    assert hidden.indicators == ("DEP-HOUSING",) and hidden.barrier_stages == ("housing",)
    assert "M-2024-000016" not in str(hidden.to_json())
    assert signal_summary(NODE, frozenset(FIELDS)).partner_ref == "M-2024-000016"


def test_a_summary_never_names_corroborating_partners() -> None:
    assert "zorg" not in str(signal_summary(NODE, frozenset(FIELDS)).to_json())
