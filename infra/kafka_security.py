"""Kafka users and ACLs under ``KafkaSettings.security == "sasl"``: who may do what on Kafka.

Every partner has a SCRAM-SHA-512 user ``partner-<id>``, every service one of its own
(``svc-<name>``), and ``admin`` is the super user the stack bootstraps with. ``acl_table`` is the
one policy: a partner writes only its own ``signals.in.<id>`` and reads only its own
``deliveries.<id>`` (with consumer groups prefixed ``partner-<id>``); each service gets what its
job needs. The broker runs Kafka's ``StandardAuthorizer`` with ``allow.everyone.if.no.acl.found``
false, so whatever the table does not grant is denied.

Transport is SASL_PLAINTEXT under ``sasl`` (loopback only) and SASL_SSL under ``sasl_ssl``, the
production mode: the brokers present a certificate from the installation's CA (infra/tls.py) for
client and inter-broker connections. Passwords are random, kept in
``KafkaSettings.credentials_file`` (0600) and never logged.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kafka.errors import KafkaError
from pydantic import SecretStr

from core.kafka_clients import (
    ADMIN_USER,
    SCRAM_MECHANISM,
    SECURITY_PROTOCOLS,
    client_options,
    read_credentials,
    service_user,
)
from core.partner_ids import topic_segment
from core.private_files import locked, write_private
from core.settings import KafkaSettings
from core.topics import TopicLayout
from infra.exceptions import InfraError
from infra.tls import ensure_server_certificate

log = structlog.get_logger(__name__)

SERVICES = ("worker", "router", "sink", "gateway", "deliver", "alerts", "explorer", "operator")
"""Service users ``svc-<name>``; ``operator`` is the CLI of the platform's operators (audit
entries, partner registry changes, retention, erasure, read-back)."""

Operation = Literal["READ", "WRITE", "DESCRIBE", "CREATE", "ALTER", "DESCRIBE_CONFIGS",
                    "ALTER_CONFIGS", "DELETE", "ALL"]
Resource = Literal["TOPIC", "GROUP", "CLUSTER"]
Pattern = Literal["LITERAL", "PREFIXED"]


class KafkaSecurityError(InfraError):
    """Users or ACLs could not be applied to the broker."""

    def __init__(self, what: str, reason: str) -> None:
        self.what, self.reason = what, reason
        super().__init__(f"cannot apply Kafka {what}: {reason}")


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW rule: ``user`` may ``operation`` on ``resource`` ``name`` (literal or prefix)."""

    user: str
    resource: Resource
    name: str
    operation: Operation
    pattern: Pattern = "LITERAL"

    @property
    def principal(self) -> str:
        return f"User:{self.user}"

    def to_acl(self) -> ACL:
        return ACL(principal=self.principal, host="*",
                   operation=ACLOperation[self.operation],
                   permission_type=ACLPermissionType.ALLOW,
                   resource_pattern=ResourcePattern(ResourceType[self.resource], self.name,
                                                    ACLResourcePatternType[self.pattern]))

    @classmethod
    def from_acl(cls, acl: ACL) -> Grant:
        pattern = acl.resource_pattern
        return cls(user=acl.principal.removeprefix("User:"), resource=pattern.resource_type.name,
                   name=pattern.resource_name, operation=acl.operation.name,
                   pattern=pattern.pattern_type.name)


def partner_user(partner: str) -> str:
    """The Kafka user of a partner (``partner-riec.rotterdam``: no ':' in a user name)."""
    return f"partner-{topic_segment(partner)}"


def users(layout: TopicLayout) -> list[str]:
    """Every user the stack creates: admin, one per partner (inbound or recipient), one per
    service."""
    partners = sorted({*layout.partners, *layout.recipients})
    return [ADMIN_USER, *(partner_user(p) for p in partners),
            *(service_user(s) for s in SERVICES)]


