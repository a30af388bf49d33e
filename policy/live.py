"""The partner registry at run time: ``policy/partners.yaml`` plus the changes on the compacted
topic ``partners.registry``.

A change is a partner's full entry (key: the partner id) or a tombstone that returns the partner
to its entry in the file. ``LiveRegistry`` reads the topic from the start, keeps reading in a
thread and swaps in a new immutable ``Registry`` per change: every router, deliverer and CLI
sees the same registry, and a change applies without a restart to every signal taken after it
was read (each delivery names the ``registry_version`` it was routed with).
"""

from __future__ import annotations

import json
import threading
import time
from types import TracebackType

import structlog
from kafka import KafkaConsumer, TopicPartition

from core.kafka_clients import client_options
from core.publisher import Publisher
from core.settings import KafkaSettings, Settings
from core.topics import TopicLayout
from policy.exceptions import ClearanceError
from policy.registry import PartnerEntry, Registry, load_registry, parse_entry

log = structlog.get_logger(__name__)

POLL_MS = 100


class LiveRegistry:
    """The current registry, kept up to date from ``partners.registry`` by a reader thread."""

    def __init__(self, kafka: KafkaSettings | str, topic: str, seed: Registry) -> None:
        self.topic, self.seed = topic, seed
        self._registry = seed
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(**client_options(kafka), group_id=None,
                                       enable_auto_commit=False, client_id="ketenlink-registry")
        self._partition = TopicPartition(topic, 0)
        self._consumer.assign([self._partition])
        self._consumer.seek_to_beginning(self._partition)
        self._thread: threading.Thread | None = None

    @classmethod
    def open(cls, settings: Settings, layout: TopicLayout, seed: Registry | None = None,
             timeout_s: float = 30.0) -> LiveRegistry:
        """Read every change so far (up to ``timeout_s``), then follow the topic in a thread."""
        live = cls(settings.kafka, layout.registry,
                   seed or load_registry())
        live.catch_up(timeout_s)
        live._thread = threading.Thread(target=live._follow, name="registry", daemon=True)
        live._thread.start()
        return live

    def current(self) -> Registry:
        return self._registry

    def catch_up(self, timeout_s: float) -> None:
        """Apply every change up to the topic's end offset at call time."""
        end = self._consumer.end_offsets([self._partition])[self._partition]
        deadline = time.monotonic() + timeout_s
        while self._consumer.position(self._partition) < end:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.topic}: registry not read to offset {end} "
                                   f"in {timeout_s} s")
            self._apply(self._consumer.poll(timeout_ms=POLL_MS))

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                self._apply(self._consumer.poll(timeout_ms=POLL_MS))
            except Exception as exc:  # keep the last good registry; say why, try again
                log.error("registry.read_failed", topic=self.topic, error=repr(exc))
                time.sleep(1.0)

    def _apply(self, polled: dict[TopicPartition, list]) -> None:  # type: ignore[type-arg]
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

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._consumer.close()

    def __enter__(self) -> LiveRegistry:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def publish_change(publisher: Publisher, layout: TopicLayout, partner: str,
                   entry: PartnerEntry | None) -> int:
    """Write a partner's new entry (``None``: back to the file's) and return the registry
    version it becomes."""
    value = None if entry is None else json.dumps(entry.model_dump(mode="json")).encode()
    return publisher.publish(layout.registry, partner.encode(), value).offset + 1
