"""How every Ketenlink process reaches Kafka: one place builds the client options.

Under ``KafkaSettings.security`` ``sasl`` or ``sasl_ssl`` a client authenticates with
SCRAM-SHA-512 as ``KafkaSettings.user`` over SASL_PLAINTEXT or, under ``sasl_ssl``, over TLS,
verifying the brokers' certificates (and their names) against ``KafkaSettings.trusted_ca``. The
password comes from ``KafkaSettings.password`` or, when unset, from the credentials file
``ketenlink stack up`` wrote. Passwords never reach a log.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from core.exceptions import KetenlinkError
from core.settings import KafkaSettings, Settings

if TYPE_CHECKING:
    from faust.auth import SASLCredentials
    from kafka import KafkaAdminClient

SCRAM_MECHANISM = "SCRAM-SHA-512"
ADMIN_USER = "admin"
"""The Kafka user that creates topics, users and ACLs (``ketenlink stack bootstrap``)."""
SECURITY_PROTOCOLS = {"sasl": "SASL_PLAINTEXT", "sasl_ssl": "SASL_SSL"}


class KafkaLoginError(KetenlinkError):
    """security=sasl, but no user is configured or no password is known for it."""

    def __init__(self, user: str | None, reason: str) -> None:
        self.user, self.reason = user, reason
        super().__init__(f"no Kafka login for user {user!r}: {reason}")


@contextlib.contextmanager
def admin_client(kafka: KafkaSettings, client_id: str) -> Iterator[KafkaAdminClient]:
    """An admin client logged in as ``ADMIN_USER`` (under sasl), closed afterwards."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**client_options(kafka, ADMIN_USER), client_id=client_id)
    try:
        yield admin
    finally:
        admin.close()


def service_user(service: str) -> str:
    """The Kafka user of a platform service (``worker``, ``sink``…, ``operator`` for the CLI)."""
    return f"svc-{service}"


def for_service(settings: Settings, service: str) -> Settings:
    """``settings`` for a process of ``service``: under sasl or sasl_ssl with no Kafka user
    configured, the service's own user, so that each process has only its own rights (the ACL
    table, infra/kafka_security.py) without an environment of its own."""
    if settings.kafka.security == "plaintext" or settings.kafka.user is not None:
        return settings
    kafka = settings.kafka.model_copy(update={"user": service_user(service)})
    return settings.model_copy(update={"kafka": kafka})


def faust_broker(kafka: KafkaSettings) -> list[str]:
    """faust's ``broker`` setting: one ``kafka://host:port`` URL per bootstrap server."""
    return [f"kafka://{address}" for address in kafka.bootstrap_servers.split(",")]


def read_credentials(path: Path) -> dict[str, SecretStr]:
    """The credentials file: user -> password (empty when the file does not exist)."""
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise KafkaLoginError(None, f"cannot read {path}: {exc}") from exc
    return {str(user): SecretStr(str(password)) for user, password in raw.items()}


def login(kafka: KafkaSettings, user: str | None = None) -> tuple[str, SecretStr] | None:
    """``(user, password)`` this process authenticates with, or None under plaintext.

    ``user`` overrides ``kafka.user`` (the stack's own admin steps use it); the password is
    ``kafka.password`` for the configured user, else the credentials file's entry.
    """
    if kafka.security == "plaintext":
        return None
    name = user or kafka.user
    if not name:
        raise KafkaLoginError(None, "security=sasl needs KETENLINK_KAFKA__USER")
    if kafka.password is not None and name == kafka.user:
        return name, kafka.password
    password = read_credentials(kafka.credentials_file).get(name)
    if password is None:
        raise KafkaLoginError(name, f"set KETENLINK_KAFKA__PASSWORD or add it to "
                                    f"{kafka.credentials_file} (ketenlink stack up writes it)")
    return name, password


def client_options(kafka: KafkaSettings | str, user: str | None = None) -> dict[str, Any]:
    """Keyword arguments for kafka-python's ``KafkaProducer`` / ``KafkaConsumer`` /
    ``KafkaAdminClient``: the bootstrap servers and, under sasl, the SCRAM login.

    A bare ``host:port[,...]`` string is a plaintext connection (callers that still pass
    ``settings.kafka.bootstrap_servers``); pass ``settings.kafka`` to get the security options.
    """
    if isinstance(kafka, str):
        return {"bootstrap_servers": kafka}
    options: dict[str, Any] = {"bootstrap_servers": kafka.bootstrap_servers}
    credentials = login(kafka, user)
    if credentials is not None:
        options.update(security_protocol=SECURITY_PROTOCOLS[kafka.security],
                       sasl_mechanism=SCRAM_MECHANISM, sasl_plain_username=credentials[0],
                       sasl_plain_password=credentials[1].get_secret_value())
    if kafka.security == "sasl_ssl":
        options.update(ssl_cafile=str(_trusted_ca(kafka)), ssl_check_hostname=True)
    return options


def tls_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """A client TLS context trusting ``kafka.trusted_ca`` (names checked), or None when the
    connection is not TLS."""
    if kafka.security != "sasl_ssl":
        return None
    return ssl.create_default_context(cafile=str(_trusted_ca(kafka)))


def _trusted_ca(kafka: KafkaSettings) -> Path:
    if not kafka.trusted_ca.is_file():
        raise KafkaLoginError(kafka.user, f"security=sasl_ssl, but the CA certificate "
                                          f"{kafka.trusted_ca} does not exist (ketenlink stack "
                                          "up makes it; or set KETENLINK_KAFKA__CA_FILE)")
    return kafka.trusted_ca


def faust_credentials(kafka: KafkaSettings) -> SASLCredentials | None:
    """faust's ``broker_credentials`` (aiokafka underneath supports SCRAM-SHA-512)."""
    from faust.auth import SASLCredentials  # faust is heavy: only the faust apps import it

    credentials = login(kafka)
    if credentials is None:
        return None
    return SASLCredentials(username=credentials[0], password=credentials[1].get_secret_value(),
                           mechanism=SCRAM_MECHANISM, ssl_context=tls_context(kafka))
