from __future__ import annotations

from pathlib import Path

import pytest

from infra.exceptions import TopicSpecError
from infra.topics import TopicSpec, load_layout


def test_shipped_spec_expands_partner_topics() -> None:
    layout = load_layout()
    names = {t.name for t in layout.topics}
    assert {f"signals.in.{p}" for p in layout.partners} <= names
    assert {f"deliveries.{p}" for p in layout.recipients} <= names
    assert "deliveries.om" in names and "signals.in.om" not in names
    assert {"signals.rejected", "signals.resolved", "alerts.om", "audit.log"} <= names
    assert layout.inbound() == [f"signals.in.{p}" for p in layout.partners]
    assert "stichting-m" in layout.partners and "zorg" in layout.partners


def test_prefix_isolates_every_topic() -> None:
    layout = load_layout(prefix="t123.")
    assert all(t.name.startswith("t123.") for t in layout.topics)
    assert layout.name("signals.in.{partner}", "kvk") == "t123.signals.in.kvk"


def test_unknown_logical_topic_is_an_error() -> None:
    with pytest.raises(TopicSpecError, match="not in the topic spec"):
        load_layout().name("signals.nowhere")


def test_configs_follow_policy() -> None:
    compacted = TopicSpec(name="j", partitions=1, cleanup_policy="compact")
    assert compacted.configs() == {"cleanup.policy": "compact"}
    kept = TopicSpec(name="r", partitions=6, retention_ms=-1)
    assert kept.configs() == {"cleanup.policy": "delete", "retention.ms": "-1"}


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
