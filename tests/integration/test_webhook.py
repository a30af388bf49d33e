"""Webhook delivery on the real broker, to HTTP receivers started here: order and signatures,
retries with one delivery id, dead letters after the last attempt (offset committed, the next
record delivered), partners that never wait for each other, webhooks added and removed while
the deliverer runs."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from consumers.webhook import Deliverer
from consumers.webhook_secrets import SecretStore
from consumers.webhook_sign import verify
from core.publisher import Published, Publisher
from core.settings import Settings, WebhookSettings
from core.topics import TopicLayout, apply_topics
from infra.offsets import wait_committed
from policy.registry import PartnerEntry, Registry, Webhook
from policy.retention import topic_layout


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def delivery_id(self) -> str:
        return self.headers["X-Ketenlink-Delivery"]


Answer = Callable[[Received, int], int]
"""The status to answer a request with, given the request and how many came before it."""


class Receiver:
    """A webhook endpoint on 127.0.0.1 (port 0) that records every request."""

    def __init__(self, answer: Answer = lambda _r, _n: 200) -> None:
        self.received: list[Received] = []
        self.answered: list[int] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = Received(dict(self.headers.items()), body, time.monotonic())
                with receiver._lock:
                    receiver.received.append(request)
                    seen = len(receiver.received) - 1
                status = answer(request, seen)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with receiver._lock:
                    receiver.answered.append(status)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/ketenlink"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"{count} requests expected in {timeout} s, got {len(self.received)}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def layout(admin: KafkaAdminClient, uid: str) -> TopicLayout:
    """This test's delivery topics and dead-letter topic (only those: fast to create)."""
    layout = topic_layout(prefix=f"{uid}.")
    apply_topics(admin, [t for t in layout.topics if t.name.startswith(f"{uid}.deliveries.")])
    return layout


@pytest.fixture
def hooks(tmp_path: Path) -> WebhookSettings:
    return WebhookSettings(secrets_file=tmp_path / "webhooks" / "secrets.json",
                           backoff_base_s=0.05, backoff_max_s=0.2, backoff_jitter=0.0,
                           request_timeout_s=10.0, registry_check_s=0.2)


@pytest.fixture
def publisher(settings: Settings) -> Iterator[Publisher]:
    with Publisher(settings.kafka, client_id="ketenlink-test-webhook") as publisher:
        yield publisher


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(answer: Answer = lambda _r, _n: 200) -> Receiver:
        started.append(Receiver(answer))
        return started[-1]

    yield start
    for receiver in started:
        receiver.close()


