"""``core.topic_reader`` on the real broker, where the views built on it do not reach: a missing
topic, a topic not read in time, a record written after catching up."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient

from core.audit_verify import topic_entries
from core.exceptions import TopicBehindError, TopicMissingError
from core.publisher import Publisher
from core.settings import Settings
from core.topic_reader import FollowedTopic, Polled, read_to_end
from core.topics import TopicLayout
from graph.erasure import entities_with_identifier
from graph.exceptions import ErasureInputError
from policy.exceptions import SuppressionError
from policy.suppression import Suppressions


class _Keys(FollowedTopic):
    name = "test-keys"

    def __init__(self, settings: Settings, topic: str) -> None:
        super().__init__(settings.kafka, topic, client_id="ketenlink-test-keys")
        self.keys: list[bytes] = []

    def _apply(self, polled: Polled) -> None:
        self.keys.extend(record.key for records in polled.values() for record in records)


def test_a_missing_topic_is_named(settings: Settings, admin: KafkaAdminClient, uid: str) -> None:
    missing = f"{uid}.missing"
    with pytest.raises(TopicMissingError):
        next(read_to_end(settings.kafka, missing))
    assert list(topic_entries(settings.kafka, missing)) == []
    with pytest.raises(ErasureInputError, match="does not exist"):
        entities_with_identifier(settings.kafka, missing, "ps1:00")
    with Suppressions(settings.kafka, missing) as view, \
            pytest.raises(SuppressionError, match="does not exist"):
        view.catch_up(5)


def test_read_to_end_then_follow(settings: Settings, layout: TopicLayout) -> None:
    topic = layout.suppressions
    with Publisher(settings.kafka) as publisher:
        publisher.publish_many(topic, [(f"k{i}".encode(), b"1") for i in range(3)])
        assert [r.key for r in read_to_end(settings.kafka, topic)] == [b"k0", b"k1", b"k2"]
        with _Keys(settings, topic) as late, pytest.raises(TopicBehindError):
            late.catch_up(-1)  # the deadline passed before the first poll
        with _Keys(settings, topic) as keys:
            keys.follow(30)
            assert keys.keys == [b"k0", b"k1", b"k2"]
            publisher.publish(topic, b"k3", b"1")
            deadline = time.monotonic() + 10
            while len(keys.keys) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert keys.keys == [b"k0", b"k1", b"k2", b"k3"]
