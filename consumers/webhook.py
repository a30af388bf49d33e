"""``ketenlink deliver``: each partner's routed signals, POSTed to its webhook.

For every partner whose registry entry has a ``webhook`` (and a delivery topic, and a secret),
one ``PartnerWorker`` thread owns one Kafka consumer on ``deliveries.<partner>`` (group
``<prefix>-deliver-<partner>``) and one HTTP client. It takes one record at a time and POSTs its
value unchanged, signed (``consumers.webhook_sign``), retrying with backoff
(``consumers.webhook_retry``). The record's offset is committed only after a 2xx, or after its
dead letter on ``deliveries.dead`` was acknowledged by Kafka; so records of a partition are
delivered in offset order, and nothing is lost: a crash or a stop mid-delivery delivers the
record again, with the same ``X-Ketenlink-Delivery`` id.

Partners never wait for each other: each has its own thread, consumer and connection pool.

The consumer is assigned all partitions of its topic instead of joining the group: the group id
only stores committed offsets. Nothing to rebalance, so a backoff of any length cannot cost the
worker its partitions, and kafka-python 3.0.12's join bug cannot strike (a rejoin whose
JoinGroup outlives a short ``poll()`` is never completed: the partitions stay "pending
revocation" for good, nothing is fetched, every commit fails with RebalanceInProgressError —
seen in this module's integration tests before the switch). The price: one active deliverer
per partner; a second process would deliver everything again (same delivery ids) instead of
sharing partitions.

The ``Deliverer`` supervises the workers: every ``registry_check_s`` it reads the registry
(a callable: the file, or the run-time registry) and the secrets file, starts workers for new
webhooks, stops those whose webhook was removed or changed (a changed URL or attempt limit
restarts the worker, which resumes at the committed offset), and restarts a worker that died.
A webhook without a secret or without a delivery topic is logged as an error (once, until it
changes) and skipped; the other partners go on.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import structlog
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from consumers.exceptions import MissingWebhookSecretError, WebhookSecretError
from consumers.webhook_retry import Attempt, Outcome, RetryPolicy, Verdict, post_with_retries
from consumers.webhook_secrets import SecretStore
from core.exceptions import PublishError
from core.kafka_clients import client_options
from core.partner_ids import partner_instance
from core.publisher import Publisher
from core.settings import KafkaSettings, WebhookSettings
from core.topics import TopicLayout
from policy.registry import Registry, Webhook
from policy.suppression import EMPTY, SuppressionView
from schemas.contract import parse
from schemas.delivery import DeliveryHeader

__all__ = ["Deliverer", "DeliveryStats", "PartnerWorker", "dead_letter", "delivery_id_of", "public_url"]

log = structlog.get_logger(__name__)

USER_AGENT = "ketenlink-deliver/1"
POLL_MS = 200
COMMIT_TIMEOUT_MS = 30_000
STOP_GRACE_S = 5.0


@dataclass
class DeliveryStats:
    """What the workers did (summed over every worker a partner had)."""

    delivered: int = 0
    dead_lettered: int = 0
    retries: int = 0
    interrupted: int = 0
    suppressed: int = 0
    """Copies of a purged or erased signal not sent (``policy.suppression``)."""

    def add(self, other: DeliveryStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def public_url(url: str) -> str:
    """The URL without credentials, query or fragment: what logs and dead letters show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def delivery_id_of(value: bytes | None) -> str:
    """The ``delivery_id`` of a delivery record's JSON value (``schemas.delivery.DeliveryHeader``:
    the rest is POSTed as it is); ``ValueError`` when there is none."""
    delivery_id = parse(DeliveryHeader, value).delivery_id
    if not delivery_id.isascii() or not delivery_id.isprintable():  # an HTTP header
        raise ValueError("the value has no usable 'delivery_id'")
    return delivery_id


def dead_letter(record: ConsumerRecord, recipient: str, delivery_id: str | None, url: str,
                reason: str, attempts: int, last_status: int | None, last_error: str,
                now: datetime) -> bytes:
    """The JSON value of a dead letter on ``deliveries.dead`` (key: the recipient)."""
    key = record.key.decode("utf-8", "replace") if record.key is not None else None
    return json.dumps({
        "recipient": recipient, "delivery_id": delivery_id, "reason": reason,
        "source_topic": record.topic, "source_partition": record.partition,
        "source_offset": record.offset, "source_key": key, "url": public_url(url),
        "attempts": attempts, "last_status": last_status, "last_error": last_error,
        "original_base64": base64.b64encode(record.value or b"").decode(),
        "dead_lettered_at": now.isoformat(),
    }, separators=(",", ":")).encode()


