"""kafka-python against the real broker: acks=all publish, consume, commit."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer

from core.exceptions import PublishError
from core.publisher import Publisher
from core.settings import Settings
from core.topics import TopicSpec, apply_topics


def _drain(consumer: KafkaConsumer, want: int, timeout: float = 30.0) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            got.extend(batch)
    return got


def test_publish_consume_commit_round_trip(admin: KafkaAdminClient, settings: Settings,
                                           uid: str) -> None:
    topic = f"{uid}.roundtrip"
    apply_topics(admin, [TopicSpec(name=topic, partitions=3)])
    records = [(f"partner-{i % 4}".encode(), f"signal-{i}".encode()) for i in range(40)]

    with Publisher(settings.kafka) as publisher:
        published = publisher.publish_many(topic, records)

    assert len(published) == 40
    assert all(p.topic == topic and p.offset >= 0 for p in published)
    # One key, one partition: what must be seen in order is on one partition.
    partitions_by_key: dict[bytes, set[int]] = {}
    for (key, _), where in zip(records, published, strict=True):
        partitions_by_key.setdefault(key, set()).add(where.partition)
    assert all(len(parts) == 1 for parts in partitions_by_key.values())

    kwargs = dict(bootstrap_servers=settings.kafka.bootstrap_servers, group_id=uid,
                  auto_offset_reset="earliest", enable_auto_commit=False)
    consumer = KafkaConsumer(topic, **kwargs)
    try:
        got = _drain(consumer, 40)
        consumer.commit()
    finally:
        consumer.close()
    assert sorted((r.key, r.value) for r in got) == sorted(records)
    for key in partitions_by_key:  # per-key order preserved
        sent = [v for k, v in records if k == key]
        assert [r.value for r in got if r.key == key] == sent

    again = KafkaConsumer(topic, **kwargs)
    try:
        assert _drain(again, 1, timeout=5.0) == []  # committed: nothing is delivered twice
    finally:
        again.close()


def test_publish_to_missing_topic_raises_naming_the_topic(settings: Settings, uid: str,
                                                          admin: KafkaAdminClient) -> None:
    topic = f"{uid}.does-not-exist"
    with Publisher(settings.kafka, max_block_ms=2000) as publisher, \
            pytest.raises(PublishError) as caught:
        publisher.publish(topic, b"k", b"v")
    assert caught.value.topic == topic
    assert topic in str(caught.value)
    assert topic not in admin.list_topics()  # the broker did not auto-create it
