"""Kafka under security=sasl and sasl_ssl (the production mode: the same over TLS with the
installation's CA): a dedicated single-node broker with SCRAM users and the ACL table
(infra/kafka_security.py), probed with real clients under partner and service users.

The broker listens on the session's Kafka ports + 300 (so parallel sessions with other bases
never collide), keeps its data and credentials under the test's temporary directory and is
stopped at the end. The test of every service uses the session's Neo4j.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from neo4j import Driver
from pydantic import SecretStr

from core.exceptions import PublishError
from core.kafka_clients import ADMIN_USER, client_options
from core.publisher import Publisher
from core.service_processes import ServiceProcess
from core.settings import KafkaSettings, Settings
from core.topics import TopicLayout, apply_topics
from infra.kafka_security import apply_security, ensure_credentials, users
from infra.kafka_server import KafkaServer
from infra.offsets import wait_committed
from infra.tls import ensure_ca
from infra.tools import find_java
from policy.retention import topic_layout
from producers.gateway.server import create_token
from schemas.signal import signal_id_for
from tests.unit.schemas.signals import valid_doc

PORT_OFFSET = 300
APP_ID = "ketenlink"


@pytest.fixture(scope="module", params=["sasl", "sasl_ssl"])
def secure(request: pytest.FixtureRequest, settings: Settings,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KafkaSettings, TopicLayout]]:
    """A SASL/SCRAM broker (over TLS under sasl_ssl) with the topic spec, the users and the
    ACLs applied."""
    var_dir = tmp_path_factory.mktemp("secure-kafka")
    kafka = KafkaSettings(port=settings.kafka.port + PORT_OFFSET,
                          controller_port=settings.kafka.controller_port + PORT_OFFSET,
                          version=settings.kafka.version, heap="512m", security=request.param,
                          credentials_file=var_dir / "kafka-credentials.json",
                          tls_dir=var_dir / "tls")
    server = KafkaServer(kafka, find_java(), var_dir, settings.cache_dir.expanduser(), 0)
    server.start()
    try:
        server.wait_ready(120)
        layout = topic_layout()
        admin = KafkaAdminClient(**client_options(kafka, ADMIN_USER), client_id="acl-test")
        try:
            apply_topics(admin, layout.topics)
            credentials = ensure_credentials(kafka.credentials_file, users(layout))
            report = apply_security(admin, layout, APP_ID, credentials)
            assert report.acls_created > 0 and report.users_created
            # idempotent: once the metadata reached the broker, a second run changes nothing
            deadline = time.monotonic() + 60
            while True:
                again = apply_security(admin, layout, APP_ID, credentials)
                if (again.acls_created, again.acls_deleted, again.users_created) == (0, 0, []):
                    break
                assert time.monotonic() < deadline, again
                time.sleep(1)
            assert again.acls_unchanged == report.acls_created
        finally:
            admin.close()
        yield kafka, layout
    finally:
        server.process.stop()


def as_user(kafka: KafkaSettings, user: str) -> KafkaSettings:
    return kafka.model_copy(update={"user": user})


def producer(kafka: KafkaSettings, user: str) -> KafkaProducer:
    return KafkaProducer(**client_options(as_user(kafka, user)), acks="all", max_block_ms=15_000)


def read_all(kafka: KafkaSettings, user: str, topic: str, group: str | None) -> list[bytes]:
    consumer = KafkaConsumer(**client_options(as_user(kafka, user)), group_id=group,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             consumer_timeout_ms=4000)
    try:
        if group:
            consumer.subscribe([topic])
        else:  # every partition the metadata shows (none when the topic is not authorized)
            partitions = consumer.partitions_for_topic(topic) or {0, 1, 2}
            consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
            consumer.seek_to_beginning()
        values = []
        for _ in range(10):
            batch = consumer.poll(timeout_ms=2000)
            values += [r.value for records in batch.values() for r in records]
            if values and not batch:
                break
        return values
    finally:
        consumer.close()


def test_credentials_file_is_private(secure: tuple[KafkaSettings, TopicLayout]) -> None:
    kafka, layout = secure
    mode = stat.S_IMODE(os.stat(kafka.credentials_file).st_mode)
    assert mode == 0o600
    assert set(users(layout)) <= set(ensure_credentials(kafka.credentials_file, []))


def test_partner_publishes_only_to_its_own_inbound_topic(
        secure: tuple[KafkaSettings, TopicLayout]) -> None:
    kafka, layout = secure
    with Publisher(as_user(kafka, "partner-kvk"), client_id="partner-kvk") as publisher:
        published = publisher.publish(layout.inbound_of("kvk"), b"kvk/1",
                                      b'{"partner": "kvk"}')
        assert published.offset >= 0
        with pytest.raises(PublishError) as refused:
            publisher.publish(layout.inbound_of("riec"), b"riec/1",
                              b'{"partner": "riec"}')
    assert isinstance(refused.value.__cause__, TopicAuthorizationFailedError)
    kvk = producer(kafka, "partner-kvk")
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            kvk.send(layout.name("deliveries.{recipient}", "kvk"), b"forged").get(timeout=15)
    finally:
        kvk.close()


def test_partner_reads_only_its_own_deliveries(secure: tuple[KafkaSettings, TopicLayout]
                                               ) -> None:
    kafka, layout = secure
    marker = uuid.uuid4().hex.encode()
    router = producer(kafka, "svc-router")  # the router's user writes every delivery topic
    try:
        for recipient in ("kvk", "riec"):
            router.send(layout.delivery(recipient), key=b"sig", value=marker + recipient.encode()
                        ).get(timeout=15)
    finally:
        router.close()

    own = read_all(kafka, "partner-kvk", layout.delivery("kvk"), "partner-kvk-webhook")
    assert marker + b"kvk" in own
    # kafka-python's consumer logs "not authorized" and reads nothing: the broker refuses even
    # the topic's metadata (no DESCRIBE); the same reads under riec's own user get the record
    assert marker + b"riec" in read_all(kafka, "partner-riec", layout.delivery("riec"), None)
    assert read_all(kafka, "partner-kvk", layout.delivery("riec"), None) == []
    assert read_all(kafka, "partner-kvk", layout.delivery("riec"), "partner-kvk-webhook") == []
    kvk_admin = KafkaAdminClient(**client_options(as_user(kafka, "partner-kvk")))
    try:
        [riec] = kvk_admin.describe_topics([layout.delivery("riec")])
        assert riec["error_code"] == TopicAuthorizationFailedError.errno
        assert kvk_admin.describe_topics([layout.delivery("kvk")])[0]["error_code"] == 0
    finally:
        kvk_admin.close()
    with pytest.raises(GroupAuthorizationFailedError):  # another's consumer group
        read_all(kafka, "partner-kvk", layout.delivery("kvk"), "partner-riec-webhook")
    assert marker + b"riec" in read_all(kafka, "partner-riec", layout.delivery("riec"),
                                        "partner-riec-1")


def test_wrong_password_and_no_login_are_refused(secure: tuple[KafkaSettings, TopicLayout]
                                                 ) -> None:
    kafka, _ = secure
    wrong = kafka.model_copy(update={"user": "partner-kvk", "password": SecretStr("guess")})
    with pytest.raises(KafkaError):
        KafkaAdminClient(**client_options(wrong), request_timeout_ms=5000,
                         api_version_auto_timeout_ms=5000).close()
    with pytest.raises(KafkaError):  # no SASL handshake: the listener does not talk
        KafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=5000,
                         api_version_auto_timeout_ms=5000).close()


def test_the_listener_speaks_only_its_own_transport(secure: tuple[KafkaSettings, TopicLayout],
                                                    tmp_path: Path) -> None:
    """Under sasl_ssl a right password without TLS is refused, and so is TLS to a client that
    does not trust the installation's CA (another CA's certificate is not the broker); under
    sasl, a TLS client finds no TLS."""
    kafka, _ = secure
    ok = client_options(as_user(kafka, "partner-kvk"))
    KafkaAdminClient(**ok, request_timeout_ms=5000).close()
    other_ca = ensure_ca(tmp_path / "other-ca")
    if kafka.security == "sasl":
        wrong = [{**ok, "security_protocol": "SASL_SSL", "ssl_cafile": str(other_ca)}]
    else:
        assert stat.S_IMODE(os.stat(kafka.tls_dir / "kafka.key.pem").st_mode) == 0o600
        wrong = [{**ok, "security_protocol": "SASL_PLAINTEXT"},  # the password in clear
                 {**ok, "ssl_cafile": str(other_ca)}]
    for options in wrong:
        with pytest.raises(KafkaError):
            KafkaAdminClient(**options, request_timeout_ms=5000,
                             api_version_auto_timeout_ms=5000).close()


def test_gateway_service_publishes_for_every_partner(secure: tuple[KafkaSettings, TopicLayout]
                                                     ) -> None:
    """The gateway's own Publisher under svc-gateway: the platform piece works under SASL."""
    kafka, layout = secure
    with Publisher(as_user(kafka, "svc-gateway"), client_id="ketenlink-gateway") as publisher:
        for partner in layout.partners:
            topic = layout.inbound_of(partner)
            assert publisher.publish(topic, f"{partner}/g1".encode(), b"{}").topic == topic
    values = read_all(kafka, "svc-worker", layout.inbound_of("zorg"), None)
    assert b"{}" in values
    with pytest.raises(TopicAuthorizationFailedError):  # the gateway reads nothing
        read_all(kafka, "svc-gateway", layout.inbound_of("zorg"), None)



