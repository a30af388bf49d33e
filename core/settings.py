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

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.local_secrets import DEVELOPMENT_DEFAULTS, SECRET_NAMES, load_or_create

_FROZEN = ConfigDict(frozen=True, extra="forbid")
DEVELOPMENT_AUDIT_KEY = DEVELOPMENT_DEFAULTS["audit_key"]
DEVELOPMENT_PSEUDONYM_KEY = DEVELOPMENT_DEFAULTS["pseudonym_key"]
DEVELOPMENT_NEO4J_PASSWORD = DEVELOPMENT_DEFAULTS["neo4j.password"]
DEFAULT_SECRETS_FILE = Path("var/secrets.json")
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
    security: Literal["plaintext", "sasl", "sasl_ssl"] = Field(
        default="plaintext",
        description="plaintext: no authentication (local development, the test suite). sasl: "
                    "SCRAM-SHA-512 users and ACLs (infra/kafka_security.py) over "
                    "SASL_PLAINTEXT, for loopback only. sasl_ssl: the same over TLS, the "
                    "production mode; `stack up` makes a local CA and the brokers' "
                    "certificates under tls_dir.")
    servers: str | None = Field(
        default=None, pattern=r"^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$",
        description="host:port,... of brokers elsewhere (a cluster of your own or a managed "
                    "one): clients bootstrap from it and `ketenlink stack` starts no Kafka.")
    tls_dir: Path = Field(
        default=Path("var/tls"),
        description="Under sasl_ssl: the local CA and the brokers' keys and certificates "
                    "(0600), made by `ketenlink stack up`.")
    ca_file: Path | None = Field(
        default=None,
        description="The CA certificate (PEM) clients trust under sasl_ssl; default the local "
                    "CA, tls_dir/ca.pem. Set it to your own CA's for brokers elsewhere.")
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
    def trusted_ca(self) -> Path:
        """The CA certificate clients verify the brokers against under sasl_ssl."""
        return self.ca_file or self.tls_dir / "ca.pem"

    @property
    def bootstrap_servers(self) -> str:
        """``servers`` when set (brokers elsewhere), else every local node's client address,
        comma-separated."""
        if self.servers:
            return self.servers
        return ",".join(f"{self.host}:{self.node_port(i)}" for i in range(self.brokers))

    @property
    def local(self) -> bool:
        """Whether the brokers are the ones ``ketenlink stack`` runs on this host."""
        return not self.servers


class Neo4jSettings(BaseModel):
    """Where Neo4j's Bolt connector listens, the credentials and the release."""

    model_config = _FROZEN

    host: str = "127.0.0.1"
    bolt_port: int = Field(default=17687, ge=1, le=65535)
    user: str = "neo4j"
    password: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_NEO4J_PASSWORD),
        description="Set on every start of the local server. Unset, Settings takes the one "
                    "generated for this installation (secrets_file).")
    database: str = "neo4j"
    version: str = "5.26.16"
    heap: str = "1g"
    pagecache: str = "256m"

    @property
    def uri(self) -> str:
        return f"bolt://{self.host}:{self.bolt_port}"


class TlsFiles(BaseModel):
    """A certificate chain and its key (PEM) an HTTP service answers over TLS with; both unset
    is plain HTTP (loopback, or behind a reverse proxy that ends TLS)."""

    model_config = _FROZEN

    cert_file: Path | None = Field(default=None, description="PEM: the certificate, then its "
                                                             "chain up to the CA.")
    key_file: Path | None = Field(default=None, description="PEM: the private key (keep it "
                                                            "0600).")

    @model_validator(mode="after")
    def _both_or_neither(self) -> TlsFiles:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("tls needs both cert_file and key_file, or neither")
        return self

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None


