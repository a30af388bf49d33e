"""RateLimiter: a token bucket per partner, counted per signal, with an injected clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from producers.gateway.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_minute_of_burst_then_refusal_with_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock)  # one signal per second
    assert limiter.acquire("riec", 50).allowed
    assert limiter.acquire("riec", 10).allowed
    refused = limiter.acquire("riec", 3)
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(3.0)
    clock.now += 3.0
    assert limiter.acquire("riec", 3).allowed


def test_a_refused_request_takes_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock)
    assert limiter.acquire("kvk", 8).allowed
    assert not limiter.acquire("kvk", 5).allowed
    assert limiter.acquire("kvk", 2).allowed  # the refused 5 did not spend the remaining 2


def test_partners_have_their_own_buckets() -> None:
    limiter = RateLimiter(5, clock=FakeClock())
    assert limiter.acquire("riec", 5).allowed
    assert not limiter.acquire("riec", 1).allowed
    assert limiter.acquire("zorg", 5).allowed


def test_the_bucket_never_holds_more_than_a_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(6, clock=clock)
    clock.now += 3600
    assert limiter.acquire("riec", 6).allowed
    assert not limiter.acquire("riec", 1).allowed


def test_more_than_the_capacity_never_passes() -> None:
    clock = FakeClock()
    limiter = RateLimiter(6, clock=clock)
    decision = limiter.acquire("riec", 7)
    assert not decision.allowed and decision.exceeds_capacity
    assert decision.retry_after_s == 60.0
    clock.now += 3600
    assert not limiter.acquire("riec", 7).allowed
    assert limiter.acquire("riec", 6).allowed  # the refusals took nothing


def test_a_clock_stepping_back_refills_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock)
    assert limiter.acquire("riec", 60).allowed
    clock.now -= 100
    assert not limiter.acquire("riec", 1).allowed


@given(st.integers(min_value=1, max_value=600),
       st.lists(st.tuples(st.floats(min_value=0, max_value=30), st.integers(0, 50)),
                max_size=60))
def test_never_grants_more_than_burst_plus_refill(per_minute: int,
                                                  steps: list[tuple[float, int]]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute, clock=clock)
    granted = elapsed = 0.0
    for dt, count in steps:
        clock.now += dt
        elapsed += dt
        decision = limiter.acquire("p", count)
        if decision.allowed:
            granted += count
        else:
            assert decision.retry_after_s > 0
    assert granted <= per_minute + elapsed * per_minute / 60 + 1e-6
