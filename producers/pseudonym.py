"""Keyed pseudonyms: a BSN or patient number leaves the adapter only as HMAC-SHA256 under a secret.

The same key everywhere makes the same person match across partners without anyone on the
wire learning the number; without the key the pseudonym cannot be reversed or recomputed.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr

from schemas import identifiers

PREFIX = "ps1:"


class Pseudonymiser:
    """Turns identifying numbers into ``ps1:<hex>`` pseudonyms; one instance per process."""

    def __init__(self, key: SecretStr) -> None:
        secret = key.get_secret_value().encode()
        if len(secret) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = secret

    def pseudonym(self, scheme: str, value: str) -> str:
        """The pseudonym of ``value`` within ``scheme`` (different schemes never collide)."""
        mac = hmac.new(self._key, f"{scheme}\x1f{value}".encode(), hashlib.sha256)
        return PREFIX + mac.hexdigest()

    def bsn(self, value: str) -> str:
        """Validate a BSN (elfproef) and return its pseudonym; the BSN itself is not kept."""
        return self.pseudonym("bsn", identifiers.bsn(value))

    def patient(self, institution: str, patient_id: str) -> str:
        """Pseudonym of a patient number, scoped to the institution that issued it."""
        return self.pseudonym("patient", f"{institution.strip().lower()}\x1f{patient_id.strip()}")
