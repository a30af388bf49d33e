"""Analyst accounts of the explorer: one JSON file, passwords as scrypt hashes.

Each account is an analyst (a person, named in every audit entry) of one partner; only partners
with the ``analyst`` role in the registry get accounts. A password is generated (or given), shown
once and stored as ``scrypt(password, salt)``; a login compares in constant time and costs the
same scrypt whether or not the user exists, so timing does not tell which names exist.

Each account's credentials carry a ``stamp`` (its salt: new when the account is created and when
its password is reset). A session remembers the stamp it logged in with and is honoured only
while the account file still holds that stamp and partner, so removing an account, re-creating a
name or resetting a password ends every session opened before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from pydantic import BaseModel, ConfigDict

from core.private_model_file import PrivateModelFile
from explorer.exceptions import AccountError, AccountFileError
from policy.clearance import Clearance

log = structlog.get_logger(__name__)

USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,39}")
MIN_PASSWORD = 12
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_DUMMY_SALT = bytes(16)


class AccountRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    partner: str
    salt: str
    hash: str
    created_at: datetime
    disabled: bool = False


class AccountFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    accounts: dict[str, AccountRecord] = {}


@dataclass(frozen=True)
class Account:
    """Who logged in: the analyst and the partner they act for."""

    username: str
    partner: str
    stamp: str = ""
    """The credentials this login was made with (the record's salt); a session of an older
    stamp is no longer honoured."""


def _hash(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT).hex()


class AccountStore:
    """The account file (``settings.explorer.users_file``), read on every login so that a
    disabled account is refused at once."""

    def __init__(self, path: Path) -> None:
        self._file = PrivateModelFile(path, AccountFile, "account file", AccountFileError)

    def add(self, username: str, clearance: Clearance, password: str | None = None) -> str:
        """Create ``username`` for the partner of ``clearance`` (which must have the analyst
        role); return the password (generated when not given). Refuses a taken name."""
        if not USERNAME.fullmatch(username):
            raise AccountError(username, "a name is 2-40 characters: a-z first, then a-z, 0-9, "
                                         "'.', '_' or '-'")
        if "analyst" not in clearance.roles:
            raise AccountError(username, f"partner {clearance.partner_id!r} has no analyst role")
        password, salt, digest = _new_credentials(username, password)
        record = AccountRecord(partner=clearance.partner_id, salt=salt, hash=digest,
                               created_at=datetime.now(UTC))
        with self._file.locked():
            current = self._file.read()
            if username in current.accounts:
                raise AccountError(username, "exists already (remove it first)")
            self._file.write(AccountFile(accounts={**current.accounts, username: record}))
        log.info("explorer.account_added", username=username, partner=clearance.partner_id,
                 users_file=str(self._file.path))
        return password

    def reset_password(self, username: str, password: str | None = None) -> str:
        """Give ``username`` a new password (generated when not given) and return it; every
        session opened with the old one ends at its next request. Refuses an unknown name."""
        password, salt, digest = _new_credentials(username, password)
        with self._file.locked():
            current = self._file.read()
            record = current.accounts.get(username)
            if record is None:
                raise AccountError(username, "no such account")
            self._file.write(AccountFile(accounts={
                **current.accounts,
                username: record.model_copy(update={"salt": salt, "hash": digest})}))
        log.info("explorer.account_password_reset", username=username, partner=record.partner,
                 users_file=str(self._file.path))
        return password

    def remove(self, username: str) -> bool:
        """Delete an account; whether it existed. Its open sessions end at their next request,
        also when the name is created again."""
        with self._file.locked():
            current = self._file.read()
            if username not in current.accounts:
                return False
            self._file.write(AccountFile(accounts={k: v for k, v in current.accounts.items()
                                              if k != username}))
        log.info("explorer.account_removed", username=username, users_file=str(self._file.path))
        return True

    def usernames(self) -> dict[str, str]:
        """Every account's name and partner (never a hash)."""
        return {name: record.partner for name, record in sorted(self._file.read().accounts.items())}

    def verify(self, username: str, password: str) -> Account | None:
        """The account when the password is right and the account enabled, else None."""
        record = self._file.read().accounts.get(username)
        salt = bytes.fromhex(record.salt) if record else _DUMMY_SALT
        given = _hash(password, salt)
        if record is None or record.disabled or not hmac.compare_digest(given, record.hash):
            return None
        return Account(username, record.partner, record.salt)

    def current(self, username: str) -> Account | None:
        """The account as the file holds it now (partner and credential stamp), or None when
        it is absent or disabled: a session is honoured only while this equals its account."""
        record = self._file.read().accounts.get(username)
        if record is None or record.disabled:
            return None
        return Account(username, record.partner, record.salt)

    def active(self, username: str) -> bool:
        return self.current(username) is not None



def _new_credentials(username: str, password: str | None) -> tuple[str, str, str]:
    """(password, salt as hex, scrypt hash as hex); the password generated when not given."""
    password = password or secrets.token_urlsafe(15)
    if len(password) < MIN_PASSWORD:
        raise AccountError(username, f"a password has at least {MIN_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    return password, salt.hex(), _hash(password, salt)