def test_stream_worker_runs_under_its_service_user(
        secure: tuple[KafkaSettings, TopicLayout], tmp_path: Path) -> None:
    """``ketenlink worker`` (faust over aiokafka, SCRAM-SHA-512) as svc-worker: creates its
    changelogs, reads partner kvk's inbound record and writes signals.resolved."""
    kafka, layout = secure
    doc = valid_doc(partner="kvk", partner_ref=f"acl-{uuid.uuid4().hex[:8]}")
    with Publisher(as_user(kafka, "partner-kvk")) as publisher:
        publisher.publish(layout.inbound_of("kvk"), b"kvk/acl",
                          json.dumps(doc).encode())
    env = {"KETENLINK_VAR_DIR": str(tmp_path), "KETENLINK_FAUST_APP_ID": APP_ID,
           "KETENLINK_TOPIC_PREFIX": "",
           "KETENLINK_KAFKA__PORT": str(kafka.port),
           "KETENLINK_KAFKA__CONTROLLER_PORT": str(kafka.controller_port),
           "KETENLINK_KAFKA__SECURITY": kafka.security, "KETENLINK_KAFKA__USER": "svc-worker",
           "KETENLINK_KAFKA__CREDENTIALS_FILE": str(kafka.credentials_file),
           "KETENLINK_KAFKA__TLS_DIR": str(kafka.tls_dir)}
    log = tmp_path / "worker.log"
    with ServiceProcess("worker", log, env=env) as worker:
        deadline = time.monotonic() + 120
        found: list[bytes] = []
        while not found and time.monotonic() < deadline and worker.returncode is None:
            found = [v for v in read_all(kafka, "svc-operator", layout.resolved,
                                         None) if doc["partner_ref"].encode() in v]
        assert worker.returncode is None, log.read_text()[-3000:]
    assert found, log.read_text()[-3000:]
    assert json.loads(found[0])["signal"]["partner_ref"] == doc["partner_ref"]
    assert "password" not in log.read_text().lower()


