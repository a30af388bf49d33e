"""Partner bearer tokens, stored only as salted SHA-256 digests in one JSON file (mode 0600).

A token reads ``kl1.<token id>.<secret>``: the id (public, 12 hex) finds the record without
hashing every entry, the secret (256 random bits) is what is checked. A fast hash is enough for
a secret of that strength; the per-token salt keeps equal digests from ever revealing anything.
The clear token exists once, in the return value of ``create``.

Writes take an exclusive ``flock`` on ``<file>.lock`` and replace the file atomically, so a CLI
creating or revoking tokens while the gateway runs is safe; the gateway notices the new file
(inode, mtime, size) on its next request and reloads it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from pathlib import Path

import structlog
from pydantic import BaseModel, ConfigDict, Field

from core.private_model_file import PrivateModelFile, Stamp
from producers.exceptions import TokenRejectedError, TokenStoreError

log = structlog.get_logger(__name__)

TOKEN_PREFIX = "kl1"
_ID_HEX = 12
_SALT_BYTES = 16
_DUMMY_SALT = bytes(_SALT_BYTES)


class TokenRecord(BaseModel):
    """One issued token as stored: never the token itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token_id: str = Field(pattern=rf"^[0-9a-f]{{{_ID_HEX}}}$")
    partner: str = Field(min_length=1)
    salt: str = Field(pattern=r"^[0-9a-f]+$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: datetime
    revoked_at: datetime | None = None


class TokenFile(BaseModel):
    """The shape of the tokens file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    tokens: tuple[TokenRecord, ...] = ()


def _digest(salt: bytes, token: str) -> str:
    return hashlib.sha256(salt + token.encode()).hexdigest()


def _split(token: str) -> tuple[str, str]:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != _ID_HEX or not parts[2]:
        raise TokenRejectedError("malformed")
    return parts[1], parts[2]


class TokenStore:
    """Issues, revokes and checks partner tokens kept in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = PrivateModelFile(path, TokenFile, "tokens file", TokenStoreError)
        self._stamp: Stamp | None = None
        self._by_id: dict[str, TokenRecord] = {}

    # -- checking (the gateway) -------------------------------------------------------------

    def authenticate(self, token: str) -> str:
        """The partner a token belongs to; ``TokenRejectedError`` if malformed, unknown or revoked.

        Raises ``TokenStoreError`` if the file cannot be read: the caller fails closed.
        """
        token_id, _ = _split(token)
        self._refresh()
        record = self._by_id.get(token_id)
        if record is None:
            hmac.compare_digest(_digest(_DUMMY_SALT, token), "0" * 64)  # same work as a hit
            raise TokenRejectedError("unknown", token_id)
        if not hmac.compare_digest(_digest(bytes.fromhex(record.salt), token), record.sha256):
            raise TokenRejectedError("wrong secret", token_id)
        if record.revoked_at is not None:
            raise TokenRejectedError("revoked", token_id)
        return record.partner

    def records(self) -> tuple[TokenRecord, ...]:
        """Every issued token's record, revoked ones included (for listing; no secrets)."""
        self._refresh()
        return tuple(self._by_id.values())

    def _refresh(self) -> None:
        stamp = self._file.stamp()
        if stamp is None:  # no file, no tokens: every request is refused
            self._stamp, self._by_id = None, {}
        elif stamp != self._stamp:
            self._by_id = {r.token_id: r for r in self._file.read().tokens}
            self._stamp = stamp
            log.info("gateway.tokens.loaded", path=str(self.path), tokens=len(self._by_id))

    # -- issuing and revoking (the CLI) -----------------------------------------------------

    def create(self, partner: str) -> str:
        """Issue a new token for ``partner`` and return it; only its digest is stored."""
        token_id = secrets.token_hex(_ID_HEX // 2)
        token = f"{TOKEN_PREFIX}.{token_id}.{secrets.token_urlsafe(32)}"
        salt = secrets.token_bytes(_SALT_BYTES)
        record = TokenRecord(token_id=token_id, partner=partner, salt=salt.hex(),
                             sha256=_digest(salt, token), created_at=datetime.now(UTC))
        with self._file.locked():
            current = self._file.read()
            self._file.write(TokenFile(version=current.version, tokens=(*current.tokens, record)))
        log.info("gateway.token.created", partner=partner, token_id=token_id)
        return token

    def revoke(self, partner: str) -> int:
        """Revoke every active token of ``partner``; the number revoked (0 if none)."""
        now = datetime.now(UTC)
        with self._file.locked():
            current = self._file.read()
            revoked = [r.token_id for r in current.tokens
                       if r.partner == partner and r.revoked_at is None]
            if revoked:
                tokens = tuple(r.model_copy(update={"revoked_at": now}) if r.token_id in revoked
                               else r for r in current.tokens)
                self._file.write(TokenFile(version=current.version, tokens=tokens))
        log.info("gateway.token.revoked", partner=partner, token_ids=revoked)
        return len(revoked)