class Running:
    """``Deliverer.run`` in a thread, as ``ketenlink deliver`` runs it."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self.stop = threading.Event()
        self.thread = threading.Thread(target=deliverer.run, args=(self.stop,))
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the deliverer did not stop"


@pytest.fixture
def deliver(settings: Settings, hooks: WebhookSettings, layout: TopicLayout,
            publisher: Publisher, uid: str) -> Iterator[Callable[[Callable[[], Registry]],
                                                                  Running]]:
    running: list[Running] = []

    def start(registry: Callable[[], Registry]) -> Running:
        deliverer = Deliverer(settings.kafka, hooks, layout, registry,
                              SecretStore(hooks.secrets_file), publisher, group_prefix=uid)
        running.append(Running(deliverer))
        return running[-1]

    yield start
    for run in running:
        run.close()


def _registry(**webhooks: tuple[str, int]) -> Registry:
    """Entries for the given partners (ids with '_' for '-'): webhook url and max attempts."""
    return Registry({p.replace("_", "-"): PartnerEntry(
        partner_id=p.replace("_", "-"), source="registry", distributions=("clear",),
        purposes=("prevention",), webhook=Webhook(url=url, max_attempts=attempts))
        for p, (url, attempts) in webhooks.items()})


def _deliveries(publisher: Publisher, layout: TopicLayout, partner: str, uid: str,
                keys: list[str], first: int = 0) -> list[tuple[Published, bytes]]:
    """Publish one delivery document per key on the partner's delivery topic; delivery ids
    ``<uid>-<partner>-<n>`` from n = ``first``."""
    values = [json.dumps({"delivery_id": f"{uid}-{partner}-{i}", "recipient": partner,
                          "signal_id": key, "seq": i, "signal": {"narrative": "café"}},
                         ensure_ascii=False).encode()
              for i, key in enumerate(keys, start=first)]
    published = publisher.publish_many(layout.delivery(partner),
                                       [(k.encode(), v) for k, v in zip(keys, values, strict=True)])
    return list(zip(published, values, strict=True))


def _signed(request: Received, secret: str) -> bool:
    return verify(secret, request.headers["X-Ketenlink-Timestamp"], request.body,
                  request.headers["X-Ketenlink-Signature"], time.time())


def _wait_committed(settings: Settings, group: str, topic: str, timeout: float = 10.0) -> None:
    """Until ``group`` has committed the end of every partition of ``topic``."""
    assert wait_committed(settings.kafka.bootstrap_servers, group, [topic], timeout), \
        f"{group} did not commit the end of {topic} in {timeout} s"


def _dead_letters(settings: Settings, layout: TopicLayout, count: int,
                  timeout: float = 10.0) -> list[tuple[bytes | None, dict[str, Any]]]:
    topic = layout.dead_letters
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                             enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        out: list[tuple[bytes | None, dict[str, Any]]] = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                out.extend((r.key, json.loads(r.value)) for r in records)
        assert consumer.end_offsets([tp])[tp] == count, "more dead letters than expected"
        return out
    finally:
        consumer.close()


def test_deliveries_arrive_in_offset_order_signed_and_are_committed(
        settings: Settings, hooks: WebhookSettings, layout: TopicLayout, publisher: Publisher,
        receivers: Callable[..., Receiver], deliver: Callable[..., Running], uid: str) -> None:
    receiver = receivers()
    secret = SecretStore(hooks.secrets_file).rotate("riec")
    keys = [f"{uid}-signal-{i % 3}" for i in range(9)]  # three signals, three records each
    published = _deliveries(publisher, layout, "riec", uid, keys)
    run = deliver(lambda: _registry(riec=(receiver.url, 3)))

    requests = receiver.wait_for(len(keys))
    time.sleep(0.3)  # nothing more may come: each delivery exactly once
    assert len(receiver.received) == len(keys)
    by_id = {r.delivery_id: r for r in requests}
    assert len(by_id) == len(keys)
    for _, value in published:
        request = by_id[json.loads(value)["delivery_id"]]
        assert request.body == value  # the record's bytes, unchanged
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["X-Ketenlink-Attempt"] == "1"
        assert _signed(request, secret)
        assert not _signed(request, secret + "x")
    # within a partition, in offset order
    position = {json.loads(v)["delivery_id"]: w for w, v in published}
    for partition in {w.partition for w, _ in published}:
        arrived = [position[r.delivery_id].offset for r in requests
                   if position[r.delivery_id].partition == partition]
        assert arrived == sorted(arrived) and len(arrived) >= 1
    _wait_committed(settings, f"{uid}-deliver-riec", layout.delivery("riec"))
    assert run.deliverer.stats().delivered == len(keys)
    assert run.deliverer.stats().retries == 0


def test_two_503_then_200_delivers_once_with_one_delivery_id(
        settings: Settings, hooks: WebhookSettings, layout: TopicLayout, publisher: Publisher,
        receivers: Callable[..., Receiver], deliver: Callable[..., Running], uid: str) -> None:
    receiver = receivers(lambda _r, n: 503 if n < 2 else 200)
    secret = SecretStore(hooks.secrets_file).rotate("om")
    [(_, value)] = _deliveries(publisher, layout, "om", uid, [f"{uid}-s"])
    run = deliver(lambda: _registry(om=(receiver.url, 5)))

    attempts = receiver.wait_for(3)
    _wait_committed(settings, f"{uid}-deliver-om", layout.delivery("om"))
    time.sleep(0.3)
    assert receiver.answered == [503, 503, 200]  # and no fourth request
    assert {r.delivery_id for r in attempts} == {json.loads(value)["delivery_id"]}
    assert [r.headers["X-Ketenlink-Attempt"] for r in attempts] == ["1", "2", "3"]
    assert all(r.body == value and _signed(r, secret) for r in attempts)
    assert attempts[1].at - attempts[0].at >= hooks.backoff_base_s  # it did back off
    stats = run.deliverer.stats()
    assert (stats.delivered, stats.retries, stats.dead_lettered) == (1, 2, 0)
    assert _dead_letters(settings, layout, 0, timeout=0.5) == []


def test_a_failing_endpoint_dead_letters_commits_and_goes_on(
        settings: Settings, hooks: WebhookSettings, layout: TopicLayout, publisher: Publisher,
        receivers: Callable[..., Receiver], deliver: Callable[..., Running], uid: str) -> None:
    fails, refused = f"{uid}-kvk-0", f"{uid}-kvk-2"  # the last one: its own commit counts
    receiver = receivers(lambda r, _n: 500 if r.delivery_id == fails
                         else 422 if r.delivery_id == refused else 200)
    SecretStore(hooks.secrets_file).rotate("kvk")
    key = f"{uid}-one-signal"  # one partition: the records must pass one after the other
    published = _deliveries(publisher, layout, "kvk", uid, [key, key, key])
    run = deliver(lambda: _registry(kvk=(receiver.url, 3)))

    receiver.wait_for(5)
    _wait_committed(settings, f"{uid}-deliver-kvk", layout.delivery("kvk"))
    assert [(r.delivery_id, s) for r, s in zip(receiver.received, receiver.answered,
                                               strict=True)] == [
        (fails, 500), (fails, 500), (fails, 500), (f"{uid}-kvk-1", 200), (refused, 422)]

    letters = _dead_letters(settings, layout, 2)
    assert [k for k, _ in letters] == [b"kvk", b"kvk"]
    (_, exhausted), (_, permanent) = letters
    first, last = published[0][0], published[2][0]
    assert {k: exhausted[k] for k in ("recipient", "delivery_id", "reason", "attempts",
                                      "last_status", "source_topic", "source_partition",
                                      "source_offset", "source_key", "url")} == {
        "recipient": "kvk", "delivery_id": fails, "reason": "exhausted", "attempts": 3,
        "last_status": 500, "source_topic": layout.delivery("kvk"),
        "source_partition": first.partition, "source_offset": first.offset,
        "source_key": key, "url": receiver.url}
    assert exhausted["last_error"].startswith("HTTP 500")
    assert base64.b64decode(exhausted["original_base64"]) == published[0][1]
    assert exhausted["dead_lettered_at"]
    assert (permanent["delivery_id"], permanent["reason"], permanent["attempts"],
            permanent["last_status"], permanent["source_offset"]) \
        == (refused, "permanent", 1, 422, last.offset)
    stats = run.deliverer.stats()
    assert (stats.delivered, stats.dead_lettered, stats.retries) == (1, 2, 2)


def _refused_url() -> str:
    """A loopback URL on a port nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_an_endpoint_that_hangs_or_refuses_does_not_delay_other_partners(
        settings: Settings, hooks: WebhookSettings, layout: TopicLayout, publisher: Publisher,
        receivers: Callable[..., Receiver], deliver: Callable[..., Running], uid: str) -> None:
    release = threading.Event()
    hanging = receivers(lambda _r, _n: 200 if release.wait(20) else 504)
    healthy = receivers()
    store = SecretStore(hooks.secrets_file)
    for partner in ("riec", "om", "kvk"):
        store.rotate(partner)  # zorg has a webhook but no secret: skipped, others go on
    _deliveries(publisher, layout, "riec", uid, [f"{uid}-a"])
    _deliveries(publisher, layout, "om", uid, [f"{uid}-c"])
    _deliveries(publisher, layout, "kvk", uid, [f"{uid}-b{i}" for i in range(5)])
    registry = _registry(riec=(hanging.url, 3), om=(_refused_url(), 50), kvk=(healthy.url, 3),
                         zorg=(healthy.url, 3))
    try:
        run = deliver(lambda: registry)
        hanging.wait_for(1)  # riec's worker is now stuck in its request
        healthy.wait_for(5)
        assert not hanging.answered and not release.is_set()  # still stuck while kvk finished
        assert run.deliverer.stats("om").delivered == 0  # refused, retrying in its own thread
        assert run.deliverer.partners() == ("kvk", "om", "riec")
        assert {r.delivery_id for r in healthy.received} == {f"{uid}-kvk-{i}" for i in range(5)}
    finally:
        release.set()
    _wait_committed(settings, f"{uid}-deliver-riec", layout.delivery("riec"))
    assert hanging.answered == [200]