def test_every_service_runs_as_its_own_user(secure: tuple[KafkaSettings, TopicLayout],
                                            settings: Settings, driver: Driver,
                                            tmp_path: Path) -> None:
    """The demo's processes (worker, sink, router, alert engine, gateway, explorer), each
    started with no Kafka user of its own, run as their service users (``for_service``) with
    only the ACL table's rights: a partner's signal posted to the gateway reaches the graph,
    the router and the alert engine read it, and no process is refused anything."""
    kafka, layout = secure
    ref = f"pipeline-{kafka.security}-{uuid.uuid4().hex[:8]}"
    gateway_port, explorer_port = _free_port(), _free_port()
    env = {"KETENLINK_VAR_DIR": str(tmp_path / "var"), "KETENLINK_FAUST_APP_ID": APP_ID,
           "KETENLINK_TOPIC_PREFIX": "", "KETENLINK_LOG_FORMAT": "json",
           "KETENLINK_KAFKA__PORT": str(kafka.port),
           "KETENLINK_KAFKA__CONTROLLER_PORT": str(kafka.controller_port),
           "KETENLINK_KAFKA__SECURITY": kafka.security,
           "KETENLINK_KAFKA__CREDENTIALS_FILE": str(kafka.credentials_file),
           "KETENLINK_KAFKA__TLS_DIR": str(kafka.tls_dir),
           "KETENLINK_GATEWAY__PORT": str(gateway_port),
           "KETENLINK_GATEWAY__TOKENS_FILE": str(tmp_path / "tokens.json"),
           "KETENLINK_EXPLORER__PORT": str(explorer_port),
           "KETENLINK_EXPLORER__USERS_FILE": str(tmp_path / "users.json")}
    clean = {k: v for k, v in os.environ.items() if k != "KETENLINK_KAFKA__USER"}
    local = settings.model_copy(update={"gateway": settings.gateway.model_copy(
        update={"tokens_file": tmp_path / "tokens.json"})})
    token = create_token(local, "riec")
    with ExitStack() as running:
        services = {name: running.enter_context(ServiceProcess(
            name, tmp_path / f"{name}.log", env={**clean, **env}, args=args))
            for name, args in (("worker", ()), ("sink", ()), ("router", ()),
                               ("alerts", ("run",)), ("gateway", ()), ("explorer", ("serve",)))}

        def alive() -> None:
            for name, service in services.items():
                assert service.returncode is None, \
                    f"{name}: {(tmp_path / f'{name}.log').read_text()[-3000:]}"

        _until(lambda: _answers(f"http://127.0.0.1:{gateway_port}/healthz")
               and _answers(f"http://127.0.0.1:{explorer_port}/healthz"), alive, "HTTP")
        posted = httpx.post(f"http://127.0.0.1:{gateway_port}/v1/signals",
                            json=valid_doc(partner="riec", partner_ref=ref),
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert posted.status_code == 202, posted.text
        signal_id = signal_id_for("riec", ref)
        _until(lambda: bool(driver.execute_query(
            "MATCH (s:Signal {signal_id: $id}) RETURN s", id=signal_id,
            database_=settings.neo4j.database).records), alive, "the Signal node")
        resolved = layout.resolved
        for group in (f"{APP_ID}-router", f"{APP_ID}-alerts", f"{APP_ID}-graph-sink"):
            assert wait_committed(as_user(kafka, ADMIN_USER), group, [resolved], 120.0, alive), \
                f"{group} did not commit the end of {resolved}"
        alive()
    for name in services:
        text = (tmp_path / f"{name}.log").read_text()
        assert "AuthorizationFailed" not in text and "not authorized" not in text.lower(), \
            f"{name}: {text[-3000:]}"
        assert kafka.credentials_file.read_text() not in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _until(done: Callable[[], bool], check: Callable[[], None], what: str,
           timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        check()
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.5)