@dataclass
class _Wiring:
    """What every worker shares."""

    kafka: KafkaSettings
    hooks: WebhookSettings
    secrets: SecretStore
    dead_letters: Publisher
    dead_topic: str
    clock: Callable[[], float] = time.time
    suppressions: SuppressionView = EMPTY


class PartnerWorker:
    """One partner's delivery loop in a thread of its own.

    The consumer is *assigned* every partition of the delivery topic (the spec's count, then
    the broker's; no group membership, so no rebalances: the group id only keeps the committed
    offsets). One active deliverer per
    partner is the deployment: a second one would deliver every record again (same delivery
    ids), not share the work.
    """

    def __init__(self, partner: str, webhook: Webhook, topic: str, partitions: int,
                 group_id: str, wiring: _Wiring) -> None:
        self.partner, self.webhook, self.topic, self.group_id = partner, webhook, topic, group_id
        self.partitions = partitions
        self._missing_logged = False
        self._w = wiring
        self.stats = DeliveryStats()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._rng = random.Random()
        self._policy = RetryPolicy(webhook.max_attempts, wiring.hooks.backoff_base_s,
                                   wiring.hooks.backoff_max_s, wiring.hooks.backoff_jitter)
        self._log = log.bind(partner=partner, url=public_url(webhook.url))
        self._thread = threading.Thread(target=self._run, name=f"deliver-{partner}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        self._log.info("webhook.worker_started", topic=self.topic, group=self.group_id)
        try:
            self._loop()
        except Exception as exc:
            self.error = exc
            self._log.error("webhook.worker_failed", error=f"{type(exc).__name__}: {exc}",
                            exc_info=not isinstance(exc, MissingWebhookSecretError | KafkaError))
        else:
            self._log.info("webhook.worker_stopped", **vars(self.stats))

    def _loop(self) -> None:
        consumer = KafkaConsumer(
            **client_options(self._w.kafka), group_id=self.group_id,
            client_id=f"ketenlink-deliver-{self.partner}", enable_auto_commit=False,
            auto_offset_reset="earliest")
        try:
            # the spec's partitions at once (asking the broker first would fetch the metadata of
            # every topic in the cluster); checked against the broker's below
            consumer.assign([TopicPartition(self.topic, p) for p in range(self.partitions)])
            checked = time.monotonic()
            with httpx.Client(timeout=self._w.hooks.request_timeout_s, follow_redirects=False,
                              headers={"User-Agent": USER_AGENT}) as client:
                while not self._stop.is_set():
                    polled = consumer.poll(timeout_ms=POLL_MS, max_records=1)
                    for record in (r for batch in polled.values() for r in batch):
                        if self._stop.is_set():  # retired meanwhile: leave it uncommitted
                            break
                        self._handle(consumer, client, record)
                    if time.monotonic() - checked > self._w.hooks.registry_check_s:
                        self._check_partitions(consumer)
                        checked = time.monotonic()
        finally:
            consumer.close(autocommit=False)

    def _check_partitions(self, consumer: KafkaConsumer) -> None:
        """Follow the topic's partitions as the broker has them (more after a grow; a missing
        topic is logged once). Runs between records only, so a (re)assigned partition resumes
        exactly at its committed offset."""
        actual = {TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic)}
        if not actual:
            if not self._missing_logged:
                self._log.error("webhook.topic_missing", topic=self.topic,
                                hint="`ketenlink stack up` applies the topic spec")
                self._missing_logged = True
            return
        self._missing_logged = False
        if actual != consumer.assignment():
            consumer.assign(sorted(actual))
            self._log.info("webhook.partitions_changed", partitions=len(actual))

    def _handle(self, consumer: KafkaConsumer, client: httpx.Client,
                record: ConsumerRecord) -> None:
        delivery_id: str | None = None
        try:
            found = delivery_id_of(record.value)
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError included
            bound = self._log.bind(delivery_id=None, partition=record.partition,
                                   offset=record.offset)
            bound.error("webhook.not_a_delivery", error=str(exc))
            outcome: Outcome | None = Outcome(
                "permanent", 0, Attempt(Verdict.PERMANENT, None, f"not a delivery: {exc}"))
        else:
            delivery_id = found
            bound = self._log.bind(delivery_id=found, partition=record.partition,
                                   offset=record.offset)
            body = self._unsuppressed(record.value)
            if body is None:  # made before an erasure or purge: never sent after it
                self.stats.suppressed += 1
                bound.info("webhook.suppressed")
                self._commit(consumer, record, bound)
                return
            outcome = post_with_retries(
                client, self.webhook.url, body, found, self._secret, self._policy,
                self._wait, self._w.clock, bound, self._rng)
            if outcome is not None:
                self.stats.retries += outcome.attempts - 1
        if outcome is None or not self._finish(consumer, record, delivery_id, bound, outcome):
            # stopped: not committed, so the next run delivers it again (same delivery id)
            self.stats.interrupted += 1
            bound.info("webhook.interrupted")

    def _finish(self, consumer: KafkaConsumer, record: ConsumerRecord, delivery_id: str | None,
                bound: Any, outcome: Outcome) -> bool:
        """Dead-letter a failed delivery (until Kafka acknowledges it), then commit. False when
        stopped before the dead letter was written."""
        if not outcome.delivered:
            if not self._dead_letter(record, delivery_id, bound, outcome):
                return False
            self.stats.dead_lettered += 1
        else:
            self.stats.delivered += 1
        self._commit(consumer, record, bound)
        return True

    def _unsuppressed(self, value: bytes) -> bytes | None:
        """The body to POST: the record's value, or without an erased person, or None when its
        signal is suppressed. A copy that is not a full delivery is sent as it is."""
        suppressed = self._w.suppressions.current()
        if not suppressed:
            return value
        doc = json.loads(value)
        try:
            kept = suppressed.delivery(doc)
        except (KeyError, TypeError, AttributeError):
            return value
        if kept is None:
            return None
        return value if kept is doc else json.dumps(kept, separators=(",", ":")).encode()

    def _commit(self, consumer: KafkaConsumer, record: ConsumerRecord, bound: Any) -> None:
        tp = TopicPartition(record.topic, record.partition)
        try:
            consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "", -1)},
                            timeout_ms=COMMIT_TIMEOUT_MS)
        except KafkaError as exc:
            bound.error("webhook.commit_failed", error=repr(exc),
                        consequence="delivered again after a restart unless a later commit "
                                    "covers it")

    def _dead_letter(self, record: ConsumerRecord, delivery_id: str | None, bound: Any,
                     outcome: Outcome) -> bool:
        """Publish the dead letter, retrying until Kafka acknowledges it; False when stopped."""
        value = dead_letter(record, self.partner, delivery_id, self.webhook.url, outcome.result,
                            outcome.attempts, outcome.last.status, outcome.last.error,
                            datetime.fromtimestamp(self._w.clock(), UTC))
        failures = 0
        while True:
            try:
                where = self._w.dead_letters.publish(self._w.dead_topic,
                                                     self.partner.encode(), value)
            except (PublishError, KafkaError) as exc:
                failures += 1
                delay = self._policy.delay(failures, outcome.last, self._rng)
                bound.error("webhook.dead_letter_failed", error=str(exc), retry_in_s=delay)
                if not self._wait(delay):
                    return False
                continue
            bound.error("webhook.dead_lettered", reason=outcome.result, attempts=outcome.attempts,
                        status=outcome.last.status, error=outcome.last.error,
                        dead_letter=f"{where.topic}[{where.partition}]@{where.offset}")
            return True

    def _secret(self) -> str:
        secret = self._w.secrets.get(self.partner)
        if secret is None:
            raise MissingWebhookSecretError(self.partner, self._w.secrets.path)
        return secret

    def _wait(self, delay: float) -> bool:
        """Sleep between attempts; False when stopped meanwhile. No group membership to keep
        alive, so nothing needs polling."""
        return not self._stop.wait(delay)