GEMEENTE = "gemeente:GM0599"
"""A municipality by its CBS code: a partner id with a ':' in a topic, a group and a header."""


def test_webhooks_added_and_removed_at_run_time(
        settings: Settings, hooks: WebhookSettings, layout: TopicLayout, publisher: Publisher,
        receivers: Callable[..., Receiver], deliver: Callable[..., Running], uid: str) -> None:
    receiver = receivers()
    SecretStore(hooks.secrets_file).rotate(GEMEENTE)
    with_hook = _registry(**{GEMEENTE: (receiver.url, 3)})
    without = Registry({GEMEENTE: with_hook.entries[GEMEENTE].model_copy(update={"webhook": None})})
    current = [without]
    _deliveries(publisher, layout, GEMEENTE, uid, [f"{uid}-x"])
    run = deliver(lambda: current[0])
    time.sleep(0.6)  # three registry checks
    assert receiver.received == [] and run.deliverer.partners() == ()

    current[0] = with_hook  # as LiveRegistry would after a change on partners.registry
    receiver.wait_for(1)
    _wait_committed(settings, f"{uid}-deliver-{GEMEENTE}", layout.delivery(GEMEENTE))

    current[0] = without
    deadline = time.monotonic() + 5
    while run.deliverer.partners() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.deliverer.partners() == ()
    _deliveries(publisher, layout, GEMEENTE, uid, [f"{uid}-y"], first=1)
    time.sleep(0.6)  # three registry checks
    assert len(receiver.received) == 1  # no webhook, no POST: the record waits on its topic