class GatewaySettings(BaseModel):
    """The HTTP gateway partners publish through."""

    model_config = _FROZEN

    tls: TlsFiles = TlsFiles()
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

    tls: TlsFiles = TlsFiles()
    secure_cookie: bool | None = Field(
        default=None, description="Mark the session cookie Secure (sent over HTTPS only). "
                                  "Default: when tls is on; set true behind a reverse proxy "
                                  "that ends TLS.")
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

    @property
    def cookie_secure(self) -> bool:
        """Whether the session cookie is marked Secure: as set, else when TLS is on."""
        return self.tls.enabled if self.secure_cookie is None else self.secure_cookie


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

    var_dir: Path = Path("var")
    cache_dir: Path = Path.home() / ".cache" / "ketenlink"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    kafka: KafkaSettings = KafkaSettings()
    neo4j: Neo4jSettings = Neo4jSettings()
    gateway: GatewaySettings = GatewaySettings()
    webhook: WebhookSettings = WebhookSettings()
    explorer: ExplorerSettings = ExplorerSettings()
    environment: Literal["development", "production"] = Field(
        default="development",
        description="production: every secret must be given (environment or an existing "
                    "secrets_file); none is generated and a development default is refused.",
    )
    secrets_file: Path = Field(
        default=DEFAULT_SECRETS_FILE,
        description="0600 JSON with this installation's random pseudonym key, audit key and "
                    "Neo4j password, created on first use in development; a secret set in the "
                    "environment wins over it.",
    )
    audit_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_AUDIT_KEY),
        description="HMAC key that seals the audit log's hash chains; unset, the installation's "
                    "own from secrets_file. Keep it from those who can write the audit topic.",
    )
    pseudonym_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_PSEUDONYM_KEY),
        description="HMAC key for BSN and patient pseudonyms; unset, the installation's own from "
                    "secrets_file. Whoever holds it can test a BSN against a pseudonym.",
    )
    faust_app_id: str = "ketenlink"
    worker_store: Literal["memory", "rocksdb"] = Field(
        default="memory",
        description="Where the resolve stage keeps its tables: in memory (fastest; memory grows "
                    "with the state) or in RocksDB under var_dir (memory stays flat).",
    )
    topic_prefix: str = ""

    @model_validator(mode="before")
    @classmethod
    def _installation_secrets(cls, data: Any) -> Any:
        """Fill each secret not given from the installation's secrets file (created on first use
        in development: random, or the development defaults where ``var_dir`` already holds data
        made with them); in production refuse what is missing."""
        if not isinstance(data, dict):
            return data
        missing = [name for name in SECRET_NAMES if not _secret_given(data, name)]
        if not missing:
            return data
        production = data.get("environment") == "production"
        path = Path(data.get("secrets_file") or DEFAULT_SECRETS_FILE)
        var_dir = Path(data.get("var_dir") or "var")
        made_before = (var_dir / "neo4j").exists() or any(var_dir.glob("kafka*"))
        try:
            stored = load_or_create(path, create=not production, keep_defaults=made_before)
        except OSError as exc:
            raise ValueError(f"secrets_file {path}: {exc.strerror or exc}") from None
        if production and stored is None:
            names = ", ".join(f"KETENLINK_{name.upper().replace('.', '__')}" for name in missing)
            raise ValueError(f"environment=production needs its own secrets: set {names} or "
                             f"provide secrets_file {path}")
        filled = dict(data)
        for name in missing:
            _put_secret(filled, name, (stored or {})[name])
        return filled

    @model_validator(mode="after")
    def _no_default_in_production(self) -> Settings:
        if self.environment == "production" and (defaults := self.secrets_at_default()):
            raise ValueError(f"environment=production refuses development defaults: {defaults}")
        return self

    def secrets_at_default(self) -> list[str]:
        """The secrets that are empty or still hold the development default written in this
        source (``stack status`` warns of them; production refuses them)."""
        values = {"pseudonym_key": (self.pseudonym_key, DEVELOPMENT_PSEUDONYM_KEY),
                  "audit_key": (self.audit_key, DEVELOPMENT_AUDIT_KEY),
                  "neo4j.password": (self.neo4j.password, DEVELOPMENT_NEO4J_PASSWORD)}
        return [name for name, (value, default) in values.items()
                if value.get_secret_value().strip() in ("", default)]


def _secret_given(data: dict[str, Any], name: str) -> bool:
    """Whether ``name`` (``neo4j.password`` for the nested one) came from the environment or
    the caller."""
    if name != "neo4j.password":
        return data.get(name) is not None
    neo4j = data.get("neo4j")
    if isinstance(neo4j, Neo4jSettings):
        return "password" in neo4j.model_fields_set
    return isinstance(neo4j, dict) and neo4j.get("password") is not None


def _put_secret(data: dict[str, Any], name: str, value: str) -> None:
    if name != "neo4j.password":
        data[name] = value
        return
    neo4j = data.get("neo4j")
    if isinstance(neo4j, Neo4jSettings):
        data["neo4j"] = neo4j.model_copy(update={"password": SecretStr(value)})
    else:
        data["neo4j"] = {**(neo4j if isinstance(neo4j, dict) else {}), "password": value}
