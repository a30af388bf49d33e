"""One delivery over HTTP: signed POST attempts, what each answer means, and the waits between.

Pure of Kafka: ``post_with_retries`` takes the HTTP client, a secret lookup, a ``wait`` that
says whether to go on, and a clock, so the whole retry behaviour is testable with
``httpx.MockTransport`` and a fake clock.

What an answer means (``classify``):

=========================================  ==========================================
2xx                                        delivered
408, 429, 5xx, connection error, timeout   retried with backoff (Retry-After honoured)
any other status (3xx, 4xx)                permanent: dead-lettered at once
=========================================  ==========================================

Redirects are not followed: a signed body goes only to the URL in the registry.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from consumers.webhook_sign import signed_headers

RETRYABLE_STATUS = frozenset({408, 429})
ERROR_SNIPPET_BYTES = 512


class Verdict(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    PERMANENT = "permanent"


def classify(status: int) -> Verdict:
    """What an HTTP status means for a delivery."""
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status in RETRYABLE_STATUS or status >= 500:
        return Verdict.RETRY
    return Verdict.PERMANENT


def backoff_delay(failures: int, base_s: float, cap_s: float, jitter: float = 0.0,
                  rng: random.Random | None = None) -> float:
    """The wait after the ``failures``-th failed attempt (1, 2, ...): ``base * 2**(failures-1)``,
    at most ``cap``; with ``jitter`` j each wait is shortened by a random fraction up to j, so
    that many deliverers retrying one endpoint do not hit it in step."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    delay = min(cap_s, base_s * 2.0 ** min(failures - 1, 60))
    if jitter and rng is not None:
        delay *= 1.0 - jitter * rng.random()
    return delay


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent
    or unreadable. Never negative."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class Attempt:
    """What one POST came back with."""

    verdict: Verdict
    status: int | None
    error: str
    retry_after_s: float | None = None
    elapsed_s: float = 0.0


def post_once(client: httpx.Client, url: str, body: bytes, headers: dict[str, str],
              now: datetime) -> Attempt:
    """POST ``body``; any transport failure is an ``Attempt`` to retry, never an exception.
    The answer's body is not read beyond the start of an error body."""
    started = time.monotonic()
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            verdict = classify(status)
            if verdict is Verdict.DELIVERED:
                return Attempt(verdict, status, "", elapsed_s=time.monotonic() - started)
            snippet = _snippet(response)
            return Attempt(verdict, status, f"HTTP {status}{': ' + snippet if snippet else ''}",
                           retry_after_s(response.headers.get("Retry-After"), now),
                           time.monotonic() - started)
    except httpx.UnsupportedProtocol as exc:
        return Attempt(Verdict.PERMANENT, None, _describe(exc), elapsed_s=time.monotonic() - started)
    except httpx.HTTPError as exc:  # connect/read/write errors, timeouts, protocol errors
        return Attempt(Verdict.RETRY, None, _describe(exc), elapsed_s=time.monotonic() - started)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _snippet(response: httpx.Response) -> str:
    """The start of an error body, for the dead letter and the log (never the whole body)."""
    chunk = b""
    try:
        for part in response.iter_bytes():
            chunk += part
            if len(chunk) >= ERROR_SNIPPET_BYTES:
                break
    except httpx.HTTPError:
        pass
    return " ".join(chunk[:ERROR_SNIPPET_BYTES].decode("utf-8", "replace").split())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one delivery is tried."""

    max_attempts: int
    base_s: float
    cap_s: float
    jitter: float = 0.0

    def delay(self, failures: int, attempt: Attempt, rng: random.Random | None) -> float:
        """The wait before the next attempt: the backoff, or longer when the endpoint asked for
        it with ``Retry-After`` (capped at ``cap_s``)."""
        delay = backoff_delay(failures, self.base_s, self.cap_s, self.jitter, rng)
        if attempt.retry_after_s is not None:
            delay = max(delay, min(attempt.retry_after_s, self.cap_s))
        return delay


@dataclass(frozen=True)
class Outcome:
    """How a delivery ended: delivered, or to be dead-lettered (permanent / exhausted)."""

    result: Literal["delivered", "permanent", "exhausted"]
    attempts: int
    last: Attempt

    @property
    def delivered(self) -> bool:
        return self.result == "delivered"


def post_with_retries(client: httpx.Client, url: str, body: bytes, delivery_id: str,
                      secret: Callable[[], str], policy: RetryPolicy,
                      wait: Callable[[float], bool], clock: Callable[[], float],
                      log: Any, rng: random.Random | None = None
                      ) -> Outcome | None:
    """Try one delivery until it is delivered, fails permanently or ran out of attempts.

    ``secret`` is asked before every attempt (a rotated secret applies at once; it raises
    ``MissingWebhookSecretError`` when the secret is gone). Returns None when ``wait`` returned
    False (stop requested, or the record's partition was taken away): the caller must not
    commit.
    """
    failures = 0
    while True:
        attempt_no = failures + 1
        now = clock()
        headers = signed_headers(secret(), delivery_id, body, now, attempt_no)
        attempt = post_once(client, url, body, headers, datetime.fromtimestamp(now, UTC))
        if attempt.verdict is Verdict.DELIVERED:
            log.info("webhook.delivered", attempt=attempt_no, status=attempt.status,
                     elapsed_s=round(attempt.elapsed_s, 3))
            return Outcome("delivered", attempt_no, attempt)
        if attempt.verdict is Verdict.PERMANENT:
            log.warning("webhook.refused", attempt=attempt_no, status=attempt.status,
                        error=attempt.error)
            return Outcome("permanent", attempt_no, attempt)
        failures += 1
        if failures >= policy.max_attempts:
            log.warning("webhook.attempts_exhausted", attempt=attempt_no, status=attempt.status,
                        error=attempt.error)
            return Outcome("exhausted", attempt_no, attempt)
        delay = policy.delay(failures, attempt, rng)
        log.info("webhook.retry", attempt=attempt_no, status=attempt.status, error=attempt.error,
                 retry_in_s=round(delay, 3))
        if not wait(delay):
            return None
