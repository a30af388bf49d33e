"""Platform settings: the one place that reads the environment.

``Settings()`` is built once in the CLI's entry point and passed down; nothing
else reads ``os.environ``. Nested values use ``__``, e.g.
``KETENLINK_KAFKA__PORT=19092`` or ``KETENLINK_NEO4J__BOLT_PORT=17687``.

Secrets (the pseudonym key, the audit key, the Neo4j password) not set in the environment come
from ``secrets_file`` (0600 JSON). In development its first use creates it: random secrets for a
fresh installation, or the development defaults for one whose ``var/`` already holds a Neo4j
store or Kafka data made with them (changing them would lock Neo4j and change every pseudonym).
In production nothing is generated, and a missing, empty or development secret is refused.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ketenlink.private_files import locked, write_private

_FROZEN = ConfigDict(frozen=True, extra="forbid")
DEVELOPMENT_AUDIT_KEY = "ketenlink-local-development-audit-key-not-for-production"
DEVELOPMENT_PSEUDONYM_KEY = "ketenlink-local-development-key-not-for-production"
DEVELOPMENT_NEO4J_PASSWORD = "ketenlink-local-dev"
NODE_PORT_STEP = 10
"""Node i of a local Kafka cluster listens on the configured ports plus ``NODE_PORT_STEP * i``."""


class KafkaSettings(BaseModel):
    """Where the broker listens and which release the local stack runs."""

    model_config = _FROZEN

    host: str = "127.0.0.1"
    port: int = Field(default=19092, ge=1, le=65535)
    controller_port: int = Field(default=19093, ge=1, le=65535)
    version: str = "4.1.1"
    heap: str = "1g"
    brokers: int = Field(
        default=1, ge=1, le=9,
        description="Nodes of the KRaft cluster, each a broker and a controller; node i listens "
                    "on port + 10·i and controller_port + 10·i. From 3 on, every topic has "
                    "replication factor 3 and min.insync.replicas 2.")
    security: Literal["plaintext", "sasl"] = Field(
        default="plaintext",
        description="plaintext: no authentication (local development, the test suite). sasl: "
                    "SASL_PLAINTEXT with SCRAM-SHA-512 users and ACLs (infra/kafka_security.py); "
                    "add TLS (SASL_SSL) before traffic leaves the host.")
    user: str | None = Field(
        default=None,
        description="This process's Kafka user under security=sasl, e.g. svc-worker or "
                    "partner-kvk.")
    password: SecretStr | None = Field(
        default=None,
        description="The user's password; when unset it is read from credentials_file.")
    credentials_file: Path = Field(
        default=Path("var/kafka-credentials.json"),
        description="0600 JSON of user -> password, written by `ketenlink stack up` under "
                    "security=sasl.")

    @model_validator(mode="after")
    def _node_ports_distinct(self) -> KafkaSettings:
        ports = [p for i in range(self.brokers)
                 for p in (self.node_port(i), self.node_controller_port(i))]
        if len(set(ports)) < len(ports) or max(ports) > 65535:
            raise ValueError(f"the {self.brokers} nodes' ports {ports} must be distinct and at "
                             "most 65535 (node i uses port and controller_port + 10·i)")
        return self

    def node_port(self, node: int) -> int:
        """The client port of node ``node`` (0-based)."""
        return self.port + NODE_PORT_STEP * node

    def node_controller_port(self, node: int) -> int:
        """The controller port of node ``node`` (0-based)."""
        return self.controller_port + NODE_PORT_STEP * node

    @property
    def bootstrap_servers(self) -> str:
        """Every node's client address, comma-separated."""
        return ",".join(f"{self.host}:{self.node_port(i)}" for i in range(self.brokers))


class Neo4jSettings(BaseModel):
    """Where Neo4j's Bolt connector listens, the credentials and the release."""

    model_config = _FROZEN

    host: str = "127.0.0.1"
    bolt_port: int = Field(default=17687, ge=1, le=65535)
    user: str = "neo4j"
    password: SecretStr = SecretStr(DEVELOPMENT_NEO4J_PASSWORD)
    database: str = "neo4j"
    version: str = "5.26.16"
    heap: str = "1g"
    pagecache: str = "256m"

    @property
    def uri(self) -> str:
        return f"bolt://{self.host}:{self.bolt_port}"


class GatewaySettings(BaseModel):
    """The HTTP gateway partners publish through."""

    model_config = _FROZEN

    host: str = "127.0.0.1"
    port: int = Field(default=18080, ge=1, le=65535)
    tokens_file: Path = Path("var/gateway/tokens.json")
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_batch: int = Field(default=500, ge=1)
    rate_limit_per_minute: int = Field(default=6000, ge=1)
    api_docs: bool = Field(
        default=False,
        description="Serve the interactive API pages /docs and /redoc (development only: they "
                    "load scripts from a public CDN). /openapi.json is always served.")


class ExplorerSettings(BaseModel):
    """``ketenlink explorer``: the analysts' web application."""

    model_config = _FROZEN

    host: str = "127.0.0.1"
    port: int = Field(default=18090, ge=1, le=65535)
    users_file: Path = Path("var/explorer/users.json")
    session_idle_minutes: float = Field(default=30.0, gt=0)
    session_max_hours: float = Field(default=8.0, gt=0)
    login_attempts: int = Field(
        default=5, ge=1,
        description="Failed logins a client address (and a user name) may have before each "
                    "further failure adds a growing wait.")
    login_backoff_s: float = Field(
        default=1.0, gt=0,
        description="The first wait; it doubles with every further failure of the address, "
                    "and a client failing on a name that has used up its attempts waits at "
                    "least the name's own wait. A correct password from an address that is "
                    "not waiting always gets in.")
    login_backoff_max_s: float = Field(
        default=900.0, gt=0,
        description="The longest wait; an address's or name's failures are forgotten once it "
                    "has been quiet this long after its wait ended.")