@dataclass
class _Problems:
    """Per-partner configuration problems, logged when they appear or change, not every check.
    (Rare events: a fresh logger each time, so the logging configuration in force applies.)"""

    seen: dict[str, str] = field(default_factory=dict)

    def report(self, partner: str, event: str, **facts: Any) -> None:
        text = f"{event}:{sorted(facts.items())}"
        if self.seen.get(partner) != text:
            structlog.get_logger(__name__).error(event, partner=partner, **facts)
            self.seen[partner] = text

    def clear(self, partner: str) -> None:
        if self.seen.pop(partner, None) is not None:
            structlog.get_logger(__name__).info("webhook.partner_ready", partner=partner)


class Deliverer:
    """Runs one ``PartnerWorker`` per partner with a usable webhook, following the registry."""

    def __init__(self, kafka: KafkaSettings, hooks: WebhookSettings, layout: TopicLayout,
                 registry: Callable[[], Registry], secrets: SecretStore,
                 dead_letters: Publisher, group_prefix: str = "ketenlink",
                 clock: Callable[[], float] = time.time,
                 suppressions: SuppressionView = EMPTY) -> None:
        self._wiring = _Wiring(kafka, hooks, secrets, dead_letters,
                               layout.dead_letters, clock, suppressions)
        self._layout = layout
        self._registry = registry
        self._group_prefix = group_prefix
        self._workers: dict[str, PartnerWorker] = {}
        self._retiring: list[PartnerWorker] = []
        self._problems = _Problems()
        self._totals = DeliveryStats()
        self._lock = threading.Lock()

    def run(self, stop: threading.Event) -> DeliveryStats:
        """Deliver until ``stop`` is set; then stop every worker and return the totals."""
        log.info("webhook.deliverer_started", recipients=list(self._layout.recipients),
                 check_every_s=self._wiring.hooks.registry_check_s)
        try:
            while not stop.is_set():
                self.reconcile()
                stop.wait(self._wiring.hooks.registry_check_s)
        finally:
            self.shutdown()
        return self.stats()

    def partners(self) -> tuple[str, ...]:
        """Partners with a running worker."""
        with self._lock:
            return tuple(sorted(p for p, w in self._workers.items() if w.alive))

    def stats(self, partner: str | None = None) -> DeliveryStats:
        """Totals so far (of one partner's current worker when ``partner`` is given)."""
        with self._lock:
            if partner is not None:
                worker = self._workers.get(partner)
                return DeliveryStats(**vars(worker.stats)) if worker else DeliveryStats()
            total = DeliveryStats(**vars(self._totals))
            for worker in (*self._workers.values(), *self._retiring):
                total.add(worker.stats)
            return total

    def wanted(self) -> dict[str, Webhook] | None:
        """Partner → webhook for every webhook that can be served now; None when the registry
        cannot be read (the workers keep running as they are)."""
        try:
            registry = self._registry()
        except Exception as exc:
            log.error("webhook.registry_unavailable", error=f"{type(exc).__name__}: {exc}")
            return None
        wanted: dict[str, Webhook] = {}
        for partner, entry in sorted(registry.entries.items()):
            if entry.webhook is None:
                self._problems.seen.pop(partner, None)
                continue
            if partner not in self._layout.recipients and partner_instance(partner) is None:
                self._problems.report(partner, "webhook.no_delivery_topic",  # an instance has
                                      recipients=list(self._layout.recipients),  # the one
                                      hint="add the partner to recipients in core/topics.yaml")
                continue  # `ketenlink partners enable` created
            try:
                secret = self._wiring.secrets.get(partner)
            except WebhookSecretError as exc:
                self._problems.report(partner, "webhook.secrets_unreadable", error=str(exc))
                continue
            if secret is None:
                self._problems.report(partner, "webhook.no_secret",
                                      secrets_file=str(self._wiring.secrets.path),
                                      hint=f"ketenlink deliver secret {partner}")
                continue
            self._problems.clear(partner)
            wanted[partner] = entry.webhook
        return wanted

    def reconcile(self) -> None:
        """One supervision step: retire what is no longer wanted, (re)start what is missing."""
        wanted = self.wanted()
        with self._lock:
            self._reap()
            if wanted is None:
                return
            for partner, worker in list(self._workers.items()):
                if not worker.alive:
                    if worker.error is not None:
                        log.warning("webhook.worker_restarting", partner=partner,
                                    error=f"{type(worker.error).__name__}: {worker.error}")
                    self._retire(partner)
                elif wanted.get(partner) != worker.webhook:
                    log.info("webhook.worker_retiring", partner=partner,
                             why="webhook removed" if partner not in wanted else "webhook changed")
                    self._retire(partner)
            busy = {w.partner for w in self._retiring}
            for partner, webhook in wanted.items():
                if partner in self._workers or partner in busy:
                    continue  # a retiring worker must close its consumer before the next starts
                topic = self._layout.delivery(partner)
                partitions = next(t.partitions for t in self._layout.topics if t.name == topic)
                worker = PartnerWorker(partner, webhook, topic, partitions,
                                       f"{self._group_prefix}-deliver-{partner}", self._wiring)
                self._workers[partner] = worker
                worker.start()

    def _retire(self, partner: str) -> None:
        worker = self._workers.pop(partner)
        worker.stop()
        self._retiring.append(worker)

    def _reap(self) -> None:
        for worker in [w for w in self._retiring if not w.alive]:
            self._retiring.remove(worker)
            self._totals.add(worker.stats)

    def shutdown(self) -> None:
        """Stop every worker and wait for them (an HTTP request in flight may take up to the
        request timeout)."""
        with self._lock:
            for partner in list(self._workers):
                self._retire(partner)
            retiring = list(self._retiring)
        grace = self._wiring.hooks.request_timeout_s + STOP_GRACE_S
        for worker in retiring:
            if not worker.join(grace):
                log.error("webhook.worker_did_not_stop", partner=worker.partner, waited_s=grace)
        with self._lock:
            self._reap()
        log.info("webhook.deliverer_stopped", **vars(self.stats()))
