"""The declarative topic spec applied to the real broker: idempotent, reconciling, honest."""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from core.exceptions import TopicSpecError
from core.topics import TopicSpec, apply_topics
from policy.retention import topic_layout


def _config(admin: KafkaAdminClient, topic: str, key: str) -> str:
    answer = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)],
                                    config_filter="all")
    by_type = {str(k).lower(): v for k, v in answer.items()}
    return str(by_type["topic"][topic][key]["value"])


def _partitions(admin: KafkaAdminClient, topic: str) -> int:
    return len(admin.describe_topics([topic])[0]["partitions"])


def test_full_spec_applies_twice(admin: KafkaAdminClient, uid: str) -> None:
    layout = topic_layout(prefix=f"{uid}.")
    first = apply_topics(admin, layout.topics)
    second = apply_topics(admin, layout.topics)

    assert sorted(first.created) == sorted(t.name for t in layout.topics)
    assert second.created == [] and second.reconfigured == [] and second.partitions_added == []
    assert sorted(second.unchanged) == sorted(first.created)
    for spec in layout.topics:
        assert _partitions(admin, spec.name) == spec.partitions
        assert _config(admin, spec.name, "cleanup.policy") == spec.cleanup_policy
        if spec.retention_ms is not None:
            assert _config(admin, spec.name, "retention.ms") == str(spec.retention_ms)
    judgements = layout.judgements
    assert _config(admin, judgements, "cleanup.policy") == "compact"


def test_changed_spec_is_reconciled(admin: KafkaAdminClient, uid: str) -> None:
    name = f"{uid}.evolving"
    apply_topics(admin, [TopicSpec(name=name, partitions=2, retention_ms=3_600_000)])
    report = apply_topics(admin, [TopicSpec(name=name, partitions=4, retention_ms=7_200_000)])

    assert report.partitions_added == [name] and report.reconfigured == [name]
    assert _partitions(admin, name) == 4
    assert _config(admin, name, "retention.ms") == "7200000"


def test_fewer_partitions_than_exist_is_an_error(admin: KafkaAdminClient, uid: str) -> None:
    name = f"{uid}.shrink"
    apply_topics(admin, [TopicSpec(name=name, partitions=3)])
    with pytest.raises(TopicSpecError, match="cannot remove partitions") as caught:
        apply_topics(admin, [TopicSpec(name=name, partitions=1)])
    assert caught.value.topic == name
    assert _partitions(admin, name) == 3