def acl_table(layout: TopicLayout, app_id: str) -> tuple[Grant, ...]:
    """Who may do what on Kafka: the whole policy, pure and sorted. ``app_id`` is the faust app
    id (consumer groups and the worker's changelog topics derive from it)."""
    grants: set[Grant] = set()

    def topic(user: str, logical: str, *ops: Operation, partner: str | None = None) -> None:
        grants.update(Grant(user, "TOPIC", layout.name(logical, partner), op) for op in ops)

    def group(user: str, name: str, pattern: Pattern = "LITERAL") -> None:
        grants.update(Grant(user, "GROUP", name, op, pattern) for op in ("READ", "DESCRIBE"))

    for partner in layout.partners:
        topic(partner_user(partner), "signals.in.{partner}", "WRITE", "DESCRIBE", partner=partner)
    for recipient in layout.recipients:
        user = partner_user(recipient)
        topic(user, "deliveries.{recipient}", "READ", "DESCRIBE", partner=recipient)
        group(user, user, "PREFIXED")

    worker = service_user("worker")
    for partner in layout.partners:
        topic(worker, "signals.in.{partner}", "READ", "DESCRIBE", partner=partner)
    topic(worker, "signals.normalised", "READ", "WRITE", "DESCRIBE")
    topic(worker, "signals.rejected", "WRITE", "DESCRIBE")
    topic(worker, "resolver.judgements", "READ", "DESCRIBE")
    topic(worker, "signals.resolved", "WRITE", "DESCRIBE")
    topic(worker, "entities.merges", "WRITE", "DESCRIBE")
    topic(worker, "suppressions", "READ", "DESCRIBE")  # forgets erased persons' state
    # its tables' changelogs <app id>-<table>-changelog, created by `ketenlink worker`
    grants.add(Grant(worker, "TOPIC", f"{app_id}-", "ALL", "PREFIXED"))
    group(worker, app_id)

    router = service_user("router")
    topic(router, "signals.resolved", "READ", "DESCRIBE")
    topic(router, "partners.registry", "READ", "DESCRIBE")
    topic(router, "suppressions", "READ", "DESCRIBE")
    topic(router, "signals.rejected", "WRITE", "DESCRIBE")
    deliveries = layout.prefix + "deliveries."  # a partner switched on later included
    grants.update(Grant(router, "TOPIC", deliveries, op, "PREFIXED") for op in ("WRITE", "DESCRIBE"))
    group(router, f"{app_id}-router")

    sink = service_user("sink")
    topic(sink, "signals.resolved", "READ", "DESCRIBE")
    topic(sink, "entities.merges", "READ", "DESCRIBE")
    topic(sink, "signals.rejected", "WRITE", "DESCRIBE")  # records the graph refuses, parked
    topic(sink, "suppressions", "READ", "DESCRIBE")
    group(sink, f"{app_id}-graph-sink")

    gateway = service_user("gateway")  # publishes on behalf of the partner its token names
    for partner in layout.partners:
        topic(gateway, "signals.in.{partner}", "WRITE", "DESCRIBE", partner=partner)

    deliver = service_user("deliver")
    grants.update(Grant(deliver, "TOPIC", deliveries, op, "PREFIXED") for op in ("READ", "DESCRIBE"))
    topic(deliver, "deliveries.dead", "WRITE", "DESCRIBE")
    topic(deliver, "partners.registry", "READ", "DESCRIBE")
    group(deliver, f"{app_id}-deliver-", "PREFIXED")

    alerts = service_user("alerts")
    topic(alerts, "signals.resolved", "READ", "DESCRIBE")
    topic(alerts, "entities.merges", "READ", "DESCRIBE")
    topic(alerts, "suppressions", "READ", "DESCRIBE")
    topic(alerts, "alerts.om.proposed", "WRITE", "DESCRIBE")
    topic(alerts, "audit.log", "WRITE", "DESCRIBE")
    group(alerts, f"{app_id}-alerts")

    explorer = service_user("explorer")
    topic(explorer, "resolver.judgements", "WRITE", "DESCRIBE")
    topic(explorer, "alerts.om.proposed", "READ", "DESCRIBE")
    topic(explorer, "alerts.om", "WRITE", "DESCRIBE")
    topic(explorer, "audit.log", "READ", "WRITE", "DESCRIBE")

    operator = service_user("operator")  # reads everything under the prefix, writes audit+registry
    for spec in layout.topics:
        grants.update(Grant(operator, "TOPIC", spec.name, op) for op in ("READ", "DESCRIBE"))
    topic(operator, "audit.log", "WRITE")
    topic(operator, "partners.registry", "WRITE")
    topic(operator, "alerts.om", "WRITE")
    topic(operator, "suppressions", "WRITE")  # erasure and the retention purge
    group(operator, f"{app_id}-operator", "PREFIXED")
    return tuple(sorted(grants))


