"""Explorer sessions: expiry (idle and absolute), CSRF tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from explorer.accounts import Account
from explorer.sessions import SessionStore

ANA = Account("ana", "riec")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _store(clock: Clock) -> SessionStore:
    return SessionStore(timedelta(minutes=30), timedelta(hours=8), clock=clock)


def test_a_session_lives_while_used_and_ends_after_idle_time() -> None:
    clock = Clock()
    store = _store(clock)
    token, _ = store.open(ANA)
    clock.now += timedelta(minutes=29)
    assert store.touch(token) is not None  # a request moves the idle expiry on
    clock.now += timedelta(minutes=29)
    assert store.touch(token) is not None
    clock.now += timedelta(minutes=31)
    assert store.touch(token) is None
    assert store.touch(token) is None  # forgotten, not revived


def test_a_session_ends_after_its_lifetime_however_busy() -> None:
    clock = Clock()
    store = _store(clock)
    token, _ = store.open(ANA)
    for _ in range(16):
        clock.now += timedelta(minutes=29)
        store.touch(token)
    clock.now += timedelta(minutes=20)  # 8 h 4 min after login
    assert store.touch(token) is None


def test_only_the_digest_of_a_token_is_kept_and_csrf_is_per_session() -> None:
    store = _store(Clock())
    token, session = store.open(ANA)
    other_token, other = store.open(ANA)
    assert token not in repr(store.__dict__)
    assert store.csrf_ok(session, session.csrf_token)
    assert not store.csrf_ok(session, other.csrf_token)
    assert not store.csrf_ok(session, None)
    store.close(token)
    assert store.touch(token) is None and store.touch(other_token) is not None
    assert store.close_account("ana") == 1 and store.touch(other_token) is None


def test_finding_a_session_does_not_extend_it() -> None:
    clock = Clock()
    store = _store(clock)
    token, _ = store.open(ANA)
    clock.now += timedelta(minutes=20)
    assert store.find(token) is not None
    clock.now += timedelta(minutes=11)  # 31 min after the last touch (the login)
    assert store.find(token) is None and store.touch(token) is None
