"""Retry behaviour of one delivery, against httpx's MockTransport and a fake clock."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import structlog

from consumers.webhook_retry import (
    Attempt,
    Outcome,
    RetryPolicy,
    Verdict,
    backoff_delay,
    classify,
    post_with_retries,
    retry_after_s,
)
from consumers.webhook_sign import verify

SECRET = "whsec_unit-test-secret-0123456789"
BODY = b'{"delivery_id":"d-7","x":1}'
URL = "https://partner.example/hooks/ketenlink"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("status", "verdict"), [
    (200, Verdict.DELIVERED), (201, Verdict.DELIVERED), (202, Verdict.DELIVERED),
    (204, Verdict.DELIVERED), (299, Verdict.DELIVERED),
    (408, Verdict.RETRY), (429, Verdict.RETRY), (500, Verdict.RETRY), (502, Verdict.RETRY),
    (503, Verdict.RETRY), (504, Verdict.RETRY), (599, Verdict.RETRY),
    (301, Verdict.PERMANENT), (302, Verdict.PERMANENT), (307, Verdict.PERMANENT),
    (400, Verdict.PERMANENT), (401, Verdict.PERMANENT), (403, Verdict.PERMANENT),
    (404, Verdict.PERMANENT), (409, Verdict.PERMANENT), (410, Verdict.PERMANENT),
    (413, Verdict.PERMANENT), (422, Verdict.PERMANENT),
])
def test_classify(status: int, verdict: Verdict) -> None:
    assert classify(status) is verdict


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    schedule = [backoff_delay(n, base_s=0.5, cap_s=10.0) for n in range(1, 9)]
    assert schedule == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert backoff_delay(10_000, 1.0, 300.0) == 300.0  # no overflow for absurd counts
    with pytest.raises(ValueError):
        backoff_delay(0, 1.0, 10.0)


def test_jitter_only_shortens_and_stays_within_its_fraction() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(3, 1.0, 60.0, jitter=0.25, rng=rng) for _ in range(200)]
    assert all(3.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 100  # actually random


@pytest.mark.parametrize(("header", "seconds"), [
    (None, None), ("", None), ("soon", None), ("\u00b2", None), ("0", 0.0), ("120", 120.0),
    (" 7 ", 7.0),
    ("Thu, 01 Jan 2026 00:00:30 GMT", 30.0),
    ("Wed, 31 Dec 2025 23:59:00 GMT", 0.0),  # in the past: no wait
])
def test_retry_after_seconds_or_http_date(header: str | None, seconds: float | None) -> None:
    assert retry_after_s(header, NOW) == seconds


def test_retry_after_is_honoured_but_capped() -> None:
    policy = RetryPolicy(max_attempts=5, base_s=1.0, cap_s=60.0)
    asked = Attempt(Verdict.RETRY, 429, "HTTP 429", retry_after_s=30.0)
    assert policy.delay(1, asked, None) == 30.0
    assert policy.delay(1, Attempt(Verdict.RETRY, 429, "", retry_after_s=3600.0), None) == 60.0
    # a Retry-After shorter than the backoff does not shorten it
    assert policy.delay(4, Attempt(Verdict.RETRY, 503, "", retry_after_s=1.0), None) == 8.0


class Scripted:
    """An endpoint answering from a script: an int is a status, an exception is raised."""

    def __init__(self, *script: int | Exception | httpx.Response) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return httpx.Response(step, text=f"status {step} body")


def _run(endpoint: Scripted, max_attempts: int = 5, wait: Callable[[float], bool] | None = None,
         secret: Callable[[], str] = lambda: SECRET) -> tuple[Outcome | None, list[float]]:
    waits: list[float] = []
    clock = iter(range(1_767_225_600, 1_767_225_700))

    def record(delay: float) -> bool:
        waits.append(delay)
        return True if wait is None else wait(delay)

    with httpx.Client(transport=httpx.MockTransport(endpoint)) as client:
        outcome = post_with_retries(
            client, URL, BODY, "d-7", secret, RetryPolicy(max_attempts, 0.5, 4.0), record,
            lambda: float(next(clock)), structlog.get_logger("test"))
    return outcome, waits


def test_two_503_then_200_is_delivered_on_the_third_attempt_with_one_delivery_id() -> None:
    endpoint = Scripted(503, 503, 200)
    outcome, waits = _run(endpoint)
    assert outcome is not None and outcome.delivered and outcome.attempts == 3
    assert waits == [0.5, 1.0]
    assert [r.headers["X-Ketenlink-Delivery"] for r in endpoint.requests] == ["d-7"] * 3
    assert [r.headers["X-Ketenlink-Attempt"] for r in endpoint.requests] == ["1", "2", "3"]
    for request in endpoint.requests:  # each attempt signed afresh, body unchanged
        assert request.content == BODY and request.method == "POST"
        stamp = request.headers["X-Ketenlink-Timestamp"]
        assert verify(SECRET, stamp, request.content, request.headers["X-Ketenlink-Signature"],
                      float(stamp))
    stamps = {r.headers["X-Ketenlink-Timestamp"] for r in endpoint.requests}
    assert len(stamps) == 3


def test_a_4xx_is_permanent_at_once_with_the_answer_in_the_error() -> None:
    endpoint = Scripted(422, 200)
    outcome, waits = _run(endpoint)
    assert outcome is not None and outcome.result == "permanent" and outcome.attempts == 1
    assert outcome.last.status == 422 and outcome.last.error == "HTTP 422: status 422 body"
    assert waits == [] and len(endpoint.requests) == 1


def test_a_redirect_is_not_followed() -> None:
    endpoint = Scripted(httpx.Response(307, headers={"Location": "https://elsewhere.example/"}),
                        200)
    outcome, _ = _run(endpoint)
    assert outcome is not None and outcome.result == "permanent" and outcome.last.status == 307
    assert [str(r.url) for r in endpoint.requests] == [URL]


def test_connection_errors_timeouts_408_and_429_are_retried() -> None:
    endpoint = Scripted(httpx.ConnectError("connection refused"), httpx.ReadTimeout("slow"),
                        408, httpx.Response(429, headers={"Retry-After": "3"}), 204)
    outcome, waits = _run(endpoint, max_attempts=5)
    assert outcome is not None and outcome.delivered and outcome.attempts == 5
    assert waits == [0.5, 1.0, 2.0, 4.0]  # the 429 asked for 3 s, the backoff was longer


def test_attempts_are_exhausted_after_max_attempts() -> None:
    endpoint = Scripted(500, 500, httpx.ConnectError("refused"), 200)
    outcome, waits = _run(endpoint, max_attempts=3)
    assert outcome is not None and outcome.result == "exhausted" and outcome.attempts == 3
    assert outcome.last.status is None and outcome.last.error == "ConnectError: refused"
    assert waits == [0.5, 1.0] and len(endpoint.requests) == 3


def test_one_attempt_only_when_max_attempts_is_one() -> None:
    outcome, waits = _run(Scripted(503), max_attempts=1)
    assert outcome is not None and outcome.result == "exhausted" and waits == []


def test_a_stop_during_the_wait_ends_without_an_outcome() -> None:
    endpoint = Scripted(503, 200)
    outcome, waits = _run(endpoint, wait=lambda _: False)
    assert outcome is None and waits == [0.5] and len(endpoint.requests) == 1


def test_a_rotated_secret_applies_to_the_next_attempt() -> None:
    keys = iter(["whsec_old-secret-0123456789", "whsec_new-secret-0123456789"])
    endpoint = Scripted(503, 200)
    _run(endpoint, secret=lambda: next(keys))
    first, second = endpoint.requests
    for request, key in ((first, "whsec_old-secret-0123456789"),
                         (second, "whsec_new-secret-0123456789")):
        stamp = request.headers["X-Ketenlink-Timestamp"]
        assert verify(key, stamp, BODY, request.headers["X-Ketenlink-Signature"], float(stamp))