def security_properties(kafka: KafkaSettings, port: int, controller_port: int) -> dict[str, str]:
    """Nothing under plaintext; otherwise the broker properties merged over the plaintext ones
    (the admin's password from the credentials file, created when missing): clients and brokers
    on SASL_PLAINTEXT (``sasl``) or SASL_SSL (``sasl_ssl``, with the broker certificate made by
    ``infra.tls``) with SCRAM-SHA-512, the controller listener PLAINTEXT on loopback (its
    connections are User:ANONYMOUS, a super user so that brokers can register; on a real
    network it gets TLS or SASL/PLAIN), the StandardAuthorizer denying what no ACL grants."""
    if kafka.security == "plaintext":
        return {}
    host, password = kafka.host, admin_password(kafka).get_secret_value()
    listener = SECURITY_PROTOCOLS[kafka.security]
    jaas = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
            f'username="{ADMIN_USER}" password="{password}";')
    props = {
        "listeners": f"{listener}://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"{listener}://{host}:{port}",
        "inter.broker.listener.name": listener,
        "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,{listener}:{listener}",
        "sasl.enabled.mechanisms": SCRAM_MECHANISM,
        "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
        f"listener.name.{listener.lower()}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config": jaas,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{ADMIN_USER};User:ANONYMOUS",
    }
    if kafka.security == "sasl_ssl":
        certificate = ensure_server_certificate(kafka.tls_dir.resolve(), "kafka",
                                                [host, "localhost"])
        props.update({
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(certificate.keystore_file),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(kafka.trusted_ca.resolve()),
            "ssl.endpoint.identification.algorithm": "https",
            "ssl.enabled.protocols": "TLSv1.3,TLSv1.2",
        })
    return props


def scram_format_arguments(kafka: KafkaSettings) -> list[str]:
    """``kafka-storage format`` arguments that put the admin's SCRAM credential into the
    bootstrap metadata (SCRAM credentials live in the KRaft metadata log; the other users are
    added through the admin API by ``apply_security``). Nothing under plaintext."""
    if kafka.security == "plaintext":
        return []
    password = admin_password(kafka).get_secret_value()
    return ["--add-scram", f"{SCRAM_MECHANISM}=[name={ADMIN_USER},password={password}]"]


def ensure_credentials(path: Path, names: Iterable[str]) -> dict[str, SecretStr]:
    """The credentials file with a random password for every user in ``names`` (existing
    passwords kept); written 0600 under a lock."""
    with locked(path):
        current = read_credentials(path)
        missing = [n for n in names if n not in current]
        if missing:
            current.update({n: SecretStr(secrets.token_urlsafe(24)) for n in missing})
            doc = {n: p.get_secret_value() for n, p in sorted(current.items())}
            write_private(path, json.dumps(doc, indent=1).encode() + b"\n")
            log.info("kafka.credentials_added", users=missing, file=str(path))
        return current


def admin_password(kafka: KafkaSettings) -> SecretStr:
    """The admin user's password, created in the credentials file when missing."""
    return ensure_credentials(kafka.credentials_file, [ADMIN_USER])[ADMIN_USER]


@dataclass
class SecurityReport:
    users_created: list[str] = field(default_factory=list)
    acls_created: int = 0
    acls_deleted: int = 0
    acls_unchanged: int = 0


