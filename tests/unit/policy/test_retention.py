"""The retention policy file and the pure expiry decision, boundaries included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.exceptions import TopicSpecError
from core.topics import apply_topics, load_layout
from policy.exceptions import RetentionPolicyError
from policy.registry import load_registry
from policy.retention import (
    DAY_MS,
    RetentionPolicy,
    SignalFacts,
    expires_at,
    is_expired,
    load_retention,
    topic_layout,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _facts(partner: str = "stichting-m", purpose: str = "criminal-law",
           reported: datetime = T0, observed: datetime | None = None,
           linked: bool = False) -> SignalFacts:
    return SignalFacts(partner, purpose, observed or reported - timedelta(days=30), reported,
                       linked)


@pytest.fixture
def policy() -> RetentionPolicy:
    return load_retention()


def test_an_anonymous_tip_lives_180_days_to_the_microsecond(policy: RetentionPolicy) -> None:
    tip = _facts()
    end = T0 + timedelta(days=180)
    assert expires_at(policy, tip) == end
    assert not is_expired(policy, tip, end - timedelta(microseconds=1))
    assert is_expired(policy, tip, end)
    assert is_expired(policy, tip, end + timedelta(days=1))


def test_the_same_instant_in_another_zone_decides_the_same(policy: RetentionPolicy) -> None:
    amsterdam = timezone(timedelta(hours=1))
    tip = _facts(reported=T0.astimezone(amsterdam))
    end = (T0 + timedelta(days=180)).astimezone(amsterdam)
    assert is_expired(policy, tip, end)
    assert not is_expired(policy, tip, end - timedelta(seconds=1))


def test_an_alerts_evidence_never_expires(policy: RetentionPolicy) -> None:
    tip = _facts(linked=True)
    assert expires_at(policy, tip) is None
    assert not is_expired(policy, tip, T0 + timedelta(days=100 * 365))


@pytest.mark.parametrize(("partner", "purpose", "days"), [
    ("zorg", "care", 365), ("zorg", "prevention", 180), ("zorg", "administrative", 365),
    ("riec", "criminal-law", 1825), ("riec", "administrative", 1095),
    ("riec", "prevention", 365), ("kvk", "administrative", 1095), ("kvk", "prevention", 365),
    ("stichting-m", "care", 180), ("gemeente-nowhere", "administrative", 365)])
def test_each_partner_and_purpose_has_its_days(policy: RetentionPolicy, partner: str,
                                               purpose: str, days: int) -> None:
    signal = _facts(partner, purpose)
    assert not is_expired(policy, signal, T0 + timedelta(days=days) - timedelta(seconds=1))
    assert is_expired(policy, signal, T0 + timedelta(days=days))


def test_the_clock_starts_at_reported_at_unless_the_file_says_observed_at(
        policy: RetentionPolicy) -> None:
    backfill = _facts(reported=T0, observed=T0 - timedelta(days=3000))
    assert not is_expired(policy, backfill, T0 + timedelta(days=1))
    by_observation = policy.model_copy(update={"counted_from": "observed_at"})
    assert is_expired(by_observation, backfill, T0 + timedelta(days=1))


def test_times_without_a_zone_are_refused(policy: RetentionPolicy) -> None:
    with pytest.raises(ValueError, match="time zone"):
        is_expired(policy, _facts(), datetime(2027, 1, 1))
    with pytest.raises(ValueError, match="time zone"):
        expires_at(policy, _facts(reported=datetime(2026, 1, 1)))


def test_every_publishing_partner_has_its_own_rule_and_every_rule_a_known_partner(
        policy: RetentionPolicy) -> None:
    registry = load_registry()
    publishers = set(load_layout().partners)
    assert publishers <= set(policy.partners)
    assert set(policy.partners) <= set(registry.entries) | set(registry.kinds)


def test_inbound_topics_take_their_retention_from_the_policy(policy: RetentionPolicy) -> None:
    layout = topic_layout(prefix="x.")
    retention = {t.name: t.retention_ms for t in layout.topics if ".signals.in." in t.name}
    assert retention == {f"x.signals.in.{p}": policy.rule(p).inbound_days * DAY_MS
                         for p in layout.partners}
    assert retention["x.signals.in.stichting-m"] == 3 * DAY_MS


def test_a_layout_loaded_only_to_name_topics_cannot_be_applied() -> None:
    """``load_layout`` without the policy marks the inbound topics; ``apply_topics`` refuses
    them before it talks to any broker, so no partner's retention is silently reset."""
    naming = load_layout()
    marked = [t for t in naming.topics if t.retention_from_policy]
    assert {t.name for t in marked} == set(naming.inbound())
    with pytest.raises(TopicSpecError, match="retention policy"):
        apply_topics(None, marked)  # type: ignore[arg-type]  # refused before any admin call
    assert not any(t.retention_from_policy for t in topic_layout().topics)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "retention.yaml"
    path.write_text(text)
    return path


def test_a_raw_record_may_not_outlive_its_signal(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: x\ndefault: {inbound_days: 7, days: 30}\npartners:\n"
                            "  zorg: {inbound_days: 14, days: 365, purposes: {prevention: 10}}\n")
    with pytest.raises(RetentionPolicyError, match=r"partners\.zorg.*outlive its signal"):
        load_retention(path)


@pytest.mark.parametrize("text", [
    "version: x\ndefault: {inbound_days: 0, days: 30}\n",
    "version: x\ndefault: {inbound_days: 1, days: 30, purposes: {leisure: 3}}\n",
    "version: ''\ndefault: {inbound_days: 1, days: 30}\n",
    "version: x\ndefault: {inbound_days: 1, days: 30}\ncounted_from: received\n",
    "version: x\n",
    "version: [x\n",
])
def test_a_malformed_file_names_the_problem(tmp_path: Path, text: str) -> None:
    with pytest.raises(RetentionPolicyError, match=r"retention\.yaml"):
        load_retention(_write(tmp_path, text))


def test_retention_from_policy_only_on_partner_topics(tmp_path: Path) -> None:
    spec = tmp_path / "topics.yaml"
    spec.write_text("partners: [kvk]\ntopics:\n  - name: audit.log\n    partitions: 1\n"
                    "    retention_from_policy: true\n")
    with pytest.raises(TopicSpecError, match="needs a \\{partner\\} topic"):
        load_layout(spec)
