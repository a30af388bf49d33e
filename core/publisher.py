"""A Kafka publisher whose every send is confirmed by the broker before it counts as published."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from kafka import KafkaProducer
from kafka.errors import KafkaError

from core.closing import Closing
from core.exceptions import PublishError
from core.kafka_clients import client_options
from core.settings import KafkaSettings

log = structlog.get_logger(__name__)

SEND_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Published:
    """Where the broker stored a record."""

    topic: str
    partition: int
    offset: int


class Publisher(Closing):
    """kafka-python producer with ``acks=all`` and idempotence; use it as a context manager.

    ``publish_many`` sends a batch and then waits for every acknowledgement, so a batch
    is as fast as the broker allows while no unacknowledged record is ever reported.
    """

    def __init__(self, settings: KafkaSettings, client_id: str = "ketenlink-publisher",
                 max_block_ms: int = 15_000) -> None:
        self._producer = KafkaProducer(
            max_block_ms=max_block_ms,
            **client_options(settings),
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            compression_type="gzip",
        )

    def publish(self, topic: str, key: bytes | None, value: bytes | None) -> Published:
        """Send one record (``value=None``: a tombstone) and wait for the broker's
        acknowledgement."""
        return self.publish_many(topic, [(key, value)])[0]

    def publish_many(self, topic: str, records: Iterable[tuple[bytes | None, bytes | None]]
                     ) -> list[Published]:
        """Send records in order and wait for all acknowledgements; raise on the first failure."""
        futures = []
        for key, value in records:
            try:
                futures.append((key, self._producer.send(topic, key=key, value=value)))
            except KafkaError as exc:  # e.g. no metadata for the topic within max_block_ms
                raise self._failed(topic, key, exc) from exc
        self._producer.flush(timeout=SEND_TIMEOUT_S)
        published = []
        for key, future in futures:
            try:
                meta = future.get(timeout=SEND_TIMEOUT_S)
            except KafkaError as exc:
                raise self._failed(topic, key, exc) from exc
            published.append(Published(meta.topic, meta.partition, meta.offset))
        return published

    @staticmethod
    def _failed(topic: str, key: bytes | None, exc: KafkaError) -> PublishError:
        log.error("publish.failed", topic=topic, key=key, error=repr(exc))
        return PublishError(topic, key, exc)

    def close(self) -> None:
        self._producer.close(timeout=SEND_TIMEOUT_S)
