"""Failed-login throttle of the explorer: growing waits per client address and per user name.

Two tables of strikes, one keyed by the client's address and one by the user name tried:

- A client may fail ``free_failures`` times; from then on each failure makes it wait
  ``base · 2^(failures - free_failures)``, at most ``cap``, before its next attempt (429 with
  ``Retry-After``; the password is not even checked). One attempt per client at a time.
- A name that has failed ``free_failures`` times (from anywhere) is *hot*: a client that fails
  on it waits at least the name's own growing delay. The name itself is never refused, so a
  correct password from a client that is not waiting still gets in: nobody can lock an analyst
  out by failing on their name, and guessing one name from many addresses costs every address a
  wait of up to ``cap`` per wrong guess.

Strikes are forgotten when an address or name has been quiet for ``cap`` after its wait ended;
each table keeps at most ``max_tracked`` entries, dropping those with the fewest failures (then
the oldest) first, so a flood of made-up names or addresses cannot push out a name under attack.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_TRACKED = 10_000
"""Client addresses, and user names, with strikes kept (each)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Strikes:
    failures: int
    last: datetime
    blocked_until: datetime
    busy: bool = False


class LoginThrottle:
    """Growing waits after failed logins, per client address and per user name (see the
    module docstring). Thread-safe; state lives in the process."""

    def __init__(self, free_failures: int, base: timedelta, cap: timedelta,
                 max_tracked: int = MAX_TRACKED,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._free, self._base, self._cap = free_failures, base, cap
        self._max_tracked, self._clock = max_tracked, clock
        self._clients: dict[str, _Strikes] = {}
        self._names: dict[str, _Strikes] = {}
        self._lock = threading.Lock()

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure: none within the free ones, then
        doubling from ``base`` up to ``cap``."""
        if failures < self._free:
            return timedelta(0)
        doublings: int = min(failures - self._free, 30)  # beyond any cap
        return min(self._base * (1 << doublings), self._cap)

    def admit(self, client: str) -> timedelta:
        """Zero when ``client`` may try a login now (and then, until ``done``, no other attempt
        of the same client is admitted); else how long it must wait."""
        now = self._clock()
        with self._lock:
            strikes = self._entry(self._clients, client, now)
            if strikes.busy:
                return max(strikes.blocked_until - now, timedelta(seconds=1))
            if now < strikes.blocked_until:
                return strikes.blocked_until - now
            strikes.busy = True
            return timedelta(0)

    def done(self, client: str, username: str, *, failed: bool) -> timedelta:
        """Record the outcome of an admitted attempt; how long ``client`` must now wait."""
        now = self._clock()
        with self._lock:
            strikes = self._entry(self._clients, client, now)
            strikes.busy = False
            if not failed:
                if strikes.failures == 0:
                    del self._clients[client]
                return max(strikes.blocked_until - now, timedelta(0))
            name = self._entry(self._names, username, now)
            name.failures, name.last = name.failures + 1, now
            strikes.failures, strikes.last = strikes.failures + 1, now
            strikes.blocked_until = max(strikes.blocked_until, now + self.delay(strikes.failures),
                                        now + self.delay(name.failures))
            return strikes.blocked_until - now

    def tracked(self) -> tuple[int, int]:
        """How many client addresses and user names have strikes (for tests and logs)."""
        with self._lock:
            return len(self._clients), len(self._names)

    def _entry(self, table: dict[str, _Strikes], key: str, now: datetime) -> _Strikes:
        strikes = table.get(key)
        if strikes is not None and self._forgettable(strikes, now):
            del table[key]  # quiet for long enough: forgotten
            strikes = None
        if strikes is None:
            if len(table) >= self._max_tracked:
                self._make_room(table, now)
            strikes = table[key] = _Strikes(0, now, now)
        return strikes

    def _forgettable(self, strikes: _Strikes, now: datetime) -> bool:
        """Quiet for ``cap`` after its wait ended (a waiting client is never let off early)."""
        return not strikes.busy and now >= max(strikes.blocked_until, strikes.last) + self._cap

    def _make_room(self, table: dict[str, _Strikes], now: datetime) -> None:
        for key in [k for k, s in table.items() if self._forgettable(s, now)]:
            del table[key]
        if len(table) >= self._max_tracked:
            idle = ((s.failures, s.last, k) for k, s in table.items() if not s.busy)
            for _, _, key in heapq.nsmallest(max(1, self._max_tracked // 10), idle):
                del table[key]
