"""The risk score: every point explained, corroboration, decay, one signal counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.resolve import Merge
from streams.risk import HALF_LIFE_DAYS, SEVERITY_POINTS, Evidence, part_points, score
from tests.resolved import resolve_docs
from tests.unit.schemas.signals import valid_doc

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _ev(signal_id: str, partner: str, severity: str = "low", days_old: float = 0,
        stages: tuple[str, ...] = (), indicators: tuple[str, ...] = ()) -> Evidence:
    return Evidence(signal_id, partner, T0 - timedelta(days=days_old), severity, stages,
                    indicators)


def test_the_breakdown_adds_up_and_names_its_reasons() -> None:
    result = score([_ev("a", "riec", "high", stages=("work",), indicators=("DEP-DEBT",)),
                    _ev("b", "kvk", "low", stages=("work", "housing"))], T0)
    parts = result.breakdown
    assert parts["partners"]["points"] == 3.0  # one partner beyond the first
    assert parts["severity"]["points"] == 5.0  # high 4 + low 1
    assert parts["stages"]["points"] == 3.0  # housing, work
    assert parts["indicators"]["points"] == 4.0  # 5 x weight 0.8
    assert result.score == 15.0 == sum(parts[k]["points"] for k in
                                       ("partners", "severity", "stages", "indicators"))
    assert [r["stage"] for r in parts["stages"]["reasons"]] == ["housing", "work"]
    assert parts["signals"] == 2


def test_recency_halves_every_half_life() -> None:
    fresh = score([_ev("a", "riec", "critical")], T0).score
    old = score([_ev("a", "riec", "critical", days_old=HALF_LIFE_DAYS)], T0).score
    assert old == pytest.approx(fresh / 2)


def test_more_signals_of_one_partner_do_not_count_as_corroboration() -> None:
    one = score([_ev("a", "riec"), _ev("b", "riec"), _ev("c", "riec")], T0)
    three = score([_ev("a", "riec"), _ev("b", "kvk"), _ev("c", "zorg")], T0)
    assert one.breakdown["partners"]["points"] == 0
    assert three.breakdown["partners"]["points"] == 6.0
    # a revision replaces its signal's evidence instead of adding to it
    assert score([_ev("a", "riec", "low"), _ev("a", "riec", "critical")], T0).score == 6.0
    assert score([], T0).score == 0.0


def _process(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    store: dict[str, Any] = {}
    return resolve_docs(docs, store), store


def test_the_stream_scores_every_entity_of_a_signal() -> None:
    (first, second), store = _process([valid_doc(partner="kvk", partner_ref="K-1"),
                                       valid_doc(partner_ref="R-1")])
    assert set(first["risk"]) == {e["entity_id"] for e in first["entities"]}
    business = next(e["entity_id"] for e in second["entities"] if e["type"] == "business")
    # the second partner on the same business: corroboration points appear
    assert first["risk"][business]["parts"]["partners"] == 0
    assert second["risk"][business]["parts"]["partners"] > 0
    assert second["risk"][business]["score"] > first["risk"][business]["score"]
    assert {e[0] for e in store[f"en:{business}"]["evidence"]} == \
        {first["signal_id"], second["signal_id"]}
    assert store[f"en:{business}"]["partners"] == ["kvk", "riec"]


def test_a_merge_hands_the_evidence_to_the_survivor() -> None:
    from streams.pipeline import _absorb

    store: dict[str, Any] = {
        "en:P-a": {"partners": ["riec"], "evidence": [_ev("s1", "riec").to_row()]},
        "en:P-b": {"partners": ["kvk"], "evidence": [_ev("s2", "kvk", days_old=1).to_row()]}}
    _absorb(store, Merge(merged="P-a", into="P-b", reason="test", record_id="r"))
    evidence = store["en:P-b"]["evidence"]
    assert [e[0] for e in evidence] == ["s2", "s1"]  # oldest first
    assert Evidence.from_row(evidence[1]) == _ev("s1", "riec")
    assert store["en:P-b"]["partners"] == ["kvk", "riec"]


_EVIDENCE = st.builds(
    _ev,
    signal_id=st.sampled_from(["a", "b", "c", "d", "e"]),
    partner=st.sampled_from(["riec", "kvk", "zorg", "stichting-m"]),
    severity=st.sampled_from([*SEVERITY_POINTS, "unknown"]),
    days_old=st.floats(min_value=-5, max_value=2000, allow_nan=False),
    stages=st.lists(st.sampled_from(["recruitment", "housing", "work", "finance"]),
                    max_size=3).map(tuple),
    indicators=st.lists(st.sampled_from(["DEP-DEBT", "DEP-HOUSING", "NOT-A-CODE"]),
                        max_size=3).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_EVIDENCE, max_size=25))
def test_the_stream_part_totals_are_the_full_scores_figures(evidence: list[Evidence]) -> None:
    full = score(evidence, T0)
    total, parts = part_points(evidence, T0)
    assert total == full.score
    assert parts == {k: v["points"] for k, v in full.breakdown.items() if isinstance(v, dict)}
