from __future__ import annotations

from pathlib import Path

import pytest

from core.exceptions import TopicSpecError
from core.topics import DAY_MS, TopicSpec, load_layout
from policy.retention import load_retention, topic_layout
from streams.app import changelog_topics


def test_shipped_spec_expands_partner_topics() -> None:
    layout = load_layout()
    names = {t.name for t in layout.topics}
    assert {f"signals.in.{p}" for p in layout.partners} <= names
    assert {layout.delivery(p) for p in layout.recipients} <= names
    assert layout.delivery("riec:den-haag") == "deliveries.riec.den-haag"  # no ':' in a topic
    assert layout.inbound_of("riec:den-haag") == "signals.in.riec"  # a kind shares its inbound
    assert layout.kind_of_inbound("signals.in.gemeente") == "gemeente"
    assert "deliveries.om" in names and "signals.in.om" not in names
    assert {"signals.rejected", "signals.resolved", "alerts.om", "audit.log"} <= names
    assert layout.inbound() == [f"signals.in.{p}" for p in layout.partners]
    assert "stichting-m" in layout.partners and "zorg" in layout.partners


def test_a_partner_switched_on_later_gets_a_delivery_topic_from_the_template() -> None:
    layout = load_layout(prefix="t1.")
    spec = layout.delivery_spec("gemeente:GM0772")
    listed = next(t for t in layout.topics if t.name == "t1.deliveries.om")
    assert spec.name == "t1.deliveries.gemeente.gm0772" and spec.name not in {t.name for t in layout.topics}
    assert spec.model_copy(update={"name": listed.name}) == listed  # same partitions, retention
    with pytest.raises(TopicSpecError):
        layout.delivery_spec("not a partner")


def test_prefix_isolates_every_topic() -> None:
    layout = load_layout(prefix="t123.")
    assert all(t.name.startswith("t123.") for t in layout.topics)
    assert layout.inbound_of("kvk") == "t123.signals.in.kvk"


def test_unknown_logical_topic_is_an_error() -> None:
    with pytest.raises(TopicSpecError, match="not in the topic spec"):
        load_layout().name("signals.nowhere")


def test_configs_follow_policy() -> None:
    compacted = TopicSpec(name="j", partitions=1, cleanup_policy="compact")
    assert compacted.configs() == {"cleanup.policy": "compact", "segment.ms": str(DAY_MS),
                                   "max.compaction.lag.ms": str(DAY_MS)}
    kept = TopicSpec(name="r", partitions=6, retention_ms=-1)
    assert kept.configs() == {"cleanup.policy": "delete", "retention.ms": "-1"}
    short = TopicSpec(name="s", partitions=1, retention_ms=3_600_000)
    assert short.configs()["segment.ms"] == "3600000"  # never longer than the retention
    explicit = TopicSpec(name="e", partitions=1, retention_ms=30 * DAY_MS, segment_ms=7_200_000)
    assert explicit.configs()["segment.ms"] == "7200000"


def test_every_topic_with_a_retention_rolls_segments_within_a_day() -> None:
    """Kafka deletes whole segments only: a record outlives retention.ms by up to segment.ms
    (7 days by default). With segment.ms <= min(retention, 1 day) it is gone within a day."""
    layout = topic_layout()
    policy = load_retention()
    by_name = {t.name: t for t in layout.topics}
    for topic in layout.topics:
        if topic.retention_ms is not None and topic.retention_ms > 0:
            assert topic.segment_ms is not None, topic.name
            assert topic.segment_ms <= min(topic.retention_ms, DAY_MS), topic.name
            assert topic.configs()["segment.ms"] == str(topic.segment_ms)
        elif "compact" in topic.cleanup_policy:
            assert topic.segment_ms == DAY_MS and topic.max_compaction_lag_ms == DAY_MS
        else:  # kept forever, not compacted: the broker's default is no risk
            assert topic.retention_ms == -1 and topic.segment_ms is None, topic.name
    # the inbound topics take theirs from the retention policy: 3 days of tips roll daily
    tips = by_name["signals.in.stichting-m"]
    assert tips.retention_ms == policy.inbound_retention_ms("stichting-m") == 3 * DAY_MS
    assert tips.configs()["segment.ms"] == str(DAY_MS)
    assert by_name["deliveries.riec"].segment_ms == DAY_MS
    assert by_name["suppressions"].cleanup_policy == "compact"


def test_the_workers_changelogs_compact_within_a_day() -> None:
    """Erased persons' profiles are deleted from the tables by tombstones; the old values go
    only when the segment holding them is compacted."""
    for spec in changelog_topics("app"):
        assert spec.configs()["segment.ms"] == str(DAY_MS)
        assert spec.configs()["max.compaction.lag.ms"] == str(DAY_MS)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(text)
    return path


def test_invalid_spec_names_the_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "partners: [kvk]\ntopics:\n  - name: bad\n    partitions: 0\n")
    with pytest.raises(TopicSpecError, match="partitions"):
        load_layout(path)


def test_bad_topic_name_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "partners: [kvk]\ntopics:\n  - name: 'has space'\n    partitions: 1\n")
    with pytest.raises(TopicSpecError, match="letters, digits"):
        load_layout(path)


def test_bad_partner_id_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "partners: ['KvK Den Haag']\ntopics: []\n")
    with pytest.raises(TopicSpecError, match="partner id"):
        load_layout(path)


def test_duplicate_topic_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "partners: [kvk]\ntopics:\n  - {name: a, partitions: 1}\n"
                            "  - {name: a, partitions: 2}\n")
    with pytest.raises(TopicSpecError, match="twice"):
        load_layout(path)
