"""The gateway's safety net: a sensitive source's narrative is de-identified before publishing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from producers.deidentify import Deidentifier
from producers.gateway.payload import NARRATIVE_MAX, deidentify_narratives
from schemas.signal import Signal


def _signal(narrative: str | None, ref: str = "R-1") -> Signal:
    now = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    doc: dict[str, Any] = {"partner": "stichting-m", "partner_ref": ref, "observed_at": now,
                           "reported_at": now, "category": "labour", "severity": "low",
                           "distribution": "tlp:amber+strict", "purpose": "criminal-law",
                           "legal_basis": "Anonymous tip", "narrative": narrative}
    return Signal.model_validate(doc, strict=False)


def test_narratives_lose_the_writers_identity_and_nothing_else_changes() -> None:
    text = ("In de kassen werken mannen 14 uur per dag; de voorman belt met 06-12345678. "
            "Mijn naam is Joost Wolters, bel me op 06 8765 4321.")
    signals, changed = deidentify_narratives([_signal(text), _signal(None, "R-2")],
                                             Deidentifier())
    assert changed == 1
    narrative = signals[0].narrative or ""
    assert "Joost" not in narrative and "Wolters" not in narrative and "8765" not in narrative
    assert "06-12345678" in narrative and "14 uur per dag" in narrative
    assert signals[0].signal_id == _signal(text).signal_id and signals[1].narrative is None


def test_a_narrative_that_grows_past_the_limit_is_cut() -> None:
    text = ("Mijn naam is Bo Li. " + "Bo Li zag het. " * NARRATIVE_MAX)[:NARRATIVE_MAX]
    signals, changed = deidentify_narratives([_signal(text)], Deidentifier())
    narrative = signals[0].narrative or ""
    assert changed == 1 and len(narrative) == NARRATIVE_MAX and narrative.endswith("\u2026")
    assert "Bo Li" not in narrative


def test_the_sensitive_partners_come_from_the_registry() -> None:
    from policy.registry import load_registry
    from producers.gateway.app import GatewayState

    state = object.__new__(GatewayState)
    state.registry = load_registry()
    assert state.sensitive("stichting-m") and state.sensitive("zorg")
    assert not state.sensitive("riec") and not state.sensitive("kvk")
    assert state.sensitive("a-partner-the-registry-does-not-know")
