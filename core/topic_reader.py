"""Reading a topic from offset 0: once to its end (``read_to_end``), or to its end and then on in
a thread (``FollowedTopic``: the base of the views of compacted topics a process keeps current,
``policy.suppression.Suppressions`` and ``policy.live.LiveRegistry``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import structlog
from kafka import KafkaConsumer, TopicPartition

from core.closing import Closing
from core.exceptions import TopicBehindError, TopicMissingError
from core.kafka_clients import client_options
from core.settings import KafkaSettings

log = structlog.get_logger(__name__)

POLL_MS = 100
"""How long one poll of a followed topic waits for records."""

Polled = Mapping[TopicPartition, Sequence[Any]]
"""What one poll returns: the records (``ConsumerRecord``) of each partition."""


def read_to_end(kafka: KafkaSettings | str, topic: str, poll_ms: int = 1000) -> Iterator[Any]:
    """Every record (``ConsumerRecord``) of every partition of ``topic`` from offset 0 to the end
    offsets at call time, in the order polled; ``TopicMissingError`` when there is no such
    topic (raised on the first ``next``)."""
    consumer = KafkaConsumer(**client_options(kafka), enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            raise TopicMissingError(topic)
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for tp, records in consumer.poll(timeout_ms=poll_ms).items():
                yield from (record for record in records if record.offset < ends[tp])
    finally:
        consumer.close()


class FollowedTopic(Closing):
    """Partition 0 of a topic, read from offset 0: to its end offset by ``catch_up``, then on in
    a daemon thread (``follow``). The records of each poll go to ``_apply``, which a subclass
    defines. A poll that fails in the thread is logged and tried again a second later; what was
    applied stays. Use it as a context manager: ``close`` stops the thread and the consumer."""

    name = "topic"
    """Names the thread and the log event of a failed poll (``<name>.read_failed``)."""

    def __init__(self, kafka: KafkaSettings | str, topic: str, client_id: str) -> None:
        self.topic = topic
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(**client_options(kafka), group_id=None,
                                       enable_auto_commit=False, client_id=client_id)
        self._partition = TopicPartition(topic, 0)
        self._consumer.assign([self._partition])
        self._consumer.seek_to_beginning(self._partition)
        self._thread: threading.Thread | None = None

    def _apply(self, polled: Polled) -> None:
        raise NotImplementedError

    def exists(self) -> bool:
        return bool(self._consumer.partitions_for_topic(self.topic))

    def catch_up(self, timeout_s: float) -> None:
        """Apply every record up to the topic's end offset at call time; ``TopicBehindError``
        (a ``TimeoutError``) when that takes longer than ``timeout_s``."""
        end = self._consumer.end_offsets([self._partition])[self._partition]
        deadline = time.monotonic() + timeout_s
        while self._consumer.position(self._partition) < end:
            if time.monotonic() > deadline:
                raise TopicBehindError(self.topic, end, timeout_s)
            self._apply(self._consumer.poll(timeout_ms=POLL_MS))

    def follow(self, timeout_s: float) -> None:
        """``catch_up``, then keep applying in a thread; closed when catching up fails."""
        try:
            self.catch_up(timeout_s)
        except Exception:
            self.close()
            raise
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._apply(self._consumer.poll(timeout_ms=POLL_MS))
            except Exception as exc:  # keep what was applied; say why, try again
                log.error(f"{self.name}.read_failed", topic=self.topic, error=repr(exc))
                time.sleep(1.0)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._consumer.close()