def test_a_stop_mid_retry_commits_nothing_and_the_restart_delivers_the_same_id(
        settings: Settings, hooks: WebhookSettings, layout: TopicLayout, publisher: Publisher,
        receivers: Callable[..., Receiver], deliver: Callable[..., Running], uid: str) -> None:
    healthy = threading.Event()
    receiver = receivers(lambda _r, _n: 200 if healthy.is_set() else 503)
    SecretStore(hooks.secrets_file).rotate("zorg")
    [(where, value)] = _deliveries(publisher, layout, "zorg", uid, [f"{uid}-s"])
    registry = _registry(zorg=(receiver.url, 50))
    first = deliver(lambda: registry)
    receiver.wait_for(2)
    first.close()  # SIGTERM while the delivery waits for its next attempt
    assert first.deliverer.stats().interrupted == 1
    group = f"{uid}-deliver-zorg"
    probe = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, group_id=group,
                          enable_auto_commit=False)
    try:
        assert probe.committed(TopicPartition(where.topic, where.partition)) is None
    finally:
        probe.close()

    tried = len(receiver.received)
    healthy.set()
    deliver(lambda: registry)
    receiver.wait_for(tried + 1)
    _wait_committed(settings, group, layout.delivery("zorg"))
    assert {r.delivery_id for r in receiver.received} == {json.loads(value)["delivery_id"]}
    assert receiver.answered[-1] == 200 and receiver.answered.count(200) == 1
    assert receiver.received[tried].headers["X-Ketenlink-Attempt"] == "1"  # a new process


def test_a_copy_made_before_an_erasure_or_purge_is_not_sent_after_it(
        settings: Settings, hooks: WebhookSettings, layout: TopicLayout, publisher: Publisher,
        receivers: Callable[..., Receiver], uid: str) -> None:
    from policy.suppression import SuppressionSet

    receiver = receivers()
    secret = SecretStore(hooks.secrets_file).rotate("riec")
    ps = "ps1:" + "d" * 64

    def copy(n: int, subjects: list[dict[str, Any]]) -> dict[str, Any]:
        return {"delivery_id": f"{uid}-riec-{n}", "recipient": "riec", "signal_id": f"{uid}-s{n}",
                "redacted": ["narrative"],
                "signal": {"subjects": subjects,
                           "relations": [{"source": "p1", "type": "USES", "target": "t1"}]},
                "entities": [{"ref": s["ref"], "entity_id": f"X-{uid}{n}{s['ref']}"}
                             for s in subjects]}

    erased = {"type": "person", "ref": "p1", "family_name": "Vermeulen",
              "identifiers": [{"scheme": "bsn-pseudonym", "value": ps}]}
    phone = {"type": "phone", "ref": "t1", "number": "+31612345678"}
    docs = [copy(0, [phone]), copy(1, [erased, phone]), copy(2, [phone])]
    publisher.publish_many(layout.delivery("riec"), [
        (d["signal_id"].encode(), json.dumps(d).encode()) for d in docs])
    suppressed = SuppressionSet(signals=frozenset({f"{uid}-s2"}), pseudonyms=frozenset({ps}))
    run = Running(Deliverer(settings.kafka, hooks, layout,
                            lambda: _registry(riec=(receiver.url, 3)),
                            SecretStore(hooks.secrets_file), publisher, group_prefix=uid,
                            suppressions=suppressed))
    try:
        requests = receiver.wait_for(2)
        _wait_committed(settings, f"{uid}-deliver-riec", layout.delivery("riec"))
        time.sleep(0.3)
    finally:
        run.close()
    assert sorted(r.delivery_id for r in receiver.received) == [f"{uid}-riec-0", f"{uid}-riec-1"]
    by_id = {r.delivery_id: r for r in requests}
    assert by_id[f"{uid}-riec-0"].body == json.dumps(docs[0]).encode()  # untouched
    stripped = json.loads(by_id[f"{uid}-riec-1"].body)
    assert [s["ref"] for s in stripped["signal"]["subjects"]] == ["t1"]
    assert stripped["signal"]["relations"] == [] and len(stripped["entities"]) == 1
    assert stripped["redacted"] == ["narrative", "subjects[p1]"]
    assert ps not in by_id[f"{uid}-riec-1"].body.decode() and _signed(by_id[f"{uid}-riec-1"],
                                                                      secret)
    assert run.deliverer.stats().suppressed == 1 and run.deliverer.stats().delivered == 2
