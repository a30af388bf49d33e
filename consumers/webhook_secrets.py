"""Per-partner webhook signing secrets in one JSON file (mode 0600).

The deliverer needs each secret in clear to compute the HMAC, so the file holds them in clear:
protect it like a private key. ``rotate`` writes a new secret (256 random bits) and returns it;
``ketenlink deliver secret <partner>`` prints it once for the partner's receiver. A running
deliverer notices the changed file (inode, mtime, size) on its next attempt and signs with the
new secret from then on — there is no overlap window, so the receiver must switch at the same
time (or accept both for a while on its side).

Writes take an exclusive ``flock`` on ``<file>.lock`` and replace the file atomically, as the
gateway's token store does.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

import structlog
from pydantic import BaseModel, ConfigDict, Field

from consumers.exceptions import WebhookSecretError
from core.private_model_file import PrivateModelFile, Stamp

log = structlog.get_logger(__name__)

SECRET_PREFIX = "whsec_"


class SecretRecord(BaseModel):
    """One partner's current signing secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: str = Field(min_length=16)
    created_at: datetime


class SecretFile(BaseModel):
    """The shape of the secrets file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    secrets: dict[str, SecretRecord] = Field(default_factory=dict)


class SecretStore:
    """Reads (for the deliverer, from any thread) and rotates (for the CLI) webhook secrets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = PrivateModelFile(path, SecretFile, "secrets file", WebhookSecretError)
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._secrets: dict[str, SecretRecord] = {}

    def get(self, partner: str) -> str | None:
        """The partner's current secret, or None when it has none (or there is no file).

        Raises ``WebhookSecretError`` when the file exists but cannot be read or parsed.
        """
        with self._lock:
            self._refresh()
            record = self._secrets.get(partner)
        return record.secret if record else None

    def partners(self) -> tuple[str, ...]:
        with self._lock:
            self._refresh()
            return tuple(sorted(self._secrets))

    def rotate(self, partner: str) -> str:
        """Create or replace the partner's secret; returns it (the only time it is shown)."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        record = SecretRecord(secret=secret, created_at=datetime.now(UTC))
        with self._file.locked():
            current = self._file.read()
            replaced = partner in current.secrets
            self._file.write(SecretFile(version=current.version,
                                   secrets={**current.secrets, partner: record}))
        log.info("webhook.secret.rotated" if replaced else "webhook.secret.created",
                 partner=partner, path=str(self.path))
        return secret

    def _refresh(self) -> None:
        stamp = self._file.stamp()
        if stamp is None:
            self._stamp, self._secrets = None, {}
        elif stamp != self._stamp:
            self._secrets = dict(self._file.read().secrets)
            self._stamp = stamp
            log.info("webhook.secrets.loaded", path=str(self.path), partners=sorted(self._secrets))
