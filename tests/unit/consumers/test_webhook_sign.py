"""Webhook signatures: what a receiver accepts and what it must refuse."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from consumers.webhook_sign import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    signed_headers,
    verify,
)

SECRET = "whsec_test-secret-of-enough-length"
BODY = b'{"delivery_id":"d-1","signal":{"category":"labour"}}'
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1767225600, BODY) == f"sha256={expected}"


def test_signed_headers_verify() -> None:
    headers = signed_headers(SECRET, "d-1", BODY, NOW + 0.9, attempt=3)
    assert headers["Content-Type"] == "application/json"
    assert headers[DELIVERY_HEADER] == "d-1"
    assert headers[TIMESTAMP_HEADER] == "1767225600"  # whole seconds
    assert headers["X-Ketenlink-Attempt"] == "3"
    assert verify(SECRET, headers[TIMESTAMP_HEADER], BODY, headers[SIGNATURE_HEADER], NOW + 5)


@pytest.fixture
def header() -> str:
    return signature(SECRET, int(NOW), BODY)


def test_a_tampered_body_fails(header: str) -> None:
    assert not verify(SECRET, int(NOW), BODY.replace(b"labour", b"sexual"), header, NOW)
    assert not verify(SECRET, int(NOW), BODY + b" ", header, NOW)


def test_a_wrong_secret_fails(header: str) -> None:
    assert not verify(SECRET + "x", int(NOW), BODY, header, NOW)
    assert not verify("", int(NOW), BODY, header, NOW)
    assert verify(SECRET.encode(), int(NOW), BODY, header, NOW)  # bytes: the same key


def test_a_changed_timestamp_fails(header: str) -> None:
    """The timestamp is inside the MAC: moving it forward to pass the age check breaks it."""
    assert not verify(SECRET, int(NOW) + 1, BODY, header, NOW)


@pytest.mark.parametrize(("age", "ok"), [(0, True), (300, True), (-300, True), (301, False),
                                         (-301, False), (86_400, False)])
def test_stale_or_future_timestamps_fail(age: int, ok: bool) -> None:
    stamp = int(NOW) - age
    assert verify(SECRET, str(stamp), BODY, signature(SECRET, stamp, BODY), NOW) is ok


def test_the_tolerance_is_a_parameter() -> None:
    stamp = int(NOW) - 30
    sig = signature(SECRET, stamp, BODY)
    assert not verify(SECRET, stamp, BODY, sig, NOW, tolerance_s=10)
    assert verify(SECRET, stamp, BODY, sig, NOW, tolerance_s=60)


@pytest.mark.parametrize("bad", [None, "", "sha256=", "sha1=abc", "SHA256=00",
                                 "sha256=" + "0" * 64])
def test_malformed_or_missing_signatures_fail(bad: str | None) -> None:
    assert not verify(SECRET, int(NOW), BODY, bad, NOW)


@pytest.mark.parametrize("stamp", ["", "abc", "1.5e9", None])
def test_malformed_timestamps_fail(stamp: str | None, header: str) -> None:
    assert not verify(SECRET, stamp, BODY, header, NOW)  # type: ignore[arg-type]
