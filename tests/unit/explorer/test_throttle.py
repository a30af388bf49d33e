"""The failed-login throttle: growing waits per client address and per name, nobody locked out,
bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from explorer.throttle import LoginThrottle

SECOND = timedelta(seconds=1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _throttle(clock: Clock, max_tracked: int = 100) -> LoginThrottle:
    return LoginThrottle(3, SECOND, timedelta(minutes=15), max_tracked=max_tracked, clock=clock)


def _fail(throttle: LoginThrottle, client: str, name: str) -> timedelta:
    assert throttle.admit(client) == timedelta(0)
    return throttle.done(client, name, failed=True)


def test_a_client_waits_longer_after_every_failure_up_to_the_cap() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    waits = []
    for i in range(16):
        waits.append(_fail(throttle, "10.0.0.1", f"name-{i}"))  # a different name each time
        if waits[-1]:
            assert throttle.admit("10.0.0.1") == waits[-1]  # refused until the wait is over
        clock.now += waits[-1]
    assert waits[:2] == [timedelta(0)] * 2
    assert waits[2:6] == [SECOND, 2 * SECOND, 4 * SECOND, 8 * SECOND]
    assert waits[-1] == timedelta(minutes=15)
    assert throttle.admit("10.0.0.2") == timedelta(0)  # another address is not slowed


def test_a_hot_name_slows_every_client_failing_on_it_but_never_refuses_a_right_password() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for i in range(10):  # a distributed guess: a new address per guess
        _fail(throttle, f"10.0.1.{i}", "ana")
    assert throttle.admit("10.0.1.9") == 128 * SECOND  # 10th failure on the name: 2^(10-3) s
    assert throttle.admit("10.0.2.1") == timedelta(0)  # ana's own, clean address
    assert throttle.done("10.0.2.1", "ana", failed=False) == timedelta(0)
    assert throttle.admit("10.0.2.1") == timedelta(0)


def test_one_attempt_at_a_time_per_client() -> None:
    throttle = _throttle(Clock())
    assert throttle.admit("10.0.0.1") == timedelta(0)
    assert throttle.admit("10.0.0.1") >= SECOND  # a parallel guess is refused
    throttle.done("10.0.0.1", "ana", failed=False)
    assert throttle.admit("10.0.0.1") == timedelta(0)


def test_strikes_are_forgotten_after_the_cap() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for _ in range(5):
        clock.now += _fail(throttle, "10.0.0.1", "ana")
    clock.now += timedelta(minutes=14)
    assert _fail(throttle, "10.0.0.1", "ana") == 8 * SECOND  # still remembered
    clock.now += 8 * SECOND + timedelta(minutes=15)
    assert throttle.admit("10.0.0.1") == timedelta(0)
    assert throttle.done("10.0.0.1", "ana", failed=True) == timedelta(0)  # a fresh start


def test_a_flood_of_addresses_and_names_stays_bounded_and_keeps_the_hot_name() -> None:
    clock = Clock()
    throttle = _throttle(clock, max_tracked=100)
    for _ in range(5):
        _fail(throttle, "10.9.9.9", "ana")
        clock.now += timedelta(minutes=1)
    for i in range(1000):
        _fail(throttle, f"10.1.{i // 250}.{i % 250}", f"made-up-{i}")
    clients, names = throttle.tracked()
    assert clients <= 100 and names <= 100
    assert _fail(throttle, "10.2.0.1", "ana") >= 8 * SECOND  # ana's strikes were kept
