"""Login sessions of the explorer, kept in the process (a restart logs everyone out).

A session is a random token in an HttpOnly, SameSite=Strict cookie; only its SHA-256 is kept
here. It ends after ``idle`` without a request or ``lifetime`` after login, whichever comes
first. Each session has its own CSRF token, which every state-changing request must echo in a
header (compared in constant time). Failed logins are throttled by ``explorer.throttle``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from explorer.accounts import Account


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Session:
    account: Account
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Sessions by token digest, with expiry and CSRF tokens."""

    def __init__(self, idle: timedelta, lifetime: timedelta,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._idle, self._lifetime, self._clock = idle, lifetime, clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, account: Account) -> tuple[str, Session]:
        """A new session: its token (for the cookie; not kept here) and the session."""
        token, now = secrets.token_urlsafe(32), self._clock()
        session = Session(account, secrets.token_urlsafe(32), now, now,
                          min(now + self._idle, now + self._lifetime))
        with self._lock:
            self._sessions[_key(token)] = session
        return token, session

    def find(self, token: str | None) -> Session | None:
        """The live session of ``token`` as it is (its expiry not moved), or None (unknown or
        expired; an expired one is forgotten). A request is checked with this first and only
        ``touch``-ed once it is accepted, so a refused request does not extend a session."""
        if not token:
            return None
        now, key = self._clock(), _key(token)
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and now >= session.expires_at:
                del self._sessions[key]
                return None
            return session

    def touch(self, token: str | None) -> Session | None:
        """The live session of ``token`` with its idle expiry moved on, or None (unknown or
        expired; an expired one is forgotten)."""
        if not token:
            return None
        now, key = self._clock(), _key(token)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now >= session.expires_at:
                del self._sessions[key]
                return None
            session = replace(session, last_seen=now, expires_at=min(
                now + self._idle, session.created_at + self._lifetime))
            self._sessions[key] = session
            return session

    def close(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(_key(token), None)

    def close_account(self, username: str) -> int:
        """End every session of an account (removed or disabled); how many."""
        with self._lock:
            keys = [k for k, s in self._sessions.items() if s.account.username == username]
            for key in keys:
                del self._sessions[key]
        return len(keys)

    @staticmethod
    def csrf_ok(session: Session, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(session.csrf_token.encode(),
                                                         given.encode())