class WebhookSettings(BaseModel):
    """``ketenlink deliver``: webhook secrets, retry backoff and timeouts."""

    model_config = _FROZEN

    secrets_file: Path = Path("var/webhooks/secrets.json")
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    backoff_jitter: float = Field(default=0.1, ge=0, le=1,
                                  description="Each delay is shortened by up to this fraction.")
    request_timeout_s: float = Field(default=10.0, gt=0)
    registry_check_s: float = Field(default=5.0, gt=0,
                                    description="How often added/removed webhooks are noticed.")


class Settings(BaseSettings):
    """Everything configurable about a Ketenlink process, resolved once."""

    model_config = SettingsConfigDict(
        env_prefix="KETENLINK_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    environment: Literal["development", "production"] = Field(
        default="development",
        description="production refuses to start while a secret (pseudonym key, audit key, "
                    "Neo4j password) is empty or has its development default from this file.")
    secrets_file: Path = Field(
        default=Path("var/secrets.json"),
        description="Secrets not set in the environment come from here (0600 JSON); in "
                    "development its first use creates it. Keep it with var/.")
    var_dir: Path = Path("var")
    cache_dir: Path = Path.home() / ".cache" / "ketenlink"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    kafka: KafkaSettings = KafkaSettings()
    neo4j: Neo4jSettings = Neo4jSettings()
    gateway: GatewaySettings = GatewaySettings()
    webhook: WebhookSettings = WebhookSettings()
    explorer: ExplorerSettings = ExplorerSettings()
    audit_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_AUDIT_KEY),
        description="HMAC key that seals the audit log's hash chains; set your own outside "
                    "development and keep it from those who can write the audit topic.",
    )
    pseudonym_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_PSEUDONYM_KEY),
        description="HMAC key for BSN and patient pseudonyms; set your own outside development.",
    )
    faust_app_id: str = "ketenlink"
    worker_store: Literal["memory", "rocksdb"] = Field(
        default="memory",
        description="Where the resolve stage keeps its tables: in memory (fastest; memory grows "
                    "with the state) or in RocksDB under var_dir (memory stays flat).",
    )
    topic_prefix: str = ""

    @model_validator(mode="after")
    def _secrets_from_file_and_none_by_default_in_production(self) -> Settings:
        given = {"pseudonym_key": "pseudonym_key" in self.model_fields_set,
                 "audit_key": "audit_key" in self.model_fields_set,
                 "neo4j_password": "password" in self.neo4j.model_fields_set}
        if not all(given.values()):
            stored = _stored_secrets(self.secrets_file, self.var_dir,
                                     create=self.environment == "development")
            if stored is not None:
                # frozen: the stored values are set once, here, while the object is made
                for name in ("pseudonym_key", "audit_key"):
                    if not given[name]:
                        object.__setattr__(self, name, SecretStr(stored[name]))
                if not given["neo4j_password"]:
                    object.__setattr__(self, "neo4j", self.neo4j.model_copy(
                        update={"password": SecretStr(stored["neo4j_password"])}))
        if self.environment == "production" and (names := self.development_secrets()):
            raise ValueError("KETENLINK_ENVIRONMENT=production refuses a missing secret or a "
                             f"development default: set {', '.join(names)}")
        return self

    def development_secrets(self) -> list[str]:
        """The environment variables of the secrets that are empty or still hold the
        development default written in this file (``ketenlink stack status`` warns of them)."""
        secrets = (("KETENLINK_PSEUDONYM_KEY", self.pseudonym_key, DEVELOPMENT_PSEUDONYM_KEY),
                   ("KETENLINK_AUDIT_KEY", self.audit_key, DEVELOPMENT_AUDIT_KEY),
                   ("KETENLINK_NEO4J__PASSWORD", self.neo4j.password,
                    DEVELOPMENT_NEO4J_PASSWORD))
        return [name for name, value, default in secrets
                if value.get_secret_value().strip() in ("", default)]


SECRET_NAMES = ("pseudonym_key", "audit_key", "neo4j_password")
DEVELOPMENT_SECRETS = {"pseudonym_key": DEVELOPMENT_PSEUDONYM_KEY,
                       "audit_key": DEVELOPMENT_AUDIT_KEY,
                       "neo4j_password": DEVELOPMENT_NEO4J_PASSWORD}


def _stored_secrets(path: Path, var_dir: Path, *, create: bool) -> dict[str, str] | None:
    """The secrets in ``path``; when it is missing and ``create``, made first (random, or the
    development defaults for a ``var_dir`` that already holds data made with them), else
    None. Raises ``ValueError`` (a settings error) for an unreadable or incomplete file."""
    try:
        if not path.is_file():
            if not create:
                return None
            with locked(path):  # one process creates it; the others read it
                if not path.is_file():
                    legacy = (var_dir / "neo4j").exists() or any(var_dir.glob("kafka*"))
                    made = dict(DEVELOPMENT_SECRETS) if legacy else {
                        name: secrets.token_urlsafe(32) for name in SECRET_NAMES}
                    write_private(path, json.dumps(made, indent=2).encode())
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"secrets file {path}: {exc}") from exc
    if not isinstance(stored, dict) or not all(
            isinstance(stored.get(name), str) for name in SECRET_NAMES):
        raise ValueError(f"secrets file {path}: needs the strings {', '.join(SECRET_NAMES)}")
    return {name: stored[name] for name in SECRET_NAMES}
