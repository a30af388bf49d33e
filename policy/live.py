"""The partner registry at run time: ``policy/partners.yaml`` plus the changes on the compacted
topic ``partners.registry``.

A change is a partner's full entry (key: the partner id) or a tombstone that returns the partner
to its entry in the file. ``LiveRegistry`` reads the topic from the start, keeps reading in a
thread (``core.topic_reader.FollowedTopic``) and swaps in a new immutable ``Registry`` per
change: every router, deliverer and CLI sees the same registry, and a change applies without a
restart to every signal taken after it was read (each delivery names the ``registry_version``
it was routed with).
"""

from __future__ import annotations

import json

import structlog

from core.publisher import Publisher
from core.settings import KafkaSettings, Settings
from core.topic_reader import FollowedTopic, Polled
from core.topics import TopicLayout
from policy.exceptions import ClearanceError
from policy.registry import PartnerEntry, Registry, load_registry, parse_entry

log = structlog.get_logger(__name__)


class LiveRegistry(FollowedTopic):
    """The current registry, kept up to date from ``partners.registry`` by a reader thread."""

    name = "registry"

    def __init__(self, kafka: KafkaSettings | str, topic: str, seed: Registry) -> None:
        super().__init__(kafka, topic, client_id="ketenlink-registry")
        self.seed = seed
        self._registry = seed

    @classmethod
    def open(cls, settings: Settings, layout: TopicLayout, seed: Registry | None = None,
             timeout_s: float = 30.0) -> LiveRegistry:
        """Read every change so far (up to ``timeout_s``), then follow the topic in a thread."""
        live = cls(settings.kafka, layout.registry, seed or load_registry())
        live.follow(timeout_s)
        return live

    def current(self) -> Registry:
        return self._registry

    def _apply(self, polled: Polled) -> None:
        for records in polled.values():
            for record in records:
                partner = (record.key or b"").decode("utf-8", "replace")
                version = record.offset + 1
                if record.value is None:
                    self._registry = self._registry.without(partner, self.seed, version)
                    log.info("registry.reset", partner=partner, version=version)
                    continue
                try:
                    entry = parse_entry(partner, json.loads(record.value), self.topic)
                except (ClearanceError, ValueError) as exc:  # a foreign writer: skip, loudly
                    log.error("registry.change_refused", partner=partner, offset=record.offset,
                              error=str(exc))
                    continue
                self._registry = self._registry.with_entry(entry, version)
                log.info("registry.changed", partner=partner, version=version)


def publish_change(publisher: Publisher, layout: TopicLayout, partner: str,
                   entry: PartnerEntry | None) -> int:
    """Write a partner's new entry (``None``: back to the file's) and return the registry
    version it becomes."""
    value = None if entry is None else json.dumps(entry.model_dump(mode="json")).encode()
    return publisher.publish(layout.registry, partner.encode(), value).offset + 1