def apply_security(admin: KafkaAdminClient, layout: TopicLayout, app_id: str,
                   credentials: Mapping[str, SecretStr]) -> SecurityReport:
    """Create missing SCRAM users, then make the broker's ALLOW ACLs of our users equal to
    ``acl_table``: add what is missing, remove what the table no longer grants. Idempotent."""
    report = SecurityReport()
    names = [n for n in users(layout) if n != ADMIN_USER]
    known = admin.describe_user_scram_credentials()
    new = [n for n in names if not _has_scram(known.get(n))]
    if new:
        errors = admin.alter_user_scram_credentials([
            UserScramCredentialUpsertion(n, ScramMechanism.SCRAM_SHA_512,
                                         credentials[n].get_secret_value()) for n in new])
        failed = {n: e for n, e in errors.items() if e}
        if failed:
            raise KafkaSecurityError("SCRAM users", str(failed))
        report.users_created = new
    wanted = set(acl_table(layout, app_id))
    existing = _existing_grants(admin, set(names))
    missing = sorted(wanted - existing)
    stale = sorted(existing - wanted)
    if missing:
        result = admin.create_acls([g.to_acl() for g in missing])
        if result["failed"]:
            raise KafkaSecurityError("ACLs", str(result["failed"]))
    if stale:
        for _, _, error in admin.delete_acls([g.to_acl() for g in stale]):
            if error.errno:
                raise KafkaSecurityError("ACL deletion", error.__name__)
    report.acls_created, report.acls_deleted = len(missing), len(stale)
    report.acls_unchanged = len(wanted & existing)
    log.info("kafka.security_applied", users_created=report.users_created,
             acls_created=report.acls_created, acls_deleted=report.acls_deleted,
             acls_unchanged=report.acls_unchanged)
    return report


def await_security(kafka: KafkaSettings, layout: TopicLayout, timeout_s: float = 60.0) -> None:
    """Wait until every broker lets the first partner's user in and shows it its inbound topic.

    SCRAM users and ACLs reach each broker through the metadata log a moment after the
    controller accepted them: a client that meets a broker still behind is refused (seen on a
    three-broker cluster under load). The probe user was created and granted with the others,
    so a broker that knows it knows them all."""
    partner = layout.partners[0]
    user, topic = partner_user(partner), layout.inbound_of(partner)
    options = client_options(kafka, user)
    deadline = time.monotonic() + timeout_s
    for server in kafka.bootstrap_servers.split(","):
        while not _sees_topic(options, server, topic):
            if time.monotonic() > deadline:
                raise KafkaSecurityError("SCRAM users and ACLs",
                                         f"broker {server} did not let {user} see {topic} "
                                         f"within {timeout_s:.0f} s")
            time.sleep(0.5)
    log.info("kafka.security_propagated", brokers=kafka.bootstrap_servers, probe_user=user)


def _sees_topic(options: Mapping[str, Any], server: str, topic: str) -> bool:
    """Whether ``server`` authenticates ``options``' user and shows it ``topic``."""
    try:
        consumer = KafkaConsumer(**{**options, "bootstrap_servers": server},
                                 request_timeout_ms=10_000)
    except KafkaError:
        return False
    try:
        return topic in consumer.topics()
    except KafkaError:
        return False
    finally:
        consumer.close()


def _has_scram(described: Mapping[str, object] | None) -> bool:
    if not described or described.get("error"):
        return False
    infos = described.get("credential_infos") or []
    assert isinstance(infos, Sequence)
    return any(info["mechanism"] == ScramMechanism.SCRAM_SHA_512 for info in infos)


def _existing_grants(admin: KafkaAdminClient, names: set[str]) -> set[Grant]:
    """The ALLOW ACLs on the broker whose principal is one of ``names``."""
    everything = ACLFilter(principal=None, host=None, operation=ACLOperation.ANY,
                           permission_type=ACLPermissionType.ANY,
                           resource_pattern=ResourcePatternFilter(
                               ResourceType.ANY, None, ACLResourcePatternType.ANY))
    acls, _ = admin.describe_acls(everything)
    return {Grant.from_acl(acl) for acl in acls
            if acl.permission_type == ACLPermissionType.ALLOW
            and acl.principal.removeprefix("User:") in names}
